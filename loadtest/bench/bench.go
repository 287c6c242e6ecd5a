// Package bench is the benchmark harness behind `make bench`: on one machine
// and in one run it measures the full vote path of the prizes binary against
// a plain Gin handler, then its latency at a fixed rate, the Redis memory a
// flushed vote leaves behind and whether every acknowledged vote reached the
// ledger. It starts everything it measures (a dedicated Redis, a fresh
// PostgreSQL database, the servers) and removes it afterwards.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsisvote/prizes/loadtest/stack"
)

// Config is what a benchmark needs. Env is read by the caller and passed
// in; the harness reads no environment of its own.
type Config struct {
	// Prizes is the prizes binary.
	Prizes string
	// Baseline is the command that serves the baseline handler; the harness
	// appends --addr HOST:PORT.
	Baseline []string
	// DatabaseURL is a PostgreSQL server on which the harness may create and
	// drop a database.
	DatabaseURL string
	// RedisServer is the redis-server binary to start a dedicated Redis
	// with. When empty, SharedRedisURL is used under a unique key prefix and
	// the memory figures are approximate.
	RedisServer    string
	SharedRedisURL string
	// Env is the environment children start from; PRIZES_* variables in it
	// are dropped.
	Env []string

	Edition      string
	Voters       int
	Workers      int
	Duration     time.Duration
	Warmup       time.Duration
	Pairs        int
	OpenDuration time.Duration
	OpenWorkers  int
	// Shards, when positive, is passed to prizes as PRIZES_SHARDS.
	Shards int
	// PrizesEnv are more PRIZES_*=value settings for every prizes command,
	// to measure a configuration other than the defaults.
	PrizesEnv []string
	Skew      float64
	Seed      uint64
	// Window is how many voters vote at the same time (see
	// loadtest.BallotOptions).
	Window int
	// IngestOnly adds to each pair a run against the vote path with its
	// flusher stopped, then measures how fast the flusher drains what that
	// run left: the ingest path alone, as when flushers run on other
	// machines, and the flush on its own.
	IngestOnly bool
	// CompareScorer adds to each pair a run of the vote path with the fraud
	// scorer off (every vote counted, as voting.CountAll does), so that the
	// scorer's CPU per vote shows against the same path without it.
	CompareScorer bool
	// FlushTimeout bounds the wait for the flusher to drain the vote log.
	FlushTimeout time.Duration
	// AckReplicas, when positive, gives the dedicated Redis a replica and
	// adds to each pair a run of the vote path with prizes'
	// --ack-replicas set to it, so that waiting for the replica shows
	// against the same path without waiting, with the same replica
	// attached. It needs RedisServer.
	AckReplicas int

	// Command is the command line recorded in the report.
	Command string
	// Log receives progress lines.
	Log io.Writer
	// TempDir is where the run keeps its files; the system's when empty.
	TempDir string
}

func (c *Config) defaults() {
	if c.Edition == "" {
		c.Edition = "demo"
	}
	if c.Voters <= 0 {
		c.Voters = 300_000
	}
	if c.Workers <= 0 {
		c.Workers = 256
	}
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Pairs <= 0 {
		c.Pairs = 3
	}
	if c.OpenDuration <= 0 {
		c.OpenDuration = 20 * time.Second
	}
	if c.OpenWorkers <= 0 {
		c.OpenWorkers = 256
	}
	if c.Skew <= 0 {
		c.Skew = 1
	}
	if c.Window <= 0 {
		c.Window = 1000
	}
	if c.FlushTimeout <= 0 {
		c.FlushTimeout = 3 * time.Minute
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	c.PrizesEnv = append(slices.Clone(DefaultPrizesEnv), c.PrizesEnv...)
}

// DefaultPrizesEnv are the settings the harness gives prizes besides where
// its stores are. The generator is a single client address sending tens of
// thousands of votes a second, which the per-address vote limit exists to
// refuse; it is turned off, while the per-account limit, which the voters
// stay within, remains on and is paid for on every vote like in production.
var DefaultPrizesEnv = []string{"PRIZES_LIMIT_VOTE_IP=off"}

// harness is the state of one benchmark run.
type harness struct {
	cfg    Config
	rep    *Report
	dir    string
	redis  redisServer
	db     *stack.Database
	prizes *stack.Prizes
	serve  *stack.Process
	base   *stack.Process
	cpu    *stack.CPUSampler
	prefix string
	// serveAddr and baseAddr are where the vote path and the baseline
	// listen.
	serveAddr, baseAddr string
	// env is the PRIZES_* configuration of every prizes command.
	env []string
	// restarts counts restarts of prizes serve, for its log file names.
	restarts int
	// lagSum adds up the flush lag histograms of the b runs.
	lagSum PromHistogram
	// replica is the dedicated Redis's replica, with Config.AckReplicas;
	// ack is the --ack-replicas prizes serve is started with.
	replica *stack.Redis
	ack     int
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.cfg.Log, "bench: "+format+"\n", args...)
}

