// Package replay plays a load scenario end to end against a deployment it
// starts for itself: a dedicated Redis, a fresh PostgreSQL database, the
// prizes binary migrating, seeding, creating voters and serving, then every
// vote of the scenario, the flush, counting and Champions, a simulated
// jury, publication and `prizes recount --verify`. It times each stage,
// checks the ledger against the generator's own ground truth, and writes a
// Markdown and JSON report with plots of throughput and latency over time.
package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsisvote/prizes/loadtest"
	"github.com/wsisvote/prizes/loadtest/scenario"
	"github.com/wsisvote/prizes/loadtest/stack"
)

// Config is what a replay needs. The caller reads the environment and
// passes it in.
type Config struct {
	Scenario *scenario.Scenario
	// ScenarioPath is where the scenario was read from, for the report.
	ScenarioPath string
	// Prizes is the prizes binary.
	Prizes string
	// DatabaseURL is a PostgreSQL server on which a database may be created
	// and dropped.
	DatabaseURL string
	// RedisServer is the redis-server binary the replay starts its own
	// Redis with.
	RedisServer string
	// Env is the environment children start from; PRIZES_* variables in it
	// are dropped.
	Env []string
	// Labels, when set, is a file to write every voter's address and
	// attack label to.
	Labels string
	// Command is the command line recorded in the report.
	Command string
	// Log receives progress lines.
	Log io.Writer
	// TempDir is where the run keeps its files; the system's when empty.
	TempDir string
	// FlushTimeout bounds the wait for the vote log to drain.
	FlushTimeout time.Duration
	// Topology lays out the deployment; the zero value is the single node.
	Topology Topology
}

// run is the state of one replay.
type run struct {
	cfg      Config
	s        *scenario.Scenario
	rep      *Report
	dir      string
	redis    *stack.Redis
	cluster  *stack.Cluster
	redisURL string
	db       *stack.Database
	prizes   *stack.Prizes
	// serves are the API nodes, listening on addrs; flushers are the
	// prizes flush processes, with their metrics at flushMetrics.
	serves       []*stack.Process
	addrs        []string
	flushers     []*stack.Process
	flushMetrics []string
	api          *client
	cpu          *stack.CPUSampler
	cpuMark      map[string]float64
	stageAt      time.Time
	organise     string
	jurors       []juror
}

func (r *run) logf(format string, args ...any) {
	fmt.Fprintf(r.cfg.Log, "replay: "+format+"\n", args...)
}

// Run plays the scenario and returns its report, as far as it got, with
// any error. The report files are written by WriteFiles.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.FlushTimeout <= 0 {
		cfg.FlushTimeout = 5 * time.Minute
	}
	s := cfg.Scenario
	if err := cfg.Topology.Validate(); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	started := time.Now()
	r := &run{cfg: cfg, s: s, rep: &Report{
		Scenario: s.Name, ScenarioPath: cfg.ScenarioPath, Description: s.Description, Date: started.UTC(),
		Command: cfg.Command, Machine: stack.ThisMachine(), TargetSeconds: s.TargetSeconds,
		Settings: Settings{Voters: s.Voters, Categories: s.Edition.Categories, Nominees: s.Edition.Categories * s.Edition.NomineesPerCategory,
			Votes: s.Votes(), Workers: s.Arrival.Workers, Mode: s.Arrival.Mode, Zipf: s.Popularity.Exponent, Window: s.Window,
			Addresses: s.Clients.Addresses, PrizesEnv: s.PrizesEnv, Attacks: s.Attacks, Jury: s.Jury, Topology: cfg.Topology},
	}}
	err := r.run(ctx)
	r.teardown()
	r.rep.Wall = time.Since(started)
	for _, st := range r.rep.Stages {
		r.rep.Total += st.Elapsed
	}
	r.rep.TargetMet = s.TargetSeconds > 0 && r.rep.Total.Seconds() <= s.TargetSeconds && err == nil && r.rep.Correctness.OK
	return r.rep, err
}

