package bench

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/wsisvote/prizes/loadtest"
	"github.com/wsisvote/prizes/loadtest/stack"
)

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
	// Receipts are kept in every run, the baseline's too, so that the client
	// does the same work whichever target it measures.
	closed := loadtest.Options{Workers: cfg.Workers, Duration: cfg.Duration, KeepReceipts: true}

	if cfg.Warmup > 0 {
		warm := closed
		warm.Duration = cfg.Warmup
		if _, err := h.load(ctx, runSpec{name: "warm-up a", target: "baseline", addr: baseline.Addr,
			opts: warm, work: baseVotes, flushing: true, warmUp: true}); err != nil {
			return err
		}
		if _, err := h.load(ctx, runSpec{name: "warm-up b", target: "vote path", addr: votePath.Addr,
			opts: warm, work: votes, acc: acc, flushing: true, warmUp: true}); err != nil {
			return err
		}
	}
	for i := 1; i <= cfg.Pairs; i++ {
		o := closed
		a, err := h.load(ctx, runSpec{name: fmt.Sprintf("a%d", i), target: "baseline", addr: baseline.Addr,
			opts: o, work: baseVotes, flushing: true})
		if err != nil {
			return err
		}
		b, err := h.load(ctx, runSpec{name: fmt.Sprintf("b%d", i), target: "vote path", addr: votePath.Addr,
			opts: o, work: votes, acc: acc, flushing: true, votePath: true, observe: true})
		if err != nil {
			return err
		}
		p := Pair{Baseline: a.AcceptedPerS, VotePath: b.AcceptedPerS, Ratio: ratio(b.AcceptedPerS, a.AcceptedPerS)}
		if cfg.AckReplicas > 0 {
			if err := h.ackRun(ctx, i, o, b, &p, runSpec{target: "vote path, ack-replicas", addr: votePath.Addr,
				opts: o, work: votes, acc: acc, flushing: true, votePath: true}); err != nil {
				return err
			}
		}
		if cfg.CompareScorer {
			if err := h.restartServe(ctx, true, false); err != nil {
				return err
			}
			c, err := h.load(ctx, runSpec{name: fmt.Sprintf("c%d", i), target: "vote path, scorer off", addr: votePath.Addr,
				opts: o, work: votes, acc: acc, flushing: true, votePath: true})
			if err != nil {
				return err
			}
			p.ScorerOff = c.AcceptedPerS
			p.ServeCPUOn, p.ServeCPUOff = serveMicrosPerVote(b), serveMicrosPerVote(c)
			p.ScorerCost = ratio(p.ServeCPUOn, p.ServeCPUOff) - 1
			if !cfg.IngestOnly {
				if err := h.restartServe(ctx, true, true); err != nil {
					return err
				}
			}
		}
		if cfg.IngestOnly {
			if err := h.restartServe(ctx, false, true); err != nil {
				return err
			}
			in, err := h.load(ctx, runSpec{name: fmt.Sprintf("i%d", i), target: "ingest only", addr: votePath.Addr,
				opts: o, work: votes, acc: acc, votePath: true})
			if err != nil {
				return err
			}
			p.IngestOnly, p.IngestRatio = in.AcceptedPerS, ratio(in.AcceptedPerS, a.AcceptedPerS)
			if p.Drain, err = h.drain(ctx); err != nil {
				return err
			}
		}
		h.rep.Pairs = append(h.rep.Pairs, p)
		h.logf("pair %d: baseline %.0f votes/s, vote path %.0f votes/s, ratio %.2f", i, p.Baseline, p.VotePath, p.Ratio)
		if cfg.CompareScorer {
			h.logf("pair %d: prizes serve CPU per vote, scorer on %.1f µs, off %.1f µs (%+.1f%%)", i, p.ServeCPUOn, p.ServeCPUOff, 100*p.ScorerCost)
		}
		if cfg.IngestOnly {
			h.logf("pair %d: ingest only %.0f votes/s, ratio %.2f; drain %.0f votes/s", i, p.IngestOnly, p.IngestRatio, p.Drain.Rate)
		}
	}
	var as, bs, rs, is, irs, ds []float64
	for _, p := range h.rep.Pairs {
		as, bs, rs = append(as, p.Baseline), append(bs, p.VotePath), append(rs, p.Ratio)
		is, irs, ds = append(is, p.IngestOnly), append(irs, p.IngestRatio), append(ds, p.Drain.Rate)
	}
	h.rep.MedianBaseline, h.rep.MedianVotePath, h.rep.MedianRatio = loadtest.Median(as), loadtest.Median(bs), loadtest.Median(rs)
	if cfg.IngestOnly {
		h.rep.MedianIngestOnly, h.rep.MedianIngestRatio, h.rep.MedianDrain = loadtest.Median(is), loadtest.Median(irs), loadtest.Median(ds)
	}
	if cfg.AckReplicas > 0 {
		var rs []float64
		for _, p := range h.rep.Pairs {
			rs = append(rs, p.AckedRatio)
		}
		h.rep.MedianAckedRatio = loadtest.Median(rs)
	}
	if cfg.CompareScorer {
		var on, off, cost []float64
		for _, p := range h.rep.Pairs {
			on, off, cost = append(on, p.ServeCPUOn), append(off, p.ServeCPUOff), append(cost, p.ScorerCost)
		}
		h.rep.MedianServeCPUOn, h.rep.MedianServeCPUOff, h.rep.MedianScorerCost = loadtest.Median(on), loadtest.Median(off), loadtest.Median(cost)
	}
	h.summarizeServe()

	if rate := h.rep.MedianVotePath / 2; rate > 0 {
		o := loadtest.Options{Workers: cfg.OpenWorkers, Rate: rate, Duration: cfg.OpenDuration, KeepReceipts: true}
		r, err := h.load(ctx, runSpec{name: "open", target: "vote path", addr: votePath.Addr,
			opts: o, work: votes, acc: acc, flushing: true, votePath: true})
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
	if err := h.restartServe(ctx, true, true); err != nil {
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
			return Drain{}, fmt.Errorf("bench: drain: %d log entries still unflushed after %s", st.Pending+st.Unread, h.cfg.FlushTimeout)
		}
	}
	d.Elapsed = time.Since(t)
	d.Rate = float64(d.Votes) / d.Elapsed.Seconds()
	h.logf("drained %d votes in %s: %.0f votes/s", d.Votes, d.Elapsed.Round(time.Millisecond), d.Rate)
	return d, nil
}

