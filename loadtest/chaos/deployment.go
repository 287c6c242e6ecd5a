package chaos

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/loadtest"
	"github.com/wsisvote/prizes/loadtest/stack"
)

// edition is the edition the drill votes in.
const edition = "chaos"

// deployment is what the drill starts and breaks: its own PostgreSQL
// server and Redis, one prizes serve without a flusher and one prizes
// flush, each on a fixed loopback address so that a part started again is
// found where it was.
type deployment struct {
	cfg    Config
	dir    string
	pg     *stack.Postgres
	db     *stack.Database
	redis  *stack.Redis
	prizes *stack.Prizes
	// serveAddr is the API's address, flushAddr the flusher's metrics.
	serveAddr string
	flushAddr string
	serve     *stack.Process
	flush     *stack.Process
	load      *Load
}

func (d *deployment) logf(format string, args ...any) {
	fmt.Fprintf(d.cfg.Log, "chaos: "+format+"\n", args...)
}

// provision starts PostgreSQL and Redis, migrates, seeds the edition,
// starts serve and flush, creates enough voters for faults faults and
// prepares the load.
func (d *deployment) provision(ctx context.Context, rep *Report, faults int) error {
	cfg := d.cfg
	dir, err := os.MkdirTemp(cfg.TempDir, "prizes-chaos-")
	if err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	d.dir = dir
	// PostgreSQL runs as its own user when the drill runs as root, and
	// must be able to enter the folder its files are in.
	if err := os.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	if d.pg, err = stack.StartPostgres(ctx, cfg.PostgresBin, filepath.Join(dir, "pg")); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	if d.db, err = stack.CreateDatabase(ctx, d.pg.URL("postgres"), "chaos_"); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	rep.Machine.Postgres = d.db.Version(ctx)
	redisDir := filepath.Join(dir, "redis")
	if err := os.Mkdir(redisDir, 0o755); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	if d.redis, err = stack.StartDurableRedis(ctx, cfg.RedisServer, redisDir); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	rep.Machine.Redis = d.redis.Version(ctx)
	env := append([]string{"PRIZES_DATABASE_URL=" + d.db.URL, "PRIZES_REDIS_URL=" + d.redis.URL()}, serveEnv...)
	d.prizes = &stack.Prizes{Bin: cfg.Prizes, Env: stack.ChildEnv(cfg.Env, env...)}
	if _, _, err := d.prizes.Run(ctx, "migrate"); err != nil {
		return err
	}
	if _, _, err := d.prizes.Run(ctx, "seed", "--demo", "--phases=false", "--edition", edition); err != nil {
		return err
	}
	if d.serveAddr, err = stack.FreePort(); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	if d.flushAddr, err = stack.FreePort(); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	if err := d.startServe(ctx); err != nil {
		return err
	}
	if err := d.startFlush(ctx); err != nil {
		return err
	}
	base := "http://" + d.serveAddr
	projects, err := loadtest.FetchProjects(ctx, &http.Client{Timeout: 10 * time.Second}, base, edition)
	if err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	categories := map[string]bool{}
	for _, p := range projects {
		categories[p.Category] = true
	}
	// Each fault's load runs for Before, the fault and After; the voters
	// give twice the ballots that needs, with restarts taking ten seconds.
	perFault := cfg.Before + cfg.After + cfg.PostgresDown + 10*time.Second
	maxVotes := int64(cfg.Rate * perFault.Seconds())
	voters := int(2*maxVotes*int64(faults))/len(categories) + 1
	rep.Settings.Voters, rep.Settings.Categories = voters, len(categories)
	d.logf("creating %d voters", voters)
	votersFile := filepath.Join(dir, "voters.tsv")
	if _, _, err := d.prizes.Run(ctx, "voters", "--edition", edition, "--count", strconv.Itoa(voters), "--out", votersFile); err != nil {
		return err
	}
	vs, err := loadtest.LoadVoters(votersFile)
	if err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	ballots, err := loadtest.NewBallots(vs, projects, loadtest.BallotOptions{Seed: 1})
	if err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	target, err := loadtest.ParseTarget(base, edition)
	if err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	d.load = &Load{
		Addr: target.Addr, Votes: loadtest.NewVotes(target, ballots), Ballots: ballots,
		Rate: cfg.Rate, Workers: cfg.Workers, Timeout: 5 * time.Second, RetryFor: cfg.RetryFor, MaxVotes: maxVotes,
	}
	return nil
}