// problem records something that went wrong without ending the run.
func (h *harness) problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	h.rep.Problems = append(h.rep.Problems, msg)
	h.logf("problem: %s", msg)
}

// Run runs the whole benchmark and returns its report. The report is
// returned, as far as it got, with any error.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	started := time.Now()
	h := &harness{cfg: cfg, rep: &Report{Date: started.UTC(), Command: cfg.Command}}
	h.rep.Machine = stack.ThisMachine()
	h.rep.Settings = Settings{
		Voters: cfg.Voters, Workers: cfg.Workers, Duration: cfg.Duration, Warmup: cfg.Warmup,
		Pairs: cfg.Pairs, OpenDuration: cfg.OpenDuration, OpenWorkers: cfg.OpenWorkers,
		Shards: cfg.Shards, Skew: cfg.Skew, Window: cfg.Window, IngestOnly: cfg.IngestOnly, CompareScorer: cfg.CompareScorer,
		PrizesEnv: cfg.PrizesEnv, GOMAXPROCS: runtime.GOMAXPROCS(0), AckReplicas: cfg.AckReplicas,
	}
	err := h.run(ctx)
	h.teardown()
	h.rep.Elapsed = time.Since(started)
	return h.rep, err
}

func (h *harness) run(ctx context.Context) error {
	cfg := h.cfg
	dir, err := os.MkdirTemp(cfg.TempDir, "prizes-bench-")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	h.dir = dir
	suffix := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	h.prefix = "bench" + suffix + ":"

	redisURL := cfg.SharedRedisURL
	if cfg.RedisServer != "" {
		h.logf("starting a dedicated redis-server")
		if h.redis.Redis, err = stack.StartRedis(ctx, cfg.RedisServer, dir); err != nil {
			return err
		}
		redisURL = h.redis.URL()
		h.rep.Memory.Dedicated = true
		if cfg.AckReplicas > 0 {
			h.logf("starting a replica of it")
			replicaDir := filepath.Join(dir, "replica")
			if err := os.Mkdir(replicaDir, 0o755); err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			if h.replica, err = stack.StartRedisReplica(ctx, cfg.RedisServer, replicaDir, h.redis.Redis); err != nil {
				return err
			}
		}
	} else if cfg.AckReplicas > 0 {
		return errors.New("bench: --ack-replicas needs a redis-server binary to start a Redis and its replica")
	} else if redisURL == "" {
		return errors.New("bench: no redis-server binary and no shared Redis URL")
	} else {
		h.problem("no redis-server binary: using the shared Redis %s, so memory figures include other users", redisURL)
		if h.redis.Redis, err = stack.ConnectRedis(redisURL); err != nil {
			return err
		}
	}
	h.rep.Machine.Redis = h.redis.Version(ctx)

	h.logf("creating a database")
	if h.db, err = stack.CreateDatabase(ctx, cfg.DatabaseURL, "bench_"); err != nil {
		return err
	}
	h.rep.Machine.Postgres = h.db.Version(ctx)
	env := []string{
		"PRIZES_DATABASE_URL=" + h.db.URL,
		"PRIZES_REDIS_URL=" + redisURL,
		"PRIZES_REDIS_PREFIX=" + h.prefix,
	}
	if cfg.Shards > 0 {
		env = append(env, "PRIZES_SHARDS="+strconv.Itoa(cfg.Shards))
	}
	for _, kv := range cfg.PrizesEnv {
		if !strings.HasPrefix(kv, "PRIZES_") || !strings.Contains(kv, "=") {
			return fmt.Errorf("bench: prizes setting %q is not PRIZES_NAME=value", kv)
		}
	}
	// Later settings win, so the caller's come after the harness's own.
	env = append(env, cfg.PrizesEnv...)
	h.env = env
	h.prizes = &stack.Prizes{Bin: cfg.Prizes, Env: stack.ChildEnv(cfg.Env, env...)}

	if err := h.prepare(ctx); err != nil {
		return err
	}
	if err := h.startServers(ctx); err != nil {
		return err
	}
	return h.measure(ctx)
}

