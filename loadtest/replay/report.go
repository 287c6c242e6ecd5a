package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wsisvote/prizes/loadtest"
	"github.com/wsisvote/prizes/loadtest/plot"
	"github.com/wsisvote/prizes/loadtest/scenario"
	"github.com/wsisvote/prizes/loadtest/stack"
)

// Report is everything one replay measured and checked.
type Report struct {
	Scenario     string        `json:"scenario"`
	ScenarioPath string        `json:"scenario_path"`
	Description  string        `json:"description"`
	Date         time.Time     `json:"date"`
	Command      string        `json:"command"`
	Machine      stack.Machine `json:"machine"`
	Settings     Settings      `json:"settings"`
	Provision    Provision     `json:"provision"`
	// Stages are the timed stages in order; their sum is Total.
	Stages []Stage `json:"stages"`
	// Log is the transparency log's storage and the ledger file's costs.
	Log    *LogFigures   `json:"log,omitempty"`
	Total  time.Duration `json:"total_ns"`
	Wall   time.Duration `json:"wall_ns"`
	Ingest IngestReport  `json:"ingest"`
	// Timeline has one sample per second of the ingest.
	Timeline      []Sample    `json:"timeline"`
	Outcome       Outcome     `json:"outcome"`
	Correctness   Correctness `json:"correctness"`
	TargetSeconds float64     `json:"target_s"`
	TargetMet     bool        `json:"target_met"`
	Problems      []string    `json:"problems,omitempty"`
	// Spread is each part's share of the work, for a scaled-out topology.
	Spread *Spread `json:"spread,omitempty"`

	categories []string
}

// Settings are the scenario's figures and the server's configuration.
type Settings struct {
	Voters     int               `json:"voters"`
	Categories int               `json:"categories"`
	Nominees   int               `json:"nominees"`
	Votes      int64             `json:"votes"`
	Mode       string            `json:"mode"`
	Workers    int               `json:"workers"`
	Zipf       float64           `json:"zipf_exponent"`
	Window     int               `json:"window"`
	Addresses  int               `json:"client_addresses"`
	Attacks    []scenario.Attack `json:"attacks"`
	Jury       scenario.Jury     `json:"jury"`
	PrizesEnv  []string          `json:"prizes_env"`
	ServeEnv   []string          `json:"serve_env"`
	Topology   Topology          `json:"topology"`
}

// Provision times the steps of the provision stage.
type Provision struct {
	Migrate  time.Duration `json:"migrate_ns"`
	Seed     time.Duration `json:"seed_ns"`
	Voters   time.Duration `json:"voters_ns"`
	Accounts time.Duration `json:"accounts_ns"`
	Serve    time.Duration `json:"serve_ns"`
}

// Stage is one timed stage and the cores each process kept busy in it.
type Stage struct {
	Name    string             `json:"name"`
	Elapsed time.Duration      `json:"elapsed_ns"`
	Detail  string             `json:"detail"`
	Cores   map[string]float64 `json:"cores,omitempty"`
}

// IngestReport sums up the ingest.
type IngestReport struct {
	Requests        int64            `json:"requests"`
	Accepted        int64            `json:"accepted"`
	AcceptedPerS    float64          `json:"accepted_per_s"`
	Statuses        map[string]int64 `json:"statuses"`
	Codes           map[string]int64 `json:"error_codes"`
	TransportErrors int64            `json:"transport_errors"`
	LastError       string           `json:"last_error,omitempty"`
	Duplicates      int64            `json:"duplicates_sent"`
	// ChallengesSolved and ChallengeFailures count the proof-of-work
	// puzzles of an edition that asks for one with every vote.
	ChallengesSolved  int64            `json:"challenges_solved,omitempty"`
	ChallengeFailures int64            `json:"challenge_failures,omitempty"`
	ChallengeError    string           `json:"challenge_error,omitempty"`
	Elapsed           time.Duration    `json:"elapsed_ns"`
	Latency           loadtest.Summary `json:"latency"`
	// BacklogAtEnd is how many vote log entries (each the votes of one
	// append script call) were still in the log when the last answer came.
	BacklogAtEnd int64 `json:"backlog_at_end"`
}