// startServe starts prizes serve without a flusher and waits until it is
// ready.
func (d *deployment) startServe(ctx context.Context) error {
	env := append(slices.Clone(d.prizes.Env), "PRIZES_HTTP_ADDR="+d.serveAddr, "PRIZES_CONSUMER=chaos-serve", "PRIZES_FLUSH=false")
	p, err := stack.Start("prizes serve", filepath.Join(d.dir, "serve.log"), env, d.cfg.Prizes, "serve")
	if err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	d.serve = p
	if err := p.WaitHTTP(ctx, "http://"+d.serveAddr+"/readyz", time.Minute); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	return nil
}

// startFlush starts prizes flush under the same consumer name every time,
// as a supervisor restarting it would, and waits until it serves metrics.
func (d *deployment) startFlush(ctx context.Context) error {
	env := append(slices.Clone(d.prizes.Env), "PRIZES_CONSUMER=chaos-flush")
	p, err := stack.Start("prizes flush", filepath.Join(d.dir, "flush.log"), env, d.cfg.Prizes, "flush", "--metrics-addr", d.flushAddr)
	if err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	d.flush = p
	if err := p.WaitHTTP(ctx, "http://"+d.flushAddr+"/metrics", time.Minute); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	return nil
}

func (d *deployment) killServe(ctx context.Context) error {
	d.serve.Kill()
	return d.startServe(ctx)
}

func (d *deployment) killFlush(ctx context.Context) error {
	d.flush.Kill()
	return d.startFlush(ctx)
}

func (d *deployment) killRedis(ctx context.Context) error {
	d.redis.Kill()
	if err := d.redis.Restart(ctx); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	return nil
}

func (d *deployment) stopPostgres(ctx context.Context) error {
	if err := d.pg.Stop(d.cfg.Shutdown); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	sleep(ctx, d.cfg.PostgresDown)
	if err := d.pg.Start(ctx); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	return nil
}

// revive starts again serve or flush if it ended on its own, as a
// supervisor would, and says so: a part that exits because another one
// failed is a finding of the drill.
func (d *deployment) revive(ctx context.Context) []string {
	var problems []string
	for _, p := range []struct {
		proc  *stack.Process
		start func(context.Context) error
	}{{d.serve, d.startServe}, {d.flush, d.startFlush}} {
		if !p.proc.Exited() {
			continue
		}
		problems = append(problems, fmt.Sprintf("%s exited by itself: %s", p.proc.Name(), p.proc.LogTail()))
		if err := p.start(ctx); err != nil {
			problems = append(problems, err.Error())
		}
	}
	return problems
}

// ReadLedger reads every vote of edition in the ledger of the database at
// url: what a drill compares its answers with.
func ReadLedger(ctx context.Context, url, edition string) ([]Row, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("read the ledger: %w", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT id::text, voter_id, category_code FROM votes WHERE edition_id = $1`, edition)
	if err != nil {
		return nil, fmt.Errorf("read the ledger: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Row, error) {
		var v Row
		err := r.Scan(&v.ID, &v.VoterID, &v.Category)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("read the ledger: %w", err)
	}
	return out, nil
}

// teardown stops everything the drill started, flush and serve first,
// and removes its files; it returns what did not stop cleanly.
func (d *deployment) teardown() []string {
	var problems []string
	for _, p := range []*stack.Process{d.flush, d.serve} {
		if p == nil {
			continue
		}
		if err := p.Stop(20 * time.Second); err != nil {
			problems = append(problems, fmt.Sprintf("stop %s: %v: %s", p.Name(), err, p.LogTail()))
		}
	}
	if d.redis != nil {
		d.redis.Stop()
	}
	if d.pg != nil {
		if err := d.pg.Stop(stack.Fast); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if d.dir != "" {
		os.RemoveAll(d.dir)
	}
	return problems
}
