package replay

import (
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wsisvote/prizes/loadtest"
	"github.com/wsisvote/prizes/loadtest/report"
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
	// Backup is the backup stage's outcome (none in reports from before it).
	Backup *Backup `json:"backup,omitempty"`

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
	if err := writeCharts(rep, base); err != nil {
		return "", fmt.Errorf("write replay report: %w", err)
	}
	md, err := Markdown(rep)
	if err != nil {
		return "", fmt.Errorf("write replay report: %w", err)
	}
	if err := os.WriteFile(base+".md", []byte(md), 0o644); err != nil {
		return "", fmt.Errorf("write replay report: %w", err)
	}
	return base + ".md", nil
}

// Markdown renders the report.
func Markdown(rep *Report) (string, error) {
	return report.Render(templates, "report.md.tmpl", newView(rep))
}

//go:embed *.md.tmpl
var templates embed.FS

// view is what the template reads: the report and the rows that need
// more than a field.
type view struct {
	*Report
	// Heads are the headings of the processes whose cores each stage
	// shows, in the order of the cores column.
	Heads     []string
	StageRows []stageRow
	// IngestCPU is the CPU each process took per accepted vote during
	// the ingest; MachineCPU the whole machine's.
	IngestCPU  []cpuCost
	MachineCPU float64
	Statuses   []count
	Codes      []count
	Labels     []count
	Spread     *spreadView
}

type stageRow struct {
	Stage
	// Share is the stage's percentage of the total time; Cores the cores
	// each process kept busy, or a dash.
	Share float64
	Cores string
}

type cpuCost struct {
	Head   string
	Micros float64
}

// count is one key of a map of counts, for a list sorted by key.
type count struct {
	Key string
	N   int64
}

type spreadView struct {
	Masters            []masterRow
	APINodes, Flushers nodeTable
}

type masterRow struct {
	MasterShare
	ClaimShare, CPUShare string
}

// nodeTable is the table of the API nodes or of the flushers.
type nodeTable struct {
	Title, What string
	Rows        []nodeRow
}

type nodeRow struct {
	NodeShare
	Share string
}

func newView(rep *Report) view {
	// The columns are the processes by the name the CPU sampler gives
	// them, and the heading's word for each.
	procs, heads := []string{"prizes serve", "redis", "postgres", "loadgen"}, []string{"serve", "redis", "postgres", "generator"}
	if rep.Settings.Topology.Flushers > 0 {
		procs, heads = slices.Insert(procs, 1, "prizes flush"), slices.Insert(heads, 1, "flush")
	}
	v := view{Report: rep, Heads: heads, Statuses: counts(rep.Ingest.Statuses), Codes: counts(rep.Ingest.Codes),
		Labels: counts(rep.Correctness.ByLabel)}
	for _, s := range rep.Stages {
		row := stageRow{Stage: s, Cores: "–"}
		if rep.Total > 0 {
			row.Share = 100 * s.Elapsed.Seconds() / rep.Total.Seconds()
		}
		if s.Cores != nil {
			var vals []string
			for _, p := range append(slices.Clone(procs), "rest", "machine") {
				c := s.Cores[p]
				if p == "rest" {
					c = rest(s.Cores)
				}
				vals = append(vals, fmt.Sprintf("%.2f", c))
			}
			row.Cores = strings.Join(vals, " / ")
		}
		v.StageRows = append(v.StageRows, row)
	}
	if cost := IngestCPUPerVote(rep); cost != nil {
		for i, p := range procs {
			v.IngestCPU = append(v.IngestCPU, cpuCost{Head: heads[i], Micros: cost[p]})
		}
		v.MachineCPU = cost["machine"]
	}
	if sp := rep.Spread; sp != nil {
		v.Spread = &spreadView{APINodes: nodes("API node", "votes answered (every result)", sp.APINodes),
			Flushers: nodes("flusher", "votes inserted into the ledger", sp.Flushers)}
		var claims, cpu float64
		for _, m := range sp.Masters {
			claims += float64(m.SlotClaims)
			cpu += m.CPUSeconds
		}
		for _, m := range sp.Masters {
			v.Spread.Masters = append(v.Spread.Masters, masterRow{MasterShare: m,
				ClaimShare: report.Share(float64(m.SlotClaims), claims), CPUShare: report.Share(m.CPUSeconds, cpu)})
		}
	}
	return v
}

// nodes returns the table of ns, each with its share of their votes.
func nodes(title, what string, ns []NodeShare) nodeTable {
	t := nodeTable{Title: title, What: what}
	var total float64
	for _, n := range ns {
		total += n.Votes
	}
	for _, n := range ns {
		t.Rows = append(t.Rows, nodeRow{NodeShare: n, Share: report.Share(n.Votes, total)})
	}
	return t
}

// counts returns m sorted by key.
func counts(m map[string]int64) []count {
	out := make([]count, 0, len(m))
	for k, n := range m {
		out = append(out, count{k, n})
	}
	slices.SortFunc(out, func(a, b count) int { return strings.Compare(a.Key, b.Key) })
	return out
}

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
