// Package fraudlive judges the fraud scorers on live traffic: it plays a
// labelled month from fraudgen, compressed into minutes, through prizes
// serve's real vote path on a deployment it starts for itself (a dedicated
// Redis, a fresh PostgreSQL database, prizes serve with the ingest scorer
// on), each vote from an address inside its generated network (sent as
// X-Forwarded-For by a trusted proxy), with its User-Agent and device hint
// and a token claiming its account's age, sign-in and email class. Once the
// log is flushed it maps every ledger vote back to its generated vote and
// label, and judges with fraudreport the statuses the ingest scorer
// recorded, then the batch analyser's recommendation on the live ledger
// (prizes fraud analyze --edition).
package fraudlive

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/loadtest/fraudgen"
	"github.com/wsisvote/prizes/loadtest/fraudreport"
	"github.com/wsisvote/prizes/loadtest/stack"
)

// Config is what a live run needs. The caller reads the environment and
// passes it in.
type Config struct {
	// Traffic shapes the generated month (fraudgen.Scaled for a volume).
	Traffic fraudgen.Config
	// Play is how long the month takes to play in real time.
	Play time.Duration
	// Workers is how many requests may be in flight at once.
	Workers int
	// Prizes is the prizes binary.
	Prizes string
	// DatabaseURL is a PostgreSQL server on which a database may be created
	// and dropped.
	DatabaseURL string
	// RedisServer is the redis-server binary of the dedicated Redis.
	RedisServer string
	// Env is the environment children start from; PRIZES_* variables in it
	// are dropped.
	Env []string
	// Targets are what the report holds the scorers to.
	Targets fraudreport.Targets
	// Command is the command line recorded in the report.
	Command string
	// Log receives progress lines.
	Log io.Writer
	// TempDir is where the run keeps its files; the system's when empty.
	TempDir string
}

// run is the state of one live run.
type run struct {
	cfg    Config
	rep    *Report
	dir    string
	redis  *stack.Redis
	db     *stack.Database
	prizes *stack.Prizes
	serve  *stack.Process
	base   string

	votes  []antifraud.Vote
	labels []antifraud.Label
	// reached is each generated vote's ingest status, "" for one that did
	// not reach the ledger.
	reached []string
}

func (r *run) logf(format string, args ...any) {
	fmt.Fprintf(r.cfg.Log, "fraud-live: "+format+"\n", args...)
}

// Run generates the traffic, plays it and judges the scorers. It returns
// the report as far as it got, with any error.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 64
	}
	if cfg.Targets == (fraudreport.Targets{}) {
		cfg.Targets = fraudreport.DefaultTargets()
	}
	r := &run{cfg: cfg, rep: &Report{Command: cfg.Command, Date: time.Now().UTC(), Seed: cfg.Traffic.Seed,
		Play: cfg.Play, Machine: stack.ThisMachine()}}
	err := r.run(ctx)
	if terr := stack.Teardown(context.WithoutCancel(ctx), r.db, r.redis, r.dir); terr != nil && err == nil {
		err = fmt.Errorf("fraud-live: %w", terr)
	}
	return r.rep, err
}

func (r *run) run(ctx context.Context) error {
	if err := r.generate(); err != nil {
		return err
	}
	if err := r.provision(ctx); err != nil {
		return err
	}
	defer r.serve.Stop(30 * time.Second)
	voters, clock, err := r.createVoters(ctx)
	if err != nil {
		return err
	}
	r.rep.Clock = clock
	r.logf("playing %d votes of %d accounts in %s (%.0f generated seconds a second)", len(r.votes), len(voters), r.cfg.Play, clock.Factor)
	sent, err := play(ctx, r.base, r.cfg.Traffic.Edition, r.votes, voters, clock, r.cfg.Workers, NewAddresses())
	r.rep.Sent = sent
	if err != nil {
		return err
	}
	r.logf("sent %d votes: %d answered 202, %d otherwise; waiting for the flush", sent.Votes, sent.Accepted, sent.Votes-sent.Accepted)
	check, err := r.prizes.Check(ctx, r.cfg.Traffic.Edition, "2m")
	if err != nil {
		return fmt.Errorf("fraud-live: %w", err)
	}
	if !check.Converged {
		return fmt.Errorf("fraud-live: the live tally did not converge with the ledger: %+v", check)
	}
	return r.judge(ctx, voters)
}