// Outcome is what the contest decided.
type Outcome struct {
	Champions   int         `json:"champions"`
	TiesDecided int         `json:"ties_decided"`
	Jury        JuryOutcome `json:"jury"`
	Winners     []Winner    `json:"winners"`
}

// Correctness compares the ledger with the answers and the ground truth.
type Correctness struct {
	// GroundTruth is the number of legitimate ballots the generator cast.
	GroundTruth int64 `json:"ground_truth"`
	Accepted    int64 `json:"accepted"`
	Recounted   int64 `json:"recounted"`
	Projects    int   `json:"projects_compared"`
	// Mismatches are projects where ground truth, 202 answers and recount
	// are not all equal.
	Mismatches []Mismatch `json:"mismatches"`
	// ByLabel counts 202 answers by traffic label.
	ByLabel            map[string]int64 `json:"accepted_by_label"`
	DuplicatesSent     int64            `json:"duplicates_sent"`
	DuplicatesAccepted int64            `json:"duplicates_accepted"`
	DuplicateAnswers   int64            `json:"duplicate_vote_answers"`
	Converged          bool             `json:"converged"`
	VerifyExit0        bool             `json:"recount_verify_exit_0"`
	SignatureValid     bool             `json:"signature_valid"`
	ResultsMatch       bool             `json:"results_match"`
	Differences        []string         `json:"differences,omitempty"`
	OK                 bool             `json:"ok"`
}

// Mismatch is one project whose figures disagree.
type Mismatch struct {
	ProjectID   string `json:"project_id"`
	GroundTruth int64  `json:"ground_truth"`
	Accepted    int64  `json:"accepted"`
	Recounted   int64  `json:"recounted"`
}

// WriteFiles writes the report into dir as NAME.json, NAME.md and the plots
// NAME-throughput.svg and NAME-latency.svg, and returns the Markdown path.
func WriteFiles(rep *Report, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("write replay report: %w", err)
	}
	base := filepath.Join(dir, rep.Scenario)
	raw, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return "", fmt.Errorf("write replay report: %w", err)
	}
	if err := os.WriteFile(base+".json", append(raw, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("write replay report: %w", err)
	}
	for name, c := range charts(rep) {
		var buf bytes.Buffer
		if err := plot.WriteSVG(&buf, c); err != nil {
			return "", err
		}
		if err := os.WriteFile(base+"-"+name+".svg", buf.Bytes(), 0o644); err != nil {
			return "", fmt.Errorf("write replay plot: %w", err)
		}
	}
	if err := os.WriteFile(base+".md", []byte(Markdown(rep)), 0o644); err != nil {
		return "", fmt.Errorf("write replay report: %w", err)
	}
	return base + ".md", nil
}

// charts returns the plots of the ingest, by file suffix.
func charts(rep *Report) map[string]plot.Chart {
	var rate, sched, p50, p90, p99 []plot.Series
	rate = []plot.Series{{Name: "accepted votes/s"}}
	p50 = []plot.Series{{Name: "p50"}}
	p90 = []plot.Series{{Name: "p90"}}
	p99 = []plot.Series{{Name: "p99"}}
	open := false
	for _, s := range rep.Timeline {
		rate[0].Points = append(rate[0].Points, plot.Point{X: s.At, Y: s.AcceptedPerS})
		p50[0].Points = append(p50[0].Points, plot.Point{X: s.At, Y: s.P50})
		p90[0].Points = append(p90[0].Points, plot.Point{X: s.At, Y: s.P90})
		p99[0].Points = append(p99[0].Points, plot.Point{X: s.At, Y: s.P99})
		if s.Scheduled > 0 {
			open = true
		}
	}
	if open {
		sched = []plot.Series{{Name: "scheduled/s"}}
		for _, s := range rep.Timeline {
			sched[0].Points = append(sched[0].Points, plot.Point{X: s.At, Y: float64(s.Scheduled) / math.Max(s.Seconds, 1e-9)})
		}
	}
	return map[string]plot.Chart{
		"throughput": {Title: rep.Scenario + ": accepted votes per second", XLabel: "seconds into the ingest",
			YLabel: "votes/s", Series: append(rate, sched...)},
		"latency": {Title: rep.Scenario + ": vote latency per second (log scale)", XLabel: "seconds into the ingest",
			YLabel: "milliseconds", LogY: true, Series: append(append(p50, p90...), p99...)},
	}
}

