package chaos

import (
	"embed"
	"fmt"
	"time"

	"github.com/wsisvote/prizes/loadtest/report"
	"github.com/wsisvote/prizes/loadtest/stack"
)

// Report is everything one drill saw.
type Report struct {
	Date     time.Time     `json:"date"`
	Command  string        `json:"command"`
	Machine  stack.Machine `json:"machine"`
	Settings Settings      `json:"settings"`
	Faults   []FaultReport `json:"faults"`
	// Problems are what went wrong around the faults, such as a part that
	// did not stop cleanly at the end.
	Problems []string `json:"problems,omitempty"`
}

// Settings are the load and the deployment the faults were injected into.
type Settings struct {
	Rate         float64        `json:"rate"`
	Workers      int            `json:"workers"`
	Voters       int            `json:"voters"`
	Categories   int            `json:"categories"`
	Before       time.Duration  `json:"before_ns"`
	After        time.Duration  `json:"after_ns"`
	RetryFor     time.Duration  `json:"retry_for_ns"`
	PostgresDown time.Duration  `json:"postgres_down_ns"`
	Shutdown     stack.Shutdown `json:"shutdown"`
	ServeEnv     []string       `json:"serve_env"`
}

// FaultReport is one fault: what was done, how long the part was away,
// the account of the votes cast under it and how long the log took to
// drain.
type FaultReport struct {
	Name string `json:"name"`
	What string `json:"what"`
	// Load is how long votes were cast, from the first to the last final
	// answer; Down from the fault to the part answering again.
	Load time.Duration `json:"load_ns"`
	Down time.Duration `json:"down_ns"`
	// Drained reports that the log emptied and prizes check passed within
	// the drain timeout; DrainAfterFault is how long after the part was
	// back, DrainAfterLoad how long after the last final answer.
	Drained         bool          `json:"drained"`
	DrainAfterFault time.Duration `json:"drain_after_fault_ns"`
	DrainAfterLoad  time.Duration `json:"drain_after_load_ns"`
	// Check is prizes check once drained (or at the timeout).
	Check    stack.Check `json:"check"`
	Tally    Tally       `json:"tally"`
	Problems []string    `json:"problems,omitempty"`
}

// OK reports whether the fault kept the contract: every acknowledged vote
// in the ledger once, and the log drained with prizes check passing.
func (f FaultReport) OK() bool {
	return f.Tally.Missing == 0 && f.Tally.Duplicated == 0 && f.Drained && f.Check.Converged
}

// OK reports whether every fault kept the contract, and there was one.
func (r *Report) OK() bool {
	if len(r.Faults) == 0 {
		return false
	}
	for _, f := range r.Faults {
		if !f.OK() {
			return false
		}
	}
	return true
}

// Line sums the fault up in one line, for the terminal.
func (f FaultReport) Line() string {
	t := f.Tally
	drain := "did not drain"
	if f.Drained {
		drain = "drained " + report.Seconds(f.DrainAfterFault) + " after the fault ended"
	}
	verdict := "ok"
	if !f.OK() {
		verdict = "FAILED"
	}
	return fmt.Sprintf("%-8s sent %d, acknowledged %d, refused %d, unknown %d, in ledger %d, missing %d, duplicated %d, "+
		"in ledger not acknowledged %d; %s; check converged %v: %s",
		f.Name, t.Sent, t.Acknowledged, t.Refused, t.Unknown, t.InLedger, t.Missing, t.Duplicated,
		t.Unacknowledged, drain, f.Check.Converged, verdict)
}

// Markdown renders the report as the page docs/chaos.md.
func Markdown(r *Report) (string, error) {
	v := view{Report: r}
	for _, f := range r.Faults {
		v.Faults = append(v.Faults, faultView{FaultReport: f, Finals: report.Tally(f.Tally.Finals), Every: report.Tally(f.Tally.Every)})
	}
	return report.Render(templates, "report.md.tmpl", v)
}

//go:embed report.md.tmpl
var templates embed.FS

// view is what the template reads: the report, with each fault's answers
// counted.
type view struct {
	*Report
	Faults []faultView
}

type faultView struct {
	FaultReport
	// Finals and Every list the final answers and every answer with
	// their counts.
	Finals, Every string
}

// WriteMarkdown writes the report's page to path.
func WriteMarkdown(r *Report, path string) error {
	md, err := Markdown(r)
	if err == nil {
		err = report.WriteFile(path, md)
	}
	if err != nil {
		return fmt.Errorf("write chaos report: %w", err)
	}
	return nil
}