// stage ends the current stage under name, recording its time and the CPU
// each process used in it, and starts the next.
func (r *run) stage(name, detail string) {
	now := time.Now()
	wall := now.Sub(r.stageAt).Seconds()
	st := Stage{Name: name, Elapsed: now.Sub(r.stageAt), Detail: detail}
	if r.cpu != nil {
		next := r.cpu.Sample()
		if r.cpuMark != nil {
			st.Cores = stack.Cores(r.cpuMark, next, wall)
		}
		r.cpuMark = next
	}
	r.rep.Stages = append(r.rep.Stages, st)
	r.logf("stage %s: %s (%s)", name, st.Elapsed.Round(time.Millisecond), detail)
	r.stageAt = now
}

func (r *run) run(ctx context.Context) error {
	r.stageAt = time.Now()
	if err := r.provision(ctx); err != nil {
		return err
	}
	stats, ballots, traffic, err := r.ingest(ctx)
	if err != nil {
		return err
	}
	if err := r.drain(ctx, stats.AcceptedTotal()); err != nil {
		return err
	}
	r.spread(ctx)
	if err := r.champions(ctx); err != nil {
		return err
	}
	if err := r.jury(ctx); err != nil {
		return err
	}
	if err := r.publish(ctx); err != nil {
		return err
	}
	if err := r.recount(ctx, stats, ballots, traffic); err != nil {
		return err
	}
	if err := r.ledgerFile(ctx); err != nil {
		return err
	}
	return r.backup(ctx)
}

// provision starts Redis, creates the database, migrates, seeds, creates
// the voters, the organiser and the jurors, and starts prizes serve and,
// when the topology has them, the flushers.
func (r *run) provision(ctx context.Context) error {
	cfg, s := r.cfg, r.s
	dir, err := os.MkdirTemp(cfg.TempDir, "prizes-replay-")
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	r.dir = dir
	if err := r.startRedis(ctx); err != nil {
		return err
	}
	if r.db, err = stack.CreateDatabase(ctx, cfg.DatabaseURL, "replay_"); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	r.rep.Machine.Postgres = r.db.Version(ctx)
	env := []string{
		"PRIZES_DATABASE_URL=" + r.db.URL,
		"PRIZES_REDIS_URL=" + r.redisURL,
		"PRIZES_REDIS_PREFIX=replay:",
		// The generator sends each voter's address as X-Forwarded-For, as
		// the reverse proxy in front of the API would; only a trusted
		// proxy's header is believed.
		"PRIZES_TRUSTED_PROXIES=127.0.0.1",
	}
	// Later settings win, so the scenario's come after the replay's own.
	env = append(env, s.PrizesEnv...)
	r.rep.Settings.ServeEnv = slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return strings.HasPrefix(kv, "PRIZES_DATABASE_URL=") || strings.HasPrefix(kv, "PRIZES_REDIS_URL=") || strings.HasPrefix(kv, "PRIZES_HTTP_ADDR=")
	})
	r.prizes = &stack.Prizes{Bin: cfg.Prizes, Env: stack.ChildEnv(cfg.Env, env...)}

	t := time.Now()
	if _, _, err := r.prizes.Run(ctx, "migrate"); err != nil {
		return err
	}
	r.rep.Provision.Migrate = time.Since(t)
	t = time.Now()
	if _, _, err := r.prizes.Run(ctx, "seed", "--demo", "--phases=false", "--edition", s.Edition.ID,
		"--nominees", strconv.Itoa(s.Edition.NomineesPerCategory)); err != nil {
		return err
	}
	if s.Edition.ProofOfWork {
		if err := r.requireChallenge(ctx); err != nil {
			return err
		}
	}
	r.rep.Provision.Seed = time.Since(t)
	r.logf("creating %d voters", s.Voters)
	t = time.Now()
	if _, _, err := r.prizes.Run(ctx, "voters", "--edition", s.Edition.ID, "--count", strconv.Itoa(s.Voters),
		"--out", filepath.Join(dir, "voters.tsv")); err != nil {
		return err
	}
	r.rep.Provision.Voters = time.Since(t)
	t = time.Now()
	out, _, err := r.prizes.Run(ctx, "account", "--email", "organiser@example.org", "--role", "organiser")
	if err != nil {
		return err
	}
	org, err := parseAccount(out)
	if err != nil {
		return fmt.Errorf("replay: organiser: %w", err)
	}
	r.organise = org.token
	for k := 0; k < s.Jury.Jurors; k++ {
		out, _, err := r.prizes.Run(ctx, "account", "--email", fmt.Sprintf("juror%d@example.org", k+1), "--role", "juror")
		if err != nil {
			return err
		}
		j, err := parseAccount(out)
		if err != nil {
			return fmt.Errorf("replay: juror %d: %w", k+1, err)
		}
		r.jurors = append(r.jurors, j)
	}
	r.rep.Provision.Accounts = time.Since(t)
	t = time.Now()
	if err := r.startNodes(ctx, r.prizes.Env); err != nil {
		return err
	}
	r.rep.Provision.Serve = time.Since(t)
	r.api = &client{base: "http://" + r.addrs[0], edition: s.Edition.ID, http: &http.Client{Timeout: time.Minute}}
	r.cpu = r.sampler()
	r.stage("provision", fmt.Sprintf("redis, database, migrate, seed, %d voters, %d accounts, serve", s.Voters, 1+s.Jury.Jurors))
	return nil
}

