package naive

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// Targets are what the comparison holds the vote path to.
const (
	// TargetOverBaseline is the least vote path throughput as a fraction of
	// the plain Gin handler's.
	TargetOverBaseline = 0.6
	// TargetOverNaive is the least vote path throughput as a multiple of
	// the naive design's.
	TargetOverNaive = 3.0
	// TargetFlushOverCopy is the least flusher throughput into PostgreSQL as
	// a fraction of a raw COPY of the same rows.
	TargetFlushOverCopy = 0.5
)

// CompareConfig is what a comparison needs; the caller reads the
// environment.
type CompareConfig struct {
	Prizes string
	// Baseline and NaiveServe are the commands serving the plain Gin
	// handler and the naive design; --addr HOST:PORT is appended, and
	// --database-url URL to NaiveServe.
	Baseline   []string
	NaiveServe []string
	// DatabaseURL is a server on which a database may be created.
	DatabaseURL string
	RedisServer string
	Env         []string
	Voters      int
	Workers     int
	Duration    time.Duration
	Warmup      time.Duration
	Rounds      int
	// FlushVotes is how many votes each round of the flush measurement
	// moves, and FlushRounds how many rounds it runs.
	FlushVotes  int64
	FlushRounds int
	// FlushBatch, when positive, is the batch size prizes flush runs with
	// (PRIZES_FLUSH_BATCH); otherwise it runs with its default.
	FlushBatch int
	// Fsync is "on" or "off" to set PostgreSQL's fsync for the run (with
	// ALTER SYSTEM, reset at the end), or "" to leave the server as it is.
	// It matters most to the naive design, whose every vote is a commit.
	Fsync   string
	Command string
	Log     io.Writer
	TempDir string
}