// generate draws the traffic and reads it back as votes and labels.
func (r *run) generate() error {
	t, err := fraudgen.Generate(r.cfg.Traffic)
	if err != nil {
		return fmt.Errorf("fraud-live: %w", err)
	}
	var vb, lb bytes.Buffer
	if err := t.WriteVotes(&vb); err != nil {
		return err
	}
	if err := t.WriteLabels(&lb); err != nil {
		return err
	}
	err = fraudreport.Lines(&vb, func(line []byte) error {
		var v antifraud.Vote
		if err := json.Unmarshal(line, &v); err != nil {
			return err
		}
		r.votes = append(r.votes, v)
		return nil
	})
	if err != nil {
		return fmt.Errorf("fraud-live: generated votes: %w", err)
	}
	err = fraudreport.Lines(&lb, func(line []byte) error {
		var l antifraud.Label
		if err := json.Unmarshal(line, &l); err != nil {
			return err
		}
		r.labels = append(r.labels, l)
		return nil
	})
	if err != nil {
		return fmt.Errorf("fraud-live: generated labels: %w", err)
	}
	if len(r.labels) != len(r.votes) {
		return fmt.Errorf("fraud-live: %d labels for %d votes", len(r.labels), len(r.votes))
	}
	s := t.Summary()
	r.rep.Traffic = s.Markdown()
	r.rep.Length = time.Duration(r.cfg.Traffic.Days) * 24 * time.Hour
	return nil
}

// provision starts Redis, creates the database, migrates, seeds the
// edition the traffic's project ids come from, and starts prizes serve with
// the ingest scorer on and no limit that would refuse the traffic's votes.
func (r *run) provision(ctx context.Context) error {
	cfg := r.cfg
	dir, err := os.MkdirTemp(cfg.TempDir, "prizes-fraud-live-")
	if err != nil {
		return fmt.Errorf("fraud-live: %w", err)
	}
	r.dir = dir
	if r.redis, err = stack.StartRedis(ctx, cfg.RedisServer, dir); err != nil {
		return fmt.Errorf("fraud-live: %w", err)
	}
	if r.db, err = stack.CreateDatabase(ctx, cfg.DatabaseURL, "fraudlive_"); err != nil {
		return fmt.Errorf("fraud-live: %w", err)
	}
	addr, err := stack.FreePort()
	if err != nil {
		return fmt.Errorf("fraud-live: %w", err)
	}
	env := stack.ChildEnv(cfg.Env, serveEnv...)
	env = append(env, "PRIZES_DATABASE_URL="+r.db.URL, "PRIZES_REDIS_URL="+r.redis.URL(), "PRIZES_HTTP_ADDR="+addr)
	r.prizes = &stack.Prizes{Bin: cfg.Prizes, Env: env}
	if _, _, err := r.prizes.Run(ctx, "migrate"); err != nil {
		return err
	}
	if _, _, err := r.prizes.Run(ctx, "seed", "--demo", "--phases=false", "--edition", cfg.Traffic.Edition,
		"--nominees", strconv.Itoa(cfg.Traffic.Nominees)); err != nil {
		return err
	}
	r.serve, err = stack.Start("prizes serve", filepath.Join(dir, "serve.log"), env, cfg.Prizes, "serve")
	if err != nil {
		return fmt.Errorf("fraud-live: %w", err)
	}
	r.base = "http://" + addr
	if err := r.serve.WaitHTTP(ctx, r.base+"/readyz", time.Minute); err != nil {
		r.serve.Stop(5 * time.Second)
		return fmt.Errorf("fraud-live: %w", err)
	}
	return nil
}