// Markdown renders the report.
func Markdown(rep *Report) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	m := rep.Machine
	p("# Replay: %s\n\n", rep.Scenario)
	if rep.Description != "" {
		p("%s\n\n", rep.Description)
	}
	p("Measured on %s with `%s` (scenario `%s`); the raw figures are in [%s.json](%s.json).\n\n",
		rep.Date.Format("2006-01-02 15:04 UTC"), rep.Command, rep.ScenarioPath, rep.Scenario, rep.Scenario)
	st := rep.Settings
	redis := m.Redis
	if n := st.Topology.RedisMasters; n > 0 {
		redis += fmt.Sprintf(", a cluster of %d masters", n)
	}
	p("| machine | |\n|---|---|\n| CPU | %d × %s |\n| kernel | %s |\n| Go | %s |\n| Redis | %s, dedicated, no persistence |\n| PostgreSQL | %s |\n\n",
		m.CPUs, m.CPUModel, m.Kernel, m.GoVersion, redis, m.Postgres)
	p("%s voters, %d categories, %s nominees, %s legitimate votes; Zipf popularity with exponent %g; %s loop with %d connections; "+
		"%d voters vote at a time; votes come from %s client addresses sent as `X-Forwarded-For`; prizes serve ran with `%s`.\n\n",
		num(int64(st.Voters)), st.Categories, num(int64(st.Nominees)), num(st.Votes), st.Zipf, st.Mode, st.Workers,
		st.Window, num(int64(st.Addresses)), strings.Join(st.ServeEnv, " "))
	if !st.Topology.Single() {
		p("Deployment: %s, all on this machine; the generator spreads its connections over the API nodes as a load balancer would.\n\n",
			st.Topology)
	}

	verdict := "❌ not met"
	if rep.TargetMet {
		verdict = "✅ met"
	}
	p("## Stages\n\n")
	if rep.TargetSeconds > 0 {
		p("Target: the whole replay in at most %gs. Measured: **%s**, %s.\n\n", rep.TargetSeconds, dur(rep.Total), verdict)
	}
	// The columns are the processes by the name the CPU sampler gives them,
	// and the heading's word for each.
	procs, heads := []string{"prizes serve", "redis", "postgres", "loadgen"}, []string{"serve", "redis", "postgres", "generator"}
	if st.Topology.Flushers > 0 {
		procs, heads = slices.Insert(procs, 1, "prizes flush"), slices.Insert(heads, 1, "flush")
	}
	p("| stage | wall time | share | what | cores busy: %s / rest / machine |\n|---|---|---|---|---|\n", strings.Join(heads, " / "))
	for _, s := range rep.Stages {
		share := 0.0
		if rep.Total > 0 {
			share = 100 * s.Elapsed.Seconds() / rep.Total.Seconds()
		}
		cores := "–"
		if s.Cores != nil {
			var vals []string
			for _, v := range append(slices.Clone(procs), "rest", "machine") {
				c := s.Cores[v]
				if v == "rest" {
					c = rest(s.Cores)
				}
				vals = append(vals, fmt.Sprintf("%.2f", c))
			}
			cores = strings.Join(vals, " / ")
		}
		p("| %s | %s | %.0f%% | %s | %s |\n", s.Name, dur(s.Elapsed), share, s.Detail, cores)
	}
	p("| **total** | **%s** | | whole run with tear-down: %s | |\n\n", dur(rep.Total), dur(rep.Wall))
	p("Cores are read from /proc over each stage; 2.00 is the whole machine, whose busy time counts user, system, irq and softirq time, " +
		"not steal. \"rest\" is the machine's busy time that none of the named processes " +
		"accounts for: interrupts and softirqs of the loopback traffic, short-lived prizes commands, and any other " +
		"tenant of the machine. A rest well above the ingest's own networking (about 0.35 cores on a quiet machine) means the run shared the machine.\n\n")
	if cost := IngestCPUPerVote(rep); cost != nil {
		var parts []string
		for i, v := range procs {
			parts = append(parts, fmt.Sprintf("%s %.1f µs", heads[i], cost[v]))
		}
		p("CPU per accepted vote during the ingest (cores busy over votes per second): %s; the whole machine %.1f µs.\n\n",
			strings.Join(parts, ", "), cost["machine"])
	}
	pr := rep.Provision
	p("Provision: migrate %s, seed %s, %s voters %s, accounts %s, serve ready %s.\n\n",
		dur(pr.Migrate), dur(pr.Seed), num(int64(st.Voters)), dur(pr.Voters), dur(pr.Accounts), dur(pr.Serve))

	in := rep.Ingest
	p("## Ingest\n\n![throughput](%s-throughput.svg)\n\n![latency](%s-latency.svg)\n\n", rep.Scenario, rep.Scenario)
	p("%s requests in %s: %s accepted, **%.0f votes/s**; latency p50 %s, p90 %s, p99 %s, p99.9 %s, max %s; "+
		"%d transport errors; %s vote log entries not yet flushed at the last answer.\n\n",
		num(in.Requests), dur(in.Elapsed), num(in.Accepted), in.AcceptedPerS, dur(in.Latency.P50), dur(in.Latency.P90),
		dur(in.Latency.P99), dur(in.Latency.P999), dur(in.Latency.Max), in.TransportErrors, num(in.BacklogAtEnd))
	if in.ChallengesSolved+in.ChallengeFailures > 0 {
		p("Every vote carried a proof of work: %s challenges fetched and solved by the generator, %s failed.\n\n",
			num(in.ChallengesSolved), num(in.ChallengeFailures))
	}
	if len(in.Statuses) > 0 {
		keys := make([]string, 0, len(in.Statuses))
		for k := range in.Statuses {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s: %s", k, num(in.Statuses[k])))
		}
		p("Answers by status: %s.", strings.Join(parts, ", "))
		if len(in.Codes) > 0 {
			var codes []string
			for k, v := range in.Codes {
				codes = append(codes, fmt.Sprintf("`%s` %s", k, num(v)))
			}
			sort.Strings(codes)
			p(" Error codes: %s.", strings.Join(codes, ", "))
		}
		p("\n\n")
	}

	if rep.Spread != nil {
		b.WriteString(spreadMarkdown(rep.Spread))
	}

	o := rep.Outcome
	p("## Contest\n\n%d Champions (%d ties decided by the organiser); jury: %d jurors, %d panel seats, %d scorecards submitted, %d conflicts declared, %d requests; %d Winners.\n\n",
		o.Champions, o.TiesDecided, o.Jury.Jurors, o.Jury.Assignments, o.Jury.Scorecards, o.Jury.Conflicts, o.Jury.Requests, len(o.Winners))

	if l := rep.Log; l != nil && l.On {
		p("## Transparency log\n\n")
		p("%s leaves, %d checkpoints. Storage: the leaf indexes %s MB and their index %s MB in `votes`, checkpoints %s kB, heads %s kB. ",
			num(l.Leaves), l.Checkpoints, mb(l.ColumnBytes), mb(l.IndexBytes), kb(l.CheckpointsBytes), kb(l.HeadsBytes))
		p("The ledger file (`prizes ledger`): %s MB in %s; checked offline against the signed results (`prizes verify ledger`) in %s.\n\n",
			mb(l.LedgerFileBytes), l.LedgerFile.Round(time.Millisecond), l.Verify.Round(time.Millisecond))
	} else if l != nil {
		p("## Transparency log\n\nOff (`PRIZES_TRANSPARENCY_LOG=false`): no leaves, no ledger file.\n\n")
	}

	c := rep.Correctness
	p("## Correctness\n\n| check | result |\n|---|---|\n")
	p("| legitimate ballots cast (generator's ground truth) | %s |\n", num(c.GroundTruth))
	p("| 202 answers | %s |\n", num(c.Accepted))
	p("| `prizes recount` total | %s |\n", num(c.Recounted))
	p("| projects compared, where ground truth, 202s and recount differ | %d, %d |\n", c.Projects, len(c.Mismatches))
	labels := make([]string, 0, len(c.ByLabel))
	for l := range c.ByLabel {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		p("| 202 answers labelled `%s` | %s |\n", l, num(c.ByLabel[l]))
	}
	if c.DuplicatesSent > 0 {
		p("| duplicates sent, answered `duplicate_vote`, accepted | %s, %s, %s |\n", num(c.DuplicatesSent), num(c.DuplicateAnswers), num(c.DuplicatesAccepted))
	}
	p("| live counters converged with the ledger | %s |\n", yes(c.Converged))
	p("| `prizes recount --verify` exit status 0, signature valid, results match | %s, %s, %s |\n", yes(c.VerifyExit0), yes(c.SignatureValid), yes(c.ResultsMatch))
	p("| **all checks** | **%s** |\n\n", yes(c.OK))
	for _, d := range c.Differences {
		p("- difference: %s\n", d)
	}
	if len(rep.Problems) > 0 {
		p("Problems:\n\n")
		for _, pr := range rep.Problems {
			p("- %s\n", pr)
		}
	}
	return b.String()
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// dur formats a duration to three significant figures or so.
func dur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	default:
		return fmt.Sprintf("%.3gms", float64(d)/float64(time.Millisecond))
	}
}