// ingest casts every ballot of the scenario and its attack traffic.
func (r *run) ingest(ctx context.Context) (*loadtest.Stats, *loadtest.Ballots, *Traffic, error) {
	s := r.s
	voters, err := loadtest.LoadVoters(filepath.Join(r.dir, "voters.tsv"))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("replay: %w", err)
	}
	projects, err := loadtest.FetchProjects(ctx, r.api.http, r.api.base, s.Edition.ID)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("replay: %w", err)
	}
	ballots, err := loadtest.NewBallots(voters, projects, loadtest.BallotOptions{
		Skew: s.Popularity.Exponent, Seed: s.Popularity.Seed, Window: s.Window})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("replay: %w", err)
	}
	if got := len(ballots.Categories()); got != s.Edition.Categories {
		return nil, nil, nil, fmt.Errorf("replay: the ballot has %d categories; the scenario says %d", got, s.Edition.Categories)
	}
	target, err := loadtest.ParseTarget(r.api.base, s.Edition.ID)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("replay: %w", err)
	}
	traffic := NewTraffic(target, ballots, s)
	if r.cfg.Labels != "" {
		if err := traffic.WriteLabels(r.cfg.Labels, voters); err != nil {
			return nil, nil, nil, err
		}
	}
	var work loadtest.Workload = traffic
	var pow *loadtest.ProofOfWork
	if s.Edition.ProofOfWork {
		pow = loadtest.NewProofOfWork(traffic, &loadtest.Challenger{BaseURL: r.api.base})
		work = pow
	}
	r.logf("casting %d ballots (%s loop, %d connections)", ballots.Len(), s.Arrival.Mode, s.Arrival.Workers)
	// The stage clock restarts here: reading the voters file and the ballot
	// is the generator's own preparation, not the system's.
	r.stageAt, r.cpuMark = time.Now(), r.cpu.Sample()
	stats, samples, elapsed, err := ingest(ctx, r.addrs, s.Arrival, work, r.cfg.Log)
	r.rep.Timeline = samples
	in := &r.rep.Ingest
	in.Requests = stats.Answers() + stats.TransportErrors
	in.Accepted = stats.AcceptedTotal()
	in.Statuses = map[string]int64{}
	for code, n := range stats.Statuses {
		in.Statuses[strconv.Itoa(code)] = n
	}
	in.Codes = stats.Codes
	in.TransportErrors = stats.TransportErrors
	in.LastError = stats.LastError
	in.Elapsed = elapsed
	if elapsed > 0 {
		in.AcceptedPerS = float64(in.Accepted) / elapsed.Seconds()
	}
	in.Latency = stats.Latency.Summary()
	in.Duplicates = traffic.Duplicates.Load()
	if pow != nil {
		in.ChallengesSolved, in.ChallengeFailures = pow.Solved.Load(), pow.Failed.Load()
		if e := pow.LastError(); e != nil {
			in.ChallengeError = e.Error()
			r.rep.Problems = append(r.rep.Problems, fmt.Sprintf("%d challenges could not be fetched or solved: %v", in.ChallengeFailures, e))
		}
	}
	r.stage("ingest", fmt.Sprintf("%d requests, %d accepted, %.0f votes/s", in.Requests, in.Accepted, in.AcceptedPerS))
	return stats, ballots, traffic, err
}