// serveEnv is prizes serve's configuration for the play: the client's
// address comes from X-Forwarded-For, as behind the reverse proxy of a
// deployment; the ingest scorer is on; the per-address and per-account
// vote limits are off, since a farm's votes must reach the scorer to be
// judged, and so is the scheduled analysis, which the judge runs itself
// once the play is over.
var serveEnv = []string{
	"PRIZES_REDIS_PREFIX=fraudlive:",
	"PRIZES_TRUSTED_PROXIES=127.0.0.1",
	"PRIZES_FRAUD_SCORER=on",
	"PRIZES_FRAUD_ANALYZE_EVERY=0",
	"PRIZES_LIMIT_VOTE_IP=off",
	"PRIZES_LIMIT_VOTE_ACCOUNT=off",
}

// createVoters fixes when the play starts, writes the accounts' facts on
// its clock, creates them with prizes voters --facts, waits for the start,
// and returns each generated voter's token and ledger id.
func (r *run) createVoters(ctx context.Context) (map[int64]Voter, Clock, error) {
	// The accounts' creation times are set from the play's start, so the
	// start is fixed first, leaving time to create them.
	lead := 5*time.Second + time.Duration(len(r.votes))*50*time.Microsecond
	clock, err := NewClock(r.cfg.Traffic.Start, r.rep.Length, time.Now().Add(lead), r.cfg.Play)
	if err != nil {
		return nil, clock, fmt.Errorf("fraud-live: %w", err)
	}
	accounts := Accounts(r.votes, clock)
	factsPath := filepath.Join(r.dir, "facts.jsonl")
	if err := writeJSONLines(factsPath, accounts); err != nil {
		return nil, clock, err
	}
	out := filepath.Join(r.dir, "voters.tsv")
	if _, _, err := r.prizes.Run(ctx, "voters", "--edition", r.cfg.Traffic.Edition, "--facts", factsPath, "--out", out); err != nil {
		return nil, clock, err
	}
	voters, err := readVoters(out)
	if err != nil {
		return nil, clock, err
	}
	if len(voters) != len(accounts) {
		return nil, clock, fmt.Errorf("fraud-live: %d voters created for %d accounts", len(voters), len(accounts))
	}
	if late := time.Since(clock.Play); late > 0 {
		// Every account is then older by late at its votes than the
		// generator meant; the report says by how much.
		r.rep.Late = late
		r.logf("the accounts took %s longer to create than planned", late.Round(time.Millisecond))
	} else {
		select {
		case <-time.After(-late):
		case <-ctx.Done():
			return nil, clock, ctx.Err()
		}
	}
	return voters, clock, nil
}

// Voter is a generated voter's account in the deployment.
type Voter struct {
	ID    int64
	Token string
}

// readVoters reads the voter_id<TAB>token<TAB>key lines of prizes voters
// --facts, by key.
func readVoters(path string) (map[int64]Voter, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fraud-live: %w", err)
	}
	defer f.Close()
	out := map[int64]Voter{}
	err = fraudreport.Lines(f, func(line []byte) error {
		parts := strings.Split(string(line), "\t")
		if len(parts) != 3 {
			return fmt.Errorf("want voter_id<TAB>token<TAB>key")
		}
		id, err := strconv.ParseInt(parts[0], 10, 64)
		if err != nil {
			return fmt.Errorf("voter id: %w", err)
		}
		key, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil {
			return fmt.Errorf("key: %w", err)
		}
		out[key] = Voter{ID: id, Token: parts[1]}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fraud-live: %s: %w", path, err)
	}
	return out, nil
}

// writeJSONLines writes each item of items as one line of JSON to path.
func writeJSONLines[T any](path string, items []T) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("fraud-live: %w", err)
	}
	bw := bufio.NewWriter(f)
	enc := json.NewEncoder(bw)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			f.Close()
			return fmt.Errorf("fraud-live: %s: %w", path, err)
		}
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("fraud-live: %s: %w", path, err)
	}
	return f.Close()
}
