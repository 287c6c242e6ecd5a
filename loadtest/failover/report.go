package failover

import (
	"embed"
	"fmt"
	"time"

	"github.com/wsisvote/prizes/loadtest/chaos"
	"github.com/wsisvote/prizes/loadtest/report"
	"github.com/wsisvote/prizes/loadtest/stack"
)

// Report is everything one drill saw: a run per --ack-replicas setting.
type Report struct {
	Date     time.Time     `json:"date"`
	Command  string        `json:"command"`
	Machine  stack.Machine `json:"machine"`
	Settings Settings      `json:"settings"`
	Runs     []RunReport   `json:"runs"`
}

// Settings are the load and the deployment the failover happened under.
type Settings struct {
	Rate         float64       `json:"rate"`
	Workers      int           `json:"workers"`
	Voters       int           `json:"voters"`
	Categories   int           `json:"categories"`
	VictimShards int           `json:"victim_shards"`
	Before       time.Duration `json:"before_ns"`
	After        time.Duration `json:"after_ns"`
	NodeTimeout  time.Duration `json:"node_timeout_ns"`
	RetryFor     time.Duration `json:"retry_for_ns"`
	ProbeEvery   time.Duration `json:"probe_every_ns"`
	AckTimeout   time.Duration `json:"ack_timeout_ns"`
	ServeEnv     []string      `json:"serve_env"`
}

// RunReport is one run: the failover's times, what the probe saw, and the
// account of every vote against the ledger.
type RunReport struct {
	AckReplicas int            `json:"ack_replicas"`
	Failover    stack.Failover `json:"failover"`
	Probe       Probe          `json:"probe"`
	// Load is how long votes were cast, from the first to the last final
	// answer.
	Load time.Duration `json:"load_ns"`
	// Unavailable counts attempts answered 503, whatever their code.
	Unavailable int64 `json:"unavailable"`
	// Drained reports that the log emptied; Check is prizes check then.
	Drained  bool        `json:"drained"`
	Check    stack.Check `json:"check"`
	Tally    chaos.Tally `json:"tally"`
	Problems []string    `json:"problems,omitempty"`
}

// Lost counts acknowledged votes missing from the ledger.
func (r RunReport) Lost() int64 { return r.Tally.Missing }

// Throughput is acknowledged votes per second over the load.
func (r RunReport) Throughput() float64 {
	if r.Load <= 0 {
		return 0
	}
	return float64(r.Tally.Acknowledged) / r.Load.Seconds()
}

// OK reports whether the run kept the contract: no acknowledged vote lost
// or counted twice, and the log drained.
func (r RunReport) OK() bool {
	return r.Tally.Missing == 0 && r.Tally.Duplicated == 0 && r.Drained
}

// Line sums the run up in one line, for the terminal.
func (r RunReport) Line() string {
	t := r.Tally
	return fmt.Sprintf("ack-replicas %d: sent %d, acknowledged %d, lost %d, twice %d, 503 answers %d; "+
		"replica promoted after %s, killed node back after %s, probe outage %s; %.0f acknowledged votes/s; drained %v, check converged %v",
		r.AckReplicas, t.Sent, t.Acknowledged, t.Missing, t.Duplicated, r.Unavailable,
		report.Seconds(r.Failover.Promoted), report.Seconds(r.Failover.Rejoined), report.Seconds(r.Probe.Outage),
		r.Throughput(), r.Drained, r.Check.Converged)
}

// Markdown renders the report as the page docs/failover.md.
func Markdown(r *Report) (string, error) {
	v := view{Report: r}
	for _, run := range r.Runs {
		v.Runs = append(v.Runs, runView{RunReport: run, Finals: report.Tally(run.Tally.Finals), Every: report.Tally(run.Tally.Every)})
	}
	return report.Render(templates, "report.md.tmpl", v)
}

//go:embed report.md.tmpl
var templates embed.FS

// view is what the template reads: the report, with each run's answers
// counted.
type view struct {
	*Report
	Runs []runView
}

type runView struct {
	RunReport
	Finals, Every string
}

// WriteMarkdown writes the report's page to path.
func WriteMarkdown(r *Report, path string) error {
	md, err := Markdown(r)
	if err == nil {
		err = report.WriteFile(path, md)
	}
	if err != nil {
		return fmt.Errorf("write failover report: %w", err)
	}
	return nil
}
