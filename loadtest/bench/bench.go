// Package bench is the benchmark harness behind `make bench`: on one machine
// and in one run it measures the full vote path of the prizes binary against
// a plain Gin handler, then its latency at a fixed rate, the Redis memory a
// flushed vote leaves behind and whether every acknowledged vote reached the
// ledger. It starts everything it measures (a dedicated Redis, a fresh
// PostgreSQL database, the servers) and removes it afterwards.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsisvote/prizes/loadtest"
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
	// FlushTimeout bounds the wait for the flusher to drain the vote log.
	FlushTimeout time.Duration

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
		c.Voters = 100_000
	}
	if c.Workers <= 0 {
		c.Workers = 64
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
}

// harness is the state of one benchmark run.
type harness struct {
	cfg    Config
	rep    *Report
	dir    string
	redis  *redisServer
	db     *database
	prizes *prizesCmd
	serve  *process
	base   *process
	cpu    *cpuSampler
	prefix string
	// serveAddr and baseAddr are where the vote path and the baseline
	// listen.
	serveAddr, baseAddr string
	// env is the PRIZES_* configuration of every prizes command.
	env []string
	// restarts counts restarts of prizes serve, for its log file names.
	restarts int
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
	h.rep.Machine = machine()
	h.rep.Settings = Settings{
		Voters: cfg.Voters, Workers: cfg.Workers, Duration: cfg.Duration, Warmup: cfg.Warmup,
		Pairs: cfg.Pairs, OpenDuration: cfg.OpenDuration, OpenWorkers: cfg.OpenWorkers,
		Shards: cfg.Shards, Skew: cfg.Skew, Window: cfg.Window, IngestOnly: cfg.IngestOnly,
		PrizesEnv: cfg.PrizesEnv, GOMAXPROCS: runtime.GOMAXPROCS(0),
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
		if h.redis, err = startRedis(ctx, cfg.RedisServer, dir); err != nil {
			return err
		}
		redisURL = h.redis.url()
		h.rep.Memory.Dedicated = true
	} else if redisURL == "" {
		return errors.New("bench: no redis-server binary and no shared Redis URL")
	} else {
		h.problem("no redis-server binary: using the shared Redis %s, so memory figures include other users", redisURL)
		if h.redis, err = sharedRedis(redisURL); err != nil {
			return err
		}
	}
	if v, err := h.redis.info(ctx, "server"); err == nil {
		h.rep.Machine.Redis = v["redis_version"]
	}

	h.logf("creating a database")
	if h.db, err = createDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	if v, err := h.db.version(ctx); err == nil {
		h.rep.Machine.Postgres = v
	}
	env := []string{
		"PRIZES_DATABASE_URL=" + h.db.url,
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
		env = append(env, kv)
	}
	h.env = env
	h.prizes = &prizesCmd{bin: cfg.Prizes, env: childEnv(cfg.Env, env...)}

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
	if _, _, err := h.prizes.run(ctx, "migrate"); err != nil {
		return err
	}
	h.rep.Setup.Migrate = time.Since(t)
	t = time.Now()
	if _, _, err := h.prizes.run(ctx, "seed", "--demo", "--edition", h.cfg.Edition); err != nil {
		return err
	}
	h.rep.Setup.Seed = time.Since(t)
	h.logf("creating %d voters", h.cfg.Voters)
	t = time.Now()
	_, stderr, err := h.prizes.run(ctx, "voters", "--edition", h.cfg.Edition,
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
	addr, err := freePort()
	if err != nil {
		return err
	}
	h.serveAddr = addr
	if err := h.startServe(ctx, true); err != nil {
		return err
	}
	baseAddr, err := freePort()
	if err != nil {
		return err
	}
	h.baseAddr = baseAddr
	h.logf("starting the baseline on %s", baseAddr)
	args := append(slices.Clone(h.cfg.Baseline[1:]), "--addr", baseAddr)
	if h.base, err = start("baseline", filepath.Join(h.dir, "baseline.log"), childEnv(h.cfg.Env), h.cfg.Baseline[0], args...); err != nil {
		return err
	}
	if err := h.base.waitHTTP(ctx, "http://"+baseAddr+"/healthz", 30*time.Second); err != nil {
		return err
	}
	h.cpu = &cpuSampler{pids: map[string]int{
		"prizes serve": h.serve.pid(),
		"baseline":     h.base.pid(),
		"loadgen":      os.Getpid(),
	}}
	if h.redis.proc != nil {
		h.cpu.pids["redis"] = h.redis.proc.pid()
	}
	h.cpu.pgPort = portOf(h.cfg.DatabaseURL)
	return nil
}

// startServe starts prizes serve on h.serveAddr, with its flusher or
// without, and waits until it is ready.
func (h *harness) startServe(ctx context.Context, flush bool) error {
	h.logf("starting prizes serve on %s (flusher %v)", h.serveAddr, flush)
	env := childEnv(h.cfg.Env, append(slices.Clone(h.env),
		"PRIZES_HTTP_ADDR="+h.serveAddr, "PRIZES_FLUSH="+strconv.FormatBool(flush),
		// A fixed consumer name lets each new serve take over what the
		// previous one left pending, without waiting for the claim timeout.
		"PRIZES_CONSUMER=bench")...)
	h.restarts++
	logPath := filepath.Join(h.dir, fmt.Sprintf("serve-%d.log", h.restarts))
	var err error
	if h.serve, err = start("prizes serve", logPath, env, h.cfg.Prizes, "serve"); err != nil {
		return err
	}
	if err := h.serve.waitHTTP(ctx, "http://"+h.serveAddr+"/readyz", time.Minute); err != nil {
		return err
	}
	if h.cpu != nil {
		h.cpu.pids["prizes serve"] = h.serve.pid()
	}
	return nil
}

// restartServe stops prizes serve, which first drains what its flusher
// holds, and starts it again with or without its flusher.
func (h *harness) restartServe(ctx context.Context, flush bool) error {
	if err := h.serve.stop(30 * time.Second); err != nil {
		return fmt.Errorf("bench: restart prizes serve: %w: %s", err, h.serve.logTail())
	}
	return h.startServe(ctx, flush)
}

// measure runs the load and the checks after it.
func (h *harness) measure(ctx context.Context) error {
	cfg := h.cfg
	serveURL := "http://" + h.serveAddr
	projects, err := loadtest.FetchProjects(ctx, http.DefaultClient, serveURL, cfg.Edition)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	voters, err := loadtest.LoadVoters(filepath.Join(h.dir, "voters.tsv"))
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	opts := loadtest.BallotOptions{Skew: cfg.Skew, Seed: cfg.Seed, Window: cfg.Window}
	ballots, err := loadtest.NewBallots(voters, projects, opts)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	// The baseline draws from a ballot sequence of its own, repeated as
	// often as it needs: it records nothing, and each of the vote path's
	// ballots must be cast once.
	repeat := opts
	repeat.Repeat = true
	baseBallots, err := loadtest.NewBallots(voters, projects, repeat)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	h.rep.Settings.Categories = len(ballots.Categories())
	h.rep.Settings.Projects = len(projects)

	votePath, err := loadtest.ParseTarget(serveURL, cfg.Edition)
	if err != nil {
		return err
	}
	baseline, err := loadtest.ParseTarget("http://"+h.baseAddr, cfg.Edition)
	if err != nil {
		return err
	}
	votes := loadtest.NewVotes(votePath, ballots)
	baseVotes := loadtest.NewVotes(baseline, baseBallots)

	before, err := h.redis.memory(ctx)
	if err != nil {
		return err
	}
	h.rep.Memory.Before, h.rep.Memory.DatasetBefore = before.Used, before.Dataset

	// acc sums the 202s of every vote path run, warm-up included, for the
	// correctness check.
	acc := loadtest.NewStats()
	closed := loadtest.Options{Workers: cfg.Workers, Duration: cfg.Duration, KeepReceipts: true}

	if cfg.Warmup > 0 {
		warm := closed
		warm.Duration = cfg.Warmup
		if _, err := h.load(ctx, "warm-up a", "baseline", baseline.Addr, warm, baseVotes, nil); err != nil {
			return err
		}
		if _, err := h.load(ctx, "warm-up b", "vote path", votePath.Addr, warm, votes, acc); err != nil {
			return err
		}
	}
	for i := 1; i <= cfg.Pairs; i++ {
		o := closed
		a, err := h.load(ctx, fmt.Sprintf("a%d", i), "baseline", baseline.Addr, o, baseVotes, nil)
		if err != nil {
			return err
		}
		b, err := h.load(ctx, fmt.Sprintf("b%d", i), "vote path", votePath.Addr, o, votes, acc)
		if err != nil {
			return err
		}
		p := Pair{Baseline: a.AcceptedPerS, VotePath: b.AcceptedPerS, Ratio: ratio(b.AcceptedPerS, a.AcceptedPerS)}
		if cfg.IngestOnly {
			if err := h.restartServe(ctx, false); err != nil {
				return err
			}
			in, err := h.load(ctx, fmt.Sprintf("i%d", i), "ingest only", votePath.Addr, o, votes, acc)
			if err != nil {
				return err
			}
			p.IngestOnly, p.IngestRatio = in.AcceptedPerS, ratio(in.AcceptedPerS, a.AcceptedPerS)
			if p.Drain, err = h.drain(ctx); err != nil {
				return err
			}
		}
		h.rep.Pairs = append(h.rep.Pairs, p)
		h.logf("pair %d: baseline %.0f votes/s, vote path %.0f votes/s, ratio %.2f; ingest only %.0f votes/s, ratio %.2f; drain %.0f votes/s",
			i, p.Baseline, p.VotePath, p.Ratio, p.IngestOnly, p.IngestRatio, p.Drain.Rate)
	}
	var as, bs, rs, is, irs, ds []float64
	for _, p := range h.rep.Pairs {
		as, bs, rs = append(as, p.Baseline), append(bs, p.VotePath), append(rs, p.Ratio)
		is, irs, ds = append(is, p.IngestOnly), append(irs, p.IngestRatio), append(ds, p.Drain.Rate)
	}
	h.rep.MedianBaseline, h.rep.MedianVotePath, h.rep.MedianRatio = median(as), median(bs), median(rs)
	if cfg.IngestOnly {
		h.rep.MedianIngestOnly, h.rep.MedianIngestRatio, h.rep.MedianDrain = median(is), median(irs), median(ds)
	}

	if rate := h.rep.MedianVotePath / 2; rate > 0 {
		o := loadtest.Options{Workers: cfg.OpenWorkers, Rate: rate, Duration: cfg.OpenDuration, KeepReceipts: true}
		r, err := h.load(ctx, "open", "vote path", votePath.Addr, o, votes, acc)
		if err != nil {
			return err
		}
		h.rep.Open = &r
	} else {
		h.problem("the vote path accepted nothing; the open loop was skipped")
	}
	h.logf("%d of %d ballots used", ballots.Used(), ballots.Len())

	if err := h.checkFlush(ctx, acc); err != nil {
		return err
	}
	if err := h.checkMemory(ctx, acc.AcceptedTotal()); err != nil {
		return err
	}
	return h.checkLedger(ctx, acc)
}

// drain restarts prizes serve with its flusher and measures how fast it
// empties the vote log that a run without flusher filled. The time includes
// the start of the process, so the rate errs low.
func (h *harness) drain(ctx context.Context) (Drain, error) {
	st, err := h.check(ctx, 0)
	if err != nil {
		return Drain{}, err
	}
	d := Drain{Votes: st.Pending + st.Unread}
	h.logf("draining %d votes", d.Votes)
	t := time.Now()
	if err := h.restartServe(ctx, true); err != nil {
		return Drain{}, err
	}
	for {
		st, err := h.check(ctx, h.cfg.FlushTimeout)
		if err != nil {
			return Drain{}, err
		}
		if st.Pending+st.Unread == 0 {
			break
		}
		if time.Since(t) > h.cfg.FlushTimeout {
			return Drain{}, fmt.Errorf("bench: drain: %d votes still in the log after %s", st.Pending+st.Unread, h.cfg.FlushTimeout)
		}
	}
	d.Elapsed = time.Since(t)
	d.Rate = float64(d.Votes) / d.Elapsed.Seconds()
	h.logf("drained %d votes in %s: %.0f votes/s", d.Votes, d.Elapsed.Round(time.Millisecond), d.Rate)
	return d, nil
}

// checkResult is the part of prizes check's output the harness reads.
type checkResult struct {
	Converged   bool  `json:"converged"`
	Pending     int64 `json:"pending"`
	Unread      int64 `json:"unread"`
	LiveTotal   int64 `json:"live_total"`
	LedgerTotal int64 `json:"ledger_total"`
}

// check runs prizes check, which waits up to wait for the vote log to drain
// and then compares the live counters with the ledger. A difference is not
// an error here: the caller decides what it means.
func (h *harness) check(ctx context.Context, wait time.Duration) (checkResult, error) {
	stdout, _, err := h.prizes.run(ctx, "check", "--edition", h.cfg.Edition, "--wait", wait.String())
	var out checkResult
	if jerr := json.Unmarshal(stdout, &out); jerr != nil {
		return out, fmt.Errorf("bench: check: %w (%v)", jerr, err)
	}
	return out, nil
}

func ratio(x, y float64) float64 {
	if y <= 0 {
		return 0
	}
	return x / y
}

// load runs one measured run with live progress, records it in the report
// and adds its 202s to acc when acc is set.
func (h *harness) load(ctx context.Context, name, target, addr string, o loadtest.Options, w loadtest.Workload, acc *loadtest.Stats) (RunReport, error) {
	o.Addr = addr
	o.Live = &loadtest.Live{}
	desc := "closed loop, " + strconv.Itoa(o.Workers) + " connections"
	if o.Rate > 0 {
		desc = fmt.Sprintf("open loop at %.0f req/s, up to %d connections", o.Rate, o.Workers)
	}
	h.logf("run %s: %s, %s for %s", name, target, desc, o.Duration)
	pctx, stop := context.WithCancel(ctx)
	go loadtest.Progress(pctx, h.cfg.Log, name, o.Live, time.Second)
	cpu0, t0 := h.cpu.sample(), time.Now()
	res, err := loadtest.Run(ctx, o, w)
	cpu := cpu0.diff(h.cpu.sample(), time.Since(t0).Seconds())
	stop()
	if err != nil {
		return RunReport{}, fmt.Errorf("bench: run %s: %w", name, err)
	}
	if acc != nil {
		acc.Merge(&res.Stats)
	}
	r := runReport(name, target, o, res, cpu)
	h.logf("run %s: %.0f votes/s, %d requests, %d accepted, %d transport errors, latency %s",
		name, r.AcceptedPerS, r.Requests, r.Accepted, r.TransportErrors, r.Latency)
	if r.Exhausted {
		h.problem("run %s ran out of ballots; use more voters", name)
	}
	if !strings.HasPrefix(name, "warm-up") {
		h.rep.Runs = append(h.rep.Runs, r)
	}
	return r, nil
}

// checkFlush waits until the flusher has drained the vote log and the live
// counters agree with the ledger, as prizes check reports.
func (h *harness) checkFlush(ctx context.Context, acc *loadtest.Stats) error {
	h.logf("waiting for the flush")
	t := time.Now()
	deadline := t.Add(h.cfg.FlushTimeout)
	var out checkResult
	for {
		var err error
		if out, err = h.check(ctx, 30*time.Second); err != nil {
			return err
		}
		if out.Converged && out.Pending+out.Unread == 0 && out.LedgerTotal >= acc.AcceptedTotal() {
			break
		}
		if time.Now().After(deadline) {
			h.problem("the flush did not finish in %s: pending %d, unread %d, ledger %d of %d accepted",
				h.cfg.FlushTimeout, out.Pending, out.Unread, out.LedgerTotal, acc.AcceptedTotal())
			break
		}
		time.Sleep(time.Second)
	}
	c := &h.rep.Correctness
	c.FlushWait = time.Since(t)
	c.Converged = out.Converged
	c.LiveTotal = out.LiveTotal
	h.logf("flushed in %s: ledger %d, live %d", c.FlushWait.Round(time.Millisecond), out.LedgerTotal, out.LiveTotal)
	return nil
}

// checkMemory measures what the votes left in Redis once flushed.
func (h *harness) checkMemory(ctx context.Context, votes int64) error {
	// Clients that were busy during the load hold buffers that Redis shrinks
	// once they are idle; a short pause keeps those out of the figure.
	time.Sleep(2 * time.Second)
	after, err := h.redis.memory(ctx)
	if err != nil {
		return err
	}
	m := &h.rep.Memory
	m.After, m.DatasetAfter = after.Used, after.Dataset
	m.Delta = m.After - m.Before
	m.Votes = votes
	if votes > 0 {
		m.BytesPerVote = float64(m.Delta) / float64(votes)
	}
	if m.Keys, err = h.redis.keyClasses(ctx, h.prefix); err != nil {
		h.problem("%v", err)
	}
	h.logf("redis: used_memory %d -> %d bytes, %.2f bytes per accepted vote", m.Before, m.After, m.BytesPerVote)
	return nil
}

// checkLedger compares the 202s with prizes recount, per project, and looks
// up every receipt in the ledger.
func (h *harness) checkLedger(ctx context.Context, acc *loadtest.Stats) error {
	stdout, _, err := h.prizes.run(ctx, "recount", "--edition", h.cfg.Edition)
	if err != nil {
		return err
	}
	var rc struct {
		Projects []struct {
			ProjectID string `json:"project_id"`
			Votes     int64  `json:"votes"`
		} `json:"projects"`
		Total int64 `json:"total"`
	}
	if err := json.Unmarshal(stdout, &rc); err != nil {
		return fmt.Errorf("bench: recount output: %w", err)
	}
	c := &h.rep.Correctness
	c.Accepted = acc.AcceptedTotal()
	c.LedgerTotal = rc.Total
	c.TransportErrors = acc.TransportErrors
	recounted := map[string]int64{}
	for _, p := range rc.Projects {
		recounted[p.ProjectID] += p.Votes
	}
	ids := map[string]bool{}
	for id := range recounted {
		ids[id] = true
	}
	for id := range acc.Accepted {
		ids[id] = true
	}
	c.ProjectsCompared = len(ids)
	c.Mismatches = []ProjectMismatch{}
	for id := range ids {
		if acc.Accepted[id] != recounted[id] {
			c.Mismatches = append(c.Mismatches, ProjectMismatch{ProjectID: id, Accepted: acc.Accepted[id], Recounted: recounted[id]})
		}
	}
	slices.SortFunc(c.Mismatches, func(a, b ProjectMismatch) int { return strings.Compare(a.ProjectID, b.ProjectID) })

	c.Receipts = int64(len(acc.Receipts))
	unique := map[string]struct{}{}
	for _, r := range acc.Receipts {
		unique[r] = struct{}{}
	}
	c.UniqueReceipts = int64(len(unique))
	if c.ReceiptsInLedger, err = h.db.receiptsInLedger(ctx, h.cfg.Edition, acc.Receipts); err != nil {
		h.problem("%v", err)
	}
	c.OK = c.Accepted == c.LedgerTotal && len(c.Mismatches) == 0 && c.Converged &&
		c.Receipts == c.Accepted && c.UniqueReceipts == c.Receipts && c.ReceiptsInLedger == c.Receipts
	h.logf("correctness: %d accepted, %d in the ledger, %d project mismatches, %d of %d receipts found: ok=%v",
		c.Accepted, c.LedgerTotal, len(c.Mismatches), c.ReceiptsInLedger, c.Receipts, c.OK)
	return nil
}

// teardown stops everything the run started, in reverse order, and removes
// its files.
func (h *harness) teardown() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if h.base != nil {
		if err := h.base.stop(5 * time.Second); err != nil {
			h.problem("stop baseline: %v", err)
		}
	}
	if h.serve != nil {
		if err := h.serve.stop(20 * time.Second); err != nil {
			h.problem("stop prizes serve: %v: %s", err, h.serve.logTail())
		}
	}
	if h.db != nil {
		if err := h.db.drop(ctx); err != nil {
			h.problem("%v", err)
		}
	}
	if h.redis != nil {
		if h.redis.proc == nil {
			h.redis.deletePrefix(ctx, h.prefix)
		}
		h.redis.stop()
	}
	if h.dir != "" {
		os.RemoveAll(h.dir)
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// portOf returns the port of a database URL, "5432" when it names none.
func portOf(dsn string) string {
	s := dsn
	if _, rest, ok := strings.Cut(s, "@"); ok {
		s = rest
	} else if _, rest, ok := strings.Cut(s, "://"); ok {
		s = rest
	}
	s, _, _ = strings.Cut(s, "/")
	if _, port, ok := strings.Cut(s, ":"); ok {
		return port
	}
	return "5432"
}

// machine describes this machine.
func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	return m
}