// num writes n with thousands separators.
func num(n int64) string { return loadtest.Count(n) }

// IngestCPUPerVote returns the microseconds of CPU each process used per
// accepted vote over the ingest stage, by the CPU sampler's names, or nil
// when the report has no ingest with CPU figures. On one machine these are
// what each part would need of a machine of its own at the same rate.
func IngestCPUPerVote(rep *Report) map[string]float64 {
	if rep.Ingest.AcceptedPerS <= 0 {
		return nil
	}
	for _, s := range rep.Stages {
		if s.Name != "ingest" || s.Cores == nil {
			continue
		}
		out := map[string]float64{}
		for k, c := range s.Cores {
			out[k] = c / rep.Ingest.AcceptedPerS * 1e6
		}
		return out
	}
	return nil
}

// rest returns the busy cores of the machine that no named process used.
func rest(c map[string]float64) float64 {
	return max(0, c["machine"]-c["prizes serve"]-c["prizes flush"]-c["redis"]-c["postgres"]-c["loadgen"])
}

// ReadReport reads a report written by WriteFiles, to render it again.
func ReadReport(path string) (*Report, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read replay report: %w", err)
	}
	var rep Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return nil, fmt.Errorf("read replay report %s: %w", path, err)
	}
	return &rep, nil
}

func mb(n int64) string { return fmt.Sprintf("%.1f", float64(n)/(1<<20)) }

func kb(n int64) string { return fmt.Sprintf("%.1f", float64(n)/(1<<10)) }