// check runs prizes check, which waits up to wait for the vote log to drain
// and then compares the live counters with the ledger. A difference is not
// an error here: the caller decides what it means.
func (h *harness) check(ctx context.Context, wait time.Duration) (stack.Check, error) {
	c, err := h.prizes.Check(ctx, h.cfg.Edition, wait.String())
	if err != nil {
		return c, fmt.Errorf("bench: %w", err)
	}
	return c, nil
}

// serveMicrosPerVote is the CPU prizes serve spent per vote accepted in
// run r, in microseconds, or 0 when the run accepted nothing.
func serveMicrosPerVote(r RunReport) float64 {
	if r.Accepted <= 0 {
		return 0
	}
	return r.CPU["prizes serve"] * r.Elapsed.Seconds() * 1e6 / float64(r.Accepted)
}

// ackRun restarts prizes serve with --ack-replicas, runs spec as run r of
// pair i, fills in p's figures of waiting for replicas against b, the same
// pair's run without, and restarts prizes serve as it was.
func (h *harness) ackRun(ctx context.Context, i int, o loadtest.Options, b RunReport, p *Pair, spec runSpec) error {
	h.ack = h.cfg.AckReplicas
	if err := h.restartServe(ctx, true, true); err != nil {
		return err
	}
	spec.name = fmt.Sprintf("r%d", i)
	r, err := h.load(ctx, spec)
	if err != nil {
		return err
	}
	h.ack = 0
	if err := h.restartServe(ctx, true, true); err != nil {
		return err
	}
	p.Acked, p.AckedRatio = r.AcceptedPerS, ratio(r.AcceptedPerS, b.AcceptedPerS)
	p.ServeCPUAck0, p.ServeCPUAcked = serveMicrosPerVote(b), serveMicrosPerVote(r)
	p.RedisCPUAck0, p.RedisCPUAcked = microsPerVote(b, "redis"), microsPerVote(r, "redis")
	p.Ack0P50, p.AckedP50 = b.Latency.P50, r.Latency.P50
	h.logf("pair %d: ack-replicas %d %.0f votes/s, %.2f of ack-replicas 0; prizes serve CPU per vote %.1f µs vs %.1f µs, Redis %.1f µs vs %.1f µs; p50 %s vs %s",
		i, h.cfg.AckReplicas, p.Acked, p.AckedRatio, p.ServeCPUAcked, p.ServeCPUAck0, p.RedisCPUAcked, p.RedisCPUAck0, p.AckedP50, p.Ack0P50)
	return nil
}