func (c *CompareConfig) defaults() {
	if c.Voters <= 0 {
		c.Voters = 150_000
	}
	if c.Workers <= 0 {
		c.Workers = 256
	}
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Rounds <= 0 {
		c.Rounds = 3
	}
	if c.FlushVotes <= 0 {
		c.FlushVotes = 100_000
	}
	if c.FlushRounds <= 0 {
		c.FlushRounds = 3
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// Round is one run against each target, in turn.
type Round struct {
	Baseline float64 `json:"baseline_votes_per_s"`
	VotePath float64 `json:"vote_path_votes_per_s"`
	Naive    float64 `json:"naive_votes_per_s"`
	// NaiveRefused counts the naive design's answers other than 202.
	NaiveRefused int64   `json:"naive_refused"`
	OverBaseline float64 `json:"vote_path_over_baseline"`
	OverNaive    float64 `json:"vote_path_over_naive"`
	NaiveP99     float64 `json:"naive_p99_ms"`
	VotePathP99  float64 `json:"vote_path_p99_ms"`
	// VotePathCPU and NaiveCPU are what the vote path's and the naive
	// design's runs cost the machine.
	VotePathCPU RunCPU `json:"vote_path_cpu"`
	NaiveCPU    RunCPU `json:"naive_cpu"`
}

// RunCPU is the CPU of one run in microseconds per accepted vote, by
// process, and how many cores the whole machine kept busy over the run: a
// run that leaves cores idle is waiting on something else, such as the
// disk.
type RunCPU struct {
	Server    float64 `json:"server_us"`
	Redis     float64 `json:"redis_us"`
	Postgres  float64 `json:"postgres_us"`
	Generator float64 `json:"generator_us"`
	Machine   float64 `json:"machine_us"`
	BusyCores float64 `json:"busy_cores"`
}

// CompareReport is the outcome of a comparison.
type CompareReport struct {
	Date     time.Time     `json:"date"`
	Command  string        `json:"command"`
	Machine  stack.Machine `json:"machine"`
	Voters   int           `json:"voters"`
	Workers  int           `json:"workers"`
	Duration time.Duration `json:"run_ns"`
	Rounds   []Round       `json:"rounds"`
	// The medians are over the rounds; the ratios are medians of each
	// round's ratio.
	MedianBaseline     float64 `json:"median_baseline_votes_per_s"`
	MedianVotePath     float64 `json:"median_vote_path_votes_per_s"`
	MedianNaive        float64 `json:"median_naive_votes_per_s"`
	MedianOverBaseline float64 `json:"median_vote_path_over_baseline"`
	MedianOverNaive    float64 `json:"median_vote_path_over_naive"`
	Flush              Flush   `json:"flush"`
	// Fsync is PostgreSQL's fsync setting during the run.
	Fsync    string        `json:"postgres_fsync"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	Problems []string      `json:"problems,omitempty"`
}

// The vote log's key prefix and shard count, set for every prizes process
// of the run, so that the flush measurement can watch the same log.
const (
	redisPrefix = "naive:"
	shards      = 16
)

type comparison struct {
	cfg      CompareConfig
	rep      *CompareReport
	dir      string
	redis    *stack.Redis
	db       *stack.Database
	prizes   *stack.Prizes
	serve    *stack.Process
	base     *stack.Process
	naive    *stack.Process
	serveAdr string
	// resetFsync is set once the run changed the server's fsync.
	resetFsync bool
}

func (c *comparison) logf(format string, args ...any) {
	fmt.Fprintf(c.cfg.Log, "naive: "+format+"\n", args...)
}

// Compare runs the same closed-loop load against the plain Gin handler
// (a), the vote path (b) and the naive design (c), in turn, on one machine
// in one run, then measures the flusher against a raw COPY (see Flush).
func Compare(ctx context.Context, cfg CompareConfig) (*CompareReport, error) {
	cfg.defaults()
	started := time.Now()
	c := &comparison{cfg: cfg, rep: &CompareReport{Date: started.UTC(), Command: cfg.Command, Machine: stack.ThisMachine(),
		Voters: cfg.Voters, Workers: cfg.Workers, Duration: cfg.Duration}}
	err := c.run(ctx)
	c.teardown()
	c.rep.Elapsed = time.Since(started)
	return c.rep, err
}

func (c *comparison) run(ctx context.Context) error {
	cfg := c.cfg
	var err error
	if c.dir, err = os.MkdirTemp(cfg.TempDir, "prizes-naive-"); err != nil {
		return fmt.Errorf("naive compare: %w", err)
	}
	if c.redis, err = stack.StartRedis(ctx, cfg.RedisServer, c.dir); err != nil {
		return fmt.Errorf("naive compare: %w", err)
	}
	c.rep.Machine.Redis = c.redis.Version(ctx)
	if c.db, err = stack.CreateDatabase(ctx, cfg.DatabaseURL, "naive_"); err != nil {
		return fmt.Errorf("naive compare: %w", err)
	}
	c.rep.Machine.Postgres = c.db.Version(ctx)
	if err := c.setFsync(ctx); err != nil {
		return err
	}
	env := []string{"PRIZES_DATABASE_URL=" + c.db.URL, "PRIZES_REDIS_URL=" + c.redis.URL(), "PRIZES_REDIS_PREFIX=" + redisPrefix,
		"PRIZES_SHARDS=" + strconv.Itoa(shards),
		"PRIZES_CONSUMER=naive", "PRIZES_LIMIT_VOTE_IP=off"}
	c.prizes = &stack.Prizes{Bin: cfg.Prizes, Env: stack.ChildEnv(cfg.Env, env...)}
	for _, args := range [][]string{{"migrate"}, {"seed", "--demo", "--phases=false"}, {"voters", "--count", strconv.Itoa(cfg.Voters), "--out", filepath.Join(c.dir, "voters.tsv")}} {
		if _, _, err := c.prizes.Run(ctx, args...); err != nil {
			return err
		}
	}
	if c.serveAdr, err = stack.FreePort(); err != nil {
		return err
	}
	if err := c.startServe(ctx, true); err != nil {
		return err
	}
	baseAddr, err := stack.FreePort()
	if err != nil {
		return err
	}
	if c.base, err = c.child(ctx, "baseline", append(slices.Clone(cfg.Baseline), "--addr", baseAddr), baseAddr); err != nil {
		return err
	}
	naiveAddr, err := stack.FreePort()
	if err != nil {
		return err
	}
	if c.naive, err = c.child(ctx, "naive", append(slices.Clone(cfg.NaiveServe), "--addr", naiveAddr, "--database-url", c.db.URL), naiveAddr); err != nil {
		return err
	}

	voters, err := loadtest.LoadVoters(filepath.Join(c.dir, "voters.tsv"))
	if err != nil {
		return err
	}
	projects, err := loadtest.FetchProjects(ctx, http.DefaultClient, "http://"+c.serveAdr, "demo")
	if err != nil {
		return err
	}
	// The vote path and the naive design each record votes, so each draws
	// from a ballot sequence of its own and never casts a ballot twice;
	// the baseline records nothing and repeats its sequence.
	mk := func(repeat bool) (*loadtest.Ballots, error) {
		return loadtest.NewBallots(voters, projects, loadtest.BallotOptions{Seed: 1, Repeat: repeat})
	}
	var bBal, cBal, aBal *loadtest.Ballots
	if bBal, err = mk(false); err == nil {
		if cBal, err = mk(false); err == nil {
			aBal, err = mk(true)
		}
	}
	if err != nil {
		return err
	}
	work := func(addr string, b *loadtest.Ballots) loadtest.Workload {
		t, _ := loadtest.ParseTarget("http://"+addr, "demo")
		return loadtest.NewVotes(t, b)
	}
	a, b, n := work(baseAddr, aBal), work(c.serveAdr, bBal), work(naiveAddr, cBal)
	fill, err := c.fillBallots(ctx, projects)
	if err != nil {
		return err
	}
	closed := loadtest.Options{Workers: cfg.Workers, Duration: cfg.Duration}
	if cfg.Warmup > 0 {
		warm := closed
		warm.Duration = cfg.Warmup
		for _, t := range []struct {
			addr string
			w    loadtest.Workload
		}{{baseAddr, a}, {c.serveAdr, b}, {naiveAddr, n}} {
			if _, err := c.load(ctx, "warm-up", t.addr, warm, t.w); err != nil {
				return err
			}
		}
	}
	for i := 1; i <= cfg.Rounds; i++ {
		ra, err := c.load(ctx, fmt.Sprintf("a%d baseline", i), baseAddr, closed, a)
		if err != nil {
			return err
		}
		rb, bCPU, err := c.measure(ctx, fmt.Sprintf("b%d vote path", i), c.serveAdr, c.serve, closed, b)
		if err != nil {
			return err
		}
		rc, cCPU, err := c.measure(ctx, fmt.Sprintf("c%d naive", i), naiveAddr, c.naive, closed, n)
		if err != nil {
			return err
		}
		r := Round{Baseline: ra.AcceptedRate(), VotePath: rb.AcceptedRate(), Naive: rc.AcceptedRate(),
			NaiveRefused: rc.Answers() - rc.AcceptedTotal() + rc.TransportErrors,
			NaiveP99:     ms(rc.Latency.Summary().P99), VotePathP99: ms(rb.Latency.Summary().P99),
			VotePathCPU: bCPU, NaiveCPU: cCPU}
		r.OverBaseline, r.OverNaive = ratio(r.VotePath, r.Baseline), ratio(r.VotePath, r.Naive)
		c.rep.Rounds = append(c.rep.Rounds, r)
		c.logf("round %d: baseline %.0f, vote path %.0f, naive %.0f votes/s; b/a %.2f, b/c %.2f", i, r.Baseline, r.VotePath, r.Naive, r.OverBaseline, r.OverNaive)
	}
	var as, bs, ns, ba, bc []float64
	for _, r := range c.rep.Rounds {
		as, bs, ns = append(as, r.Baseline), append(bs, r.VotePath), append(ns, r.Naive)
		ba, bc = append(ba, r.OverBaseline), append(bc, r.OverNaive)
	}
	c.rep.MedianBaseline, c.rep.MedianVotePath, c.rep.MedianNaive = loadtest.Median(as), loadtest.Median(bs), loadtest.Median(ns)
	c.rep.MedianOverBaseline, c.rep.MedianOverNaive = loadtest.Median(ba), loadtest.Median(bc)
	// The other servers are stopped first so that the flush and the copy
	// have the machine to themselves.
	c.base.Stop(5 * time.Second)
	c.naive.Stop(5 * time.Second)
	return c.flush(ctx, work(c.serveAdr, fill))
}

// fillBallots provisions the voters whose ballots fill the vote log in the
// flush rounds, apart from those of the runs: how many votes the runs take
// depends on the machine, and a fast one would leave the rounds nothing.
func (c *comparison) fillBallots(ctx context.Context, projects []loadtest.Project) (*loadtest.Ballots, error) {
	categories := map[string]bool{}
	for _, p := range projects {
		categories[p.Category] = true
	}
	if len(categories) == 0 {
		return nil, errors.New("naive compare: the edition has no projects")
	}
	votes := int64(c.cfg.FlushRounds) * c.cfg.FlushVotes
	count := (votes + int64(len(categories)) - 1) / int64(len(categories))
	path := filepath.Join(c.dir, "fill-voters.tsv")
	if _, _, err := c.prizes.Run(ctx, "voters", "--count", strconv.FormatInt(count, 10), "--out", path); err != nil {
		return nil, err
	}
	voters, err := loadtest.LoadVoters(path)
	if err != nil {
		return nil, err
	}
	return loadtest.NewBallots(voters, projects, loadtest.BallotOptions{Seed: 2})
}

func (c *comparison) startServe(ctx context.Context, flush bool) error {
	env := append(slices.Clone(c.prizes.Env), "PRIZES_HTTP_ADDR="+c.serveAdr, "PRIZES_FLUSH="+strconv.FormatBool(flush))
	var err error
	name := fmt.Sprintf("serve-%d.log", time.Now().UnixNano())
	if c.serve, err = stack.Start("prizes serve", filepath.Join(c.dir, name), env, c.cfg.Prizes, "serve"); err != nil {
		return err
	}
	return c.serve.WaitHTTP(ctx, "http://"+c.serveAdr+"/readyz", time.Minute)
}

func (c *comparison) child(ctx context.Context, name string, cmd []string, addr string) (*stack.Process, error) {
	p, err := stack.Start(name, filepath.Join(c.dir, name+".log"), stack.ChildEnv(c.cfg.Env), cmd[0], cmd[1:]...)
	if err != nil {
		return nil, err
	}
	return p, p.WaitHTTP(ctx, "http://"+addr+"/healthz", 30*time.Second)
}

// waitLog waits until the vote path's log is empty, so that no run pays for
// the flush of an earlier one.
func (c *comparison) waitLog(ctx context.Context) error {
	st, err := c.prizes.Check(ctx, "demo", "2m")
	if err != nil {
		return fmt.Errorf("naive compare: %w", err)
	}
	if st.Pending+st.Unread > 0 {
		c.rep.Problems = append(c.rep.Problems, fmt.Sprintf("%d log entries still unflushed before a run", st.Pending+st.Unread))
	}
	return nil
}

func (c *comparison) load(ctx context.Context, name, addr string, o loadtest.Options, w loadtest.Workload) (*loadtest.Result, error) {
	if err := c.waitLog(ctx); err != nil {
		return nil, err
	}
	o.Addr = addr
	res, err := loadtest.Run(ctx, o, w)
	if err != nil {
		return nil, fmt.Errorf("naive compare: run %s: %w", name, err)
	}
	c.logf("run %s: %.0f votes/s, %d answers, %d accepted, %d transport errors, p99 %.1f ms", name, res.AcceptedRate(),
		res.Answers(), res.AcceptedTotal(), res.TransportErrors, ms(res.Latency.Summary().P99))
	if res.Exhausted {
		c.rep.Problems = append(c.rep.Problems, fmt.Sprintf("run %s ran out of ballots; use more voters", name))
	}
	return res, nil
}

// measure is load with the CPU the run cost: server's, Redis's,
// PostgreSQL's, the generator's and the machine's.
func (c *comparison) measure(ctx context.Context, name, addr string, server *stack.Process, o loadtest.Options, w loadtest.Workload) (*loadtest.Result, RunCPU, error) {
	s := c.cpu()
	s.PIDs["server"] = server.PID()
	s.PIDs["generator"] = os.Getpid()
	before := s.Sample()
	res, err := c.load(ctx, name, addr, o, w)
	if err != nil {
		return nil, RunCPU{}, err
	}
	after := s.Sample()
	n := res.AcceptedTotal()
	cpu := RunCPU{
		Server: perItem(before, after, "server", n), Redis: perItem(before, after, "redis", n),
		Postgres: perItem(before, after, "postgres", n), Generator: perItem(before, after, "generator", n),
		Machine: perItem(before, after, "machine", n),
	}
	if res.Elapsed > 0 {
		cpu.BusyCores = stack.Cores(before, after, res.Elapsed.Seconds())["machine"]
	}
	return res, cpu, nil
}

func (c *comparison) teardown() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, p := range []*stack.Process{c.base, c.naive, c.serve} {
		if p != nil {
			p.Stop(10 * time.Second)
		}
	}
	if c.resetFsync {
		if err := c.alterSystem(ctx, "ALTER SYSTEM RESET fsync", ""); err != nil {
			c.rep.Problems = append(c.rep.Problems, err.Error())
		}
	}
	if err := stack.Teardown(ctx, c.db, c.redis, c.dir); err != nil {
		c.rep.Problems = append(c.rep.Problems, err.Error())
	}
}

func ratio(x, y float64) float64 {
	if y <= 0 {
		return 0
	}
	return x / y
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// setFsync sets the server's fsync as configured and records the setting
// the run measures with.
func (c *comparison) setFsync(ctx context.Context) error {
	switch c.cfg.Fsync {
	case "":
	case "on", "off":
		if err := c.alterSystem(ctx, "ALTER SYSTEM SET fsync = "+c.cfg.Fsync, c.cfg.Fsync); err != nil {
			return err
		}
		c.resetFsync = true
	default:
		return fmt.Errorf("naive compare: fsync %q: want on, off or empty", c.cfg.Fsync)
	}
	conn, err := pgx.Connect(ctx, c.db.URL)
	if err != nil {
		return fmt.Errorf("naive compare: %w", err)
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, "SHOW fsync").Scan(&c.rep.Fsync)
}

// alterSystem runs an ALTER SYSTEM statement, reloads the configuration
// and, when want is set, waits until new sessions see fsync = want: the
// reload reaches the server's processes asynchronously.
func (c *comparison) alterSystem(ctx context.Context, stmt, want string) error {
	conn, err := pgx.Connect(ctx, c.cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("naive compare: %s: %w", stmt, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("naive compare: %s: %w", stmt, err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return fmt.Errorf("naive compare: reload configuration: %w", err)
	}
	for deadline := time.Now().Add(5 * time.Second); want != ""; {
		fresh, err := pgx.Connect(ctx, c.cfg.DatabaseURL)
		if err != nil {
			return fmt.Errorf("naive compare: %w", err)
		}
		var got string
		err = fresh.QueryRow(ctx, "SHOW fsync").Scan(&got)
		fresh.Close(ctx)
		if err == nil && got == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("naive compare: fsync is %q after reload; want %q", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}