// requireChallenge makes every vote of the scenario's edition need a
// solved proof of work. The organiser sets vote_challenge with PATCH
// /api/v1/editions/{e}/rules, which is refused once voting is open, and
// `prizes seed --demo` creates the edition already voting; so the replay
// sets the rule in the database it created for itself, before prizes serve
// starts and loads the edition.
func (r *run) requireChallenge(ctx context.Context) error {
	n, err := r.db.Exec(ctx, `UPDATE editions SET rules = rules || '{"vote_challenge": true}'::jsonb WHERE id = $1`, r.s.Edition.ID)
	if err != nil {
		return fmt.Errorf("replay: require a proof of work: %w", err)
	}
	if n != 1 {
		return fmt.Errorf("replay: require a proof of work: edition %q not found", r.s.Edition.ID)
	}
	r.logf("edition %s: every vote needs a solved challenge", r.s.Edition.ID)
	return nil
}

// drain waits until the flusher has moved every accepted vote into the
// ledger and the live counters agree with it.
func (r *run) drain(ctx context.Context, accepted int64) error {
	r.rep.Ingest.BacklogAtEnd = -1
	deadline := time.Now().Add(r.cfg.FlushTimeout)
	for first := true; ; first = false {
		st, err := r.prizes.Check(ctx, r.s.Edition.ID, "30s")
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		if first {
			r.rep.Ingest.BacklogAtEnd = st.Pending + st.Unread
		}
		if st.Converged && st.Pending+st.Unread == 0 && st.LedgerTotal >= accepted {
			r.rep.Correctness.Converged = true
			r.stage("flush drain", fmt.Sprintf("ledger %d, live counters %d", st.LedgerTotal, st.LiveTotal))
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("replay: the flush did not finish in %s: pending %d, unread %d, ledger %d of %d accepted",
				r.cfg.FlushTimeout, st.Pending, st.Unread, st.LedgerTotal, accepted)
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// champions closes voting and counting, which chooses the Champions.
func (r *run) champions(ctx context.Context) error {
	if err := r.api.advance(ctx, r.organise, "counting"); err != nil {
		return fmt.Errorf("replay: close voting: %w", err)
	}
	ties, err := r.api.closeCounting(ctx, r.organise)
	if err != nil {
		return fmt.Errorf("replay: close counting: %w", err)
	}
	n, err := r.api.championCount(ctx)
	if err != nil {
		return fmt.Errorf("replay: champions: %w", err)
	}
	r.rep.Outcome.Champions, r.rep.Outcome.TiesDecided = n, ties
	r.stage("champions", fmt.Sprintf("%d Champions, %d ties decided by the organiser", n, ties))
	return nil
}

// jury runs the simulated jury.
func (r *run) jury(ctx context.Context) error {
	out, err := r.api.runJury(ctx, r.organise, r.jurors, r.s.Jury, r.categories())
	r.rep.Outcome.Jury = out
	if err != nil {
		return fmt.Errorf("replay: jury: %w", err)
	}
	r.stage("jury", fmt.Sprintf("%d jurors, %d assignments, %d scorecards, %d conflicts, %d requests",
		out.Jurors, out.Assignments, out.Scorecards, out.Conflicts, out.Requests))
	return nil
}

// categories returns the category codes of the edition in their order.
func (r *run) categories() []string {
	if len(r.rep.categories) > 0 {
		return r.rep.categories
	}
	var ed struct {
		Categories []struct {
			Code string `json:"code"`
		} `json:"categories"`
	}
	if err := r.api.call(context.Background(), http.MethodGet, "", "", nil, &ed); err == nil {
		for _, c := range ed.Categories {
			r.rep.categories = append(r.rep.categories, c.Code)
		}
	}
	return r.rep.categories
}

// publish closes the jury, which chooses the Winners and signs the results.
func (r *run) publish(ctx context.Context) error {
	if err := r.api.advance(ctx, r.organise, "published"); err != nil {
		return fmt.Errorf("replay: publish: %w", err)
	}
	w, err := r.api.winners(ctx)
	if err != nil {
		return fmt.Errorf("replay: read results: %w", err)
	}
	r.rep.Outcome.Winners = w
	r.stage("publish", fmt.Sprintf("%d Winners, results signed", len(w)))
	return nil
}

// recount runs prizes recount --verify, which must exit 0, and compares
// the plain recount with the 202 answers and the generator's ground truth.
func (r *run) recount(ctx context.Context, stats *loadtest.Stats, ballots *loadtest.Ballots, traffic *Traffic) error {
	id := r.s.Edition.ID
	stdout, _, verr := r.prizes.Run(ctx, "recount", "--edition", id, "--verify")
	var v struct {
		SignatureValid bool     `json:"signature_valid"`
		Matches        bool     `json:"matches"`
		Differences    []string `json:"differences"`
	}
	if err := json.Unmarshal(stdout, &v); err != nil {
		return fmt.Errorf("replay: recount --verify output: %w (%v)", err, verr)
	}
	c := &r.rep.Correctness
	c.VerifyExit0 = verr == nil
	c.SignatureValid, c.ResultsMatch, c.Differences = v.SignatureValid, v.Matches, v.Differences
	rc, err := r.prizes.Recount(ctx, id)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	r.stage("recount", "prizes recount --verify and prizes recount")

	recounted := rc.ByProject
	accepted := map[string]int64{}
	c.ByLabel = map[string]int64{}
	for l, n := range stats.Accepted {
		label, project := splitLabel(l)
		accepted[project] += n
		if label == "" {
			label = "legitimate"
		}
		c.ByLabel[label] += n
	}
	truth := GroundTruth(ballots)
	ids := map[string]bool{}
	for _, m := range []map[string]int64{recounted, accepted, truth} {
		for id := range m {
			ids[id] = true
		}
	}
	c.Projects = len(ids)
	c.Mismatches = []Mismatch{}
	for id := range ids {
		if recounted[id] != accepted[id] || accepted[id] != truth[id] {
			c.Mismatches = append(c.Mismatches, Mismatch{ProjectID: id, GroundTruth: truth[id], Accepted: accepted[id], Recounted: recounted[id]})
		}
	}
	slices.SortFunc(c.Mismatches, func(a, b Mismatch) int { return strings.Compare(a.ProjectID, b.ProjectID) })
	c.GroundTruth = ballots.Len()
	c.Accepted = stats.AcceptedTotal()
	c.Recounted = rc.Total
	for _, a := range r.s.Attacks {
		if a.Kind == scenario.AttackDuplicate {
			c.DuplicatesSent = traffic.Duplicates.Load()
			c.DuplicatesAccepted = c.ByLabel[a.Label]
		}
	}
	// A duplicate resends an earlier ballot: answered with its receipt
	// (200), or 409 when it is refused without one.
	c.DuplicateAnswers = stats.Codes["duplicate_vote"] + stats.Replayed
	c.OK = c.VerifyExit0 && c.ResultsMatch && c.SignatureValid && c.Converged && len(c.Mismatches) == 0 &&
		c.Recounted == c.Accepted && c.Accepted == c.GroundTruth && c.DuplicatesAccepted == 0 &&
		c.DuplicateAnswers == c.DuplicatesSent && stats.TransportErrors == 0
	r.logf("correctness: ground truth %d, accepted %d, recounted %d, %d mismatches, verify exit 0: %v, ok: %v",
		c.GroundTruth, c.Accepted, c.Recounted, len(c.Mismatches), c.VerifyExit0, c.OK)
	if !c.VerifyExit0 {
		return fmt.Errorf("replay: prizes recount --verify failed: %v: %v", verr, v.Differences)
	}
	return nil
}

// teardown stops everything the replay started and removes its files.
func (r *run) teardown() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r.stopNodes()
	r.cluster.Stop()
	if err := stack.Teardown(ctx, r.db, r.redis, r.dir); err != nil {
		r.rep.Problems = append(r.rep.Problems, err.Error())
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