// microsPerVote is the CPU the process named proc used per accepted vote
// of r, in µs.
func microsPerVote(r RunReport, proc string) float64 {
	if r.Accepted <= 0 {
		return 0
	}
	return r.CPU[proc] * r.Elapsed.Seconds() * 1e6 / float64(r.Accepted)
}

// ratio returns x/y, or 0 when y is not positive.
func ratio(x, y float64) float64 {
	if y <= 0 {
		return 0
	}
	return x / y
}

// noisyCores is how much CPU other processes may take during a run before
// the report warns that the run was disturbed.
const noisyCores = 0.25

// runSpec is one run to make.
type runSpec struct {
	name, target, addr string
	opts               loadtest.Options
	work               loadtest.Workload
	// acc, when set, is where the run's 202s are added up for the
	// correctness check.
	acc *loadtest.Stats
	// flushing is true when the vote path's flusher is running: the run
	// then starts once the vote log is empty, so that no run pays for the
	// flush of an earlier one.
	flushing bool
	// votePath runs are followed by a look at the log they left behind.
	votePath bool
	// warmUp runs are not reported.
	warmUp bool
	// observe runs, the full vote path ones, also measure the flush lag
	// and the resident memory of prizes serve.
	observe bool
}

// rssInterval is how often the resident memory of prizes serve is sampled
// during an observed run.
const rssInterval = time.Second