// prepare migrates and seeds the database and creates the voters.
func (h *harness) prepare(ctx context.Context) error {
	t := time.Now()
	if _, _, err := h.prizes.Run(ctx, "migrate"); err != nil {
		return err
	}
	h.rep.Setup.Migrate = time.Since(t)
	t = time.Now()
	if _, _, err := h.prizes.Run(ctx, "seed", "--demo", "--phases=false", "--edition", h.cfg.Edition); err != nil {
		return err
	}
	h.rep.Setup.Seed = time.Since(t)
	h.logf("creating %d voters", h.cfg.Voters)
	t = time.Now()
	_, stderr, err := h.prizes.Run(ctx, "voters", "--edition", h.cfg.Edition,
		"--count", strconv.Itoa(h.cfg.Voters), "--out", filepath.Join(h.dir, "voters.tsv"))
	if err != nil {
		return err
	}
	h.rep.Setup.Voters = time.Since(t)
	h.rep.Setup.VotersPerSecond = float64(h.cfg.Voters) / h.rep.Setup.Voters.Seconds()
	h.rep.Setup.VotersReported = strings.TrimSpace(lastLine(stderr))
	h.logf("created %d voters in %s (%s)", h.cfg.Voters, h.rep.Setup.Voters.Round(time.Millisecond), h.rep.Setup.VotersReported)
	return nil
}

// startServers starts the vote path (prizes serve) and the baseline, each
// on its own free port.
func (h *harness) startServers(ctx context.Context) error {
	addr, err := stack.FreePort()
	if err != nil {
		return err
	}
	h.serveAddr = addr
	if err := h.startServe(ctx, true, true); err != nil {
		return err
	}
	baseAddr, err := stack.FreePort()
	if err != nil {
		return err
	}
	h.baseAddr = baseAddr
	h.logf("starting the baseline on %s", baseAddr)
	args := append(slices.Clone(h.cfg.Baseline[1:]), "--addr", baseAddr)
	if h.base, err = stack.Start("baseline", filepath.Join(h.dir, "baseline.log"), stack.ChildEnv(h.cfg.Env), h.cfg.Baseline[0], args...); err != nil {
		return err
	}
	if err := h.base.WaitHTTP(ctx, "http://"+baseAddr+"/healthz", 30*time.Second); err != nil {
		return err
	}
	h.cpu = &stack.CPUSampler{PIDs: map[string]int{
		"prizes serve": h.serve.PID(),
		"baseline":     h.base.PID(),
		"loadgen":      os.Getpid(),
	}}
	if h.redis.Dedicated() {
		h.cpu.PIDs["redis"] = h.redis.PID()
	}
	h.cpu.PostgresPort = stack.PortOf(h.cfg.DatabaseURL)
	return nil
}

// startServe starts prizes serve on h.serveAddr, with its flusher or
// without, with its fraud scorer or without, and waits until it is ready.
func (h *harness) startServe(ctx context.Context, flush, scorer bool) error {
	h.logf("starting prizes serve on %s (flusher %v, scorer %v, ack-replicas %d)", h.serveAddr, flush, scorer, h.ack)
	scoring := "PRIZES_FRAUD_SCORER=on"
	if !scorer {
		scoring = "PRIZES_FRAUD_SCORER=off"
	}
	env := stack.ChildEnv(h.cfg.Env, append(slices.Clone(h.env),
		"PRIZES_HTTP_ADDR="+h.serveAddr, "PRIZES_FLUSH="+strconv.FormatBool(flush), scoring,
		"PRIZES_ACK_REPLICAS="+strconv.Itoa(h.ack),
		// A fixed consumer name lets each new serve take over what the
		// previous one left pending, without waiting for the claim timeout.
		"PRIZES_CONSUMER=bench")...)
	h.restarts++
	logPath := filepath.Join(h.dir, fmt.Sprintf("serve-%d.log", h.restarts))
	var err error
	if h.serve, err = stack.Start("prizes serve", logPath, env, h.cfg.Prizes, "serve"); err != nil {
		return err
	}
	if err := h.serve.WaitHTTP(ctx, "http://"+h.serveAddr+"/readyz", time.Minute); err != nil {
		return err
	}
	if h.cpu != nil {
		h.cpu.PIDs["prizes serve"] = h.serve.PID()
	}
	return nil
}

// restartServe stops prizes serve, which first drains what its flusher
// holds, and starts it again with or without its flusher and scorer.
func (h *harness) restartServe(ctx context.Context, flush, scorer bool) error {
	if err := h.serve.Stop(30 * time.Second); err != nil {
		return fmt.Errorf("bench: restart prizes serve: %w: %s", err, h.serve.LogTail())
	}
	return h.startServe(ctx, flush, scorer)
}

// teardown stops everything the run started, in reverse order, and removes
// its files.
func (h *harness) teardown() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if h.base != nil {
		if err := h.base.Stop(5 * time.Second); err != nil {
			h.problem("stop baseline: %v", err)
		}
	}
	if h.serve != nil {
		if err := h.serve.Stop(20 * time.Second); err != nil {
			h.problem("stop prizes serve: %v: %s", err, h.serve.LogTail())
		}
	}
	if h.redis.Redis != nil && !h.redis.Dedicated() {
		h.redis.deletePrefix(ctx, h.prefix)
	}
	if h.replica != nil {
		h.replica.Stop()
	}
	if err := stack.Teardown(ctx, h.db, h.redis.Redis, h.dir); err != nil {
		h.problem("%v", err)
	}
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