// load makes one run with live progress and records it in the report.
func (h *harness) load(ctx context.Context, rs runSpec) (RunReport, error) {
	o := rs.opts
	o.Addr = rs.addr
	o.Live = &loadtest.Live{}
	if rs.flushing {
		if st, err := h.check(ctx, h.cfg.FlushTimeout); err != nil {
			return RunReport{}, err
		} else if st.Pending+st.Unread > 0 {
			h.problem("run %s started with %d log entries still unflushed", rs.name, st.Pending+st.Unread)
		}
	}
	desc := "closed loop, " + strconv.Itoa(o.Workers) + " connections"
	if o.Rate > 0 {
		desc = fmt.Sprintf("open loop at %.0f req/s, up to %d connections", o.Rate, o.Workers)
	}
	h.logf("run %s: %s, %s for %s", rs.name, rs.target, desc, o.Duration)
	pctx, stop := context.WithCancel(ctx)
	go loadtest.Progress(pctx, h.cfg.Log, rs.name, o.Live, time.Second)
	var lag0 PromHistogram
	var lagErr error
	var rss *rssSampler
	if rs.observe {
		if lag0, lagErr = scrapeHistogram(ctx, h.metricsURL(), FlushLagMetric); lagErr != nil {
			h.problem("run %s: flush lag not measured: %v", rs.name, lagErr)
		}
		rss = startRSS(h.serve.PID(), rssInterval)
		// Command statistics are taken only of a Redis the benchmark has
		// to itself: anyone else's commands would be counted in.
		if h.redis.Dedicated() {
			if err := h.redis.ResetCommandStats(ctx); err != nil {
				h.problem("run %s: Redis commands not measured: %v", rs.name, err)
			}
		}
	}
	cpu0, t0 := h.cpu.Sample(), time.Now()
	res, err := loadtest.Run(ctx, o, rs.work)
	cpu := stack.Cores(cpu0, h.cpu.Sample(), time.Since(t0).Seconds())
	var rssPeak, rssEnd int64
	rssOK := false
	if rss != nil {
		rssPeak, rssEnd, rssOK = rss.finish()
	}
	stop()
	if err != nil {
		return RunReport{}, fmt.Errorf("bench: run %s: %w", rs.name, err)
	}
	if rs.acc != nil {
		rs.acc.Merge(&res.Stats)
	}
	cpu["other"] = max(0, cpu["machine"]-cpu["loadgen"]-cpu["baseline"]-cpu["prizes serve"]-cpu["redis"]-cpu["postgres"])
	if cpu["other"] > noisyCores && !rs.warmUp {
		h.problem("during run %s about %.2f cores went to processes outside the benchmark; its figures are noisy", rs.name, cpu["other"])
	}
	r := runReport(rs.name, rs.target, o, res, cpu)
	if rs.votePath {
		st, err := h.check(ctx, 0)
		if err != nil {
			return RunReport{}, err
		}
		r.Backlog = st.Pending + st.Unread
	}
	if rs.observe {
		if rssOK {
			r.ServeRSSPeak, r.ServeRSSEnd = rssPeak, rssEnd
		} else {
			h.problem("run %s: the resident memory of prizes serve could not be read", rs.name)
		}
		if lagErr == nil {
			if r.FlushLag, err = h.flushLag(ctx, rs.name, lag0); err != nil {
				return RunReport{}, err
			}
		}
		// Read once the flush lag has waited for the run's votes to be
		// flushed, so that the flusher's commands for them are counted.
		if h.redis.Dedicated() {
			cmds, err := h.redis.CommandStats(ctx)
			if err != nil {
				h.problem("run %s: Redis commands not measured: %v", rs.name, err)
			}
			r.RedisCommands = cmds
		}
	}
	h.logf("run %s: %.0f votes/s, %d requests, %d accepted, %d transport errors, %d log entries left, latency %s",
		rs.name, r.AcceptedPerS, r.Requests, r.Accepted, r.TransportErrors, r.Backlog, r.Latency)
	if l := r.FlushLag; l != nil {
		h.logf("run %s: flush lag of %d votes p50 %.3fs p99 %.3fs; prizes serve RSS peak %d MiB, end %d MiB",
			rs.name, l.Votes, l.P50, l.P99, r.ServeRSSPeak>>20, r.ServeRSSEnd>>20)
	}
	if bad := r.Requests - r.Accepted; bad > 0 && !rs.warmUp {
		h.problem("run %s: %d of %d requests were not accepted (%s)", rs.name, bad, r.Requests, codes(r))
	}
	if r.Exhausted {
		h.problem("run %s ran out of ballots; use more voters", rs.name)
	}
	if !rs.warmUp {
		h.rep.Runs = append(h.rep.Runs, r)
	}
	return r, nil
}

func (h *harness) metricsURL() string { return "http://" + h.serveAddr + "/metrics" }

// flushLag waits until the flusher has committed every vote of the run
// just made, then returns what prizes_flush_lag_seconds observed since
// before, a scrape taken before the run. The runs of the harness start
// with an empty log, so the difference is the run's votes and nothing else.
// A failed scrape is a problem of the report, not of the run.
func (h *harness) flushLag(ctx context.Context, run string, before PromHistogram) (*Lag, error) {
	st, err := h.check(ctx, h.cfg.FlushTimeout)
	if err != nil {
		return nil, err
	}
	if n := st.Pending + st.Unread; n > 0 {
		h.problem("run %s: %d log entries still unflushed after %s; its flush lag misses them", run, n, h.cfg.FlushTimeout)
	}
	after, err := scrapeHistogram(ctx, h.metricsURL(), FlushLagMetric)
	if err != nil {
		h.problem("run %s: flush lag not measured: %v", run, err)
		return nil, nil
	}
	diff := after.Sub(before)
	h.lagSum = h.lagSum.Add(diff)
	return lagOf(diff), nil
}

// summarizeServe sets the report's flush lag and serve memory from the b
// runs.
func (h *harness) summarizeServe() {
	if h.lagSum.Total() > 0 {
		h.rep.FlushLag = lagOf(h.lagSum)
	}
	var m ServeMemory
	for _, r := range h.rep.Runs {
		if r.ServeRSSPeak > 0 && r.Mode == "closed" && r.Target == "vote path" {
			m.Peak, m.End = max(m.Peak, r.ServeRSSPeak), r.ServeRSSEnd
		}
	}
	if m.Peak > 0 {
		m.Interval = rssInterval
		h.rep.ServeMemory = &m
	}
}
