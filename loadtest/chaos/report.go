package chaos

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

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
		drain = "drained " + secs(f.DrainAfterFault) + " after the fault ended"
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
func Markdown(r *Report) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	s := r.Settings
	p("# Crash drill\n\n")
	p("What a vote's answer is worth when a part of the deployment dies under load. `make chaos` starts a deployment of its own " +
		"(Redis writing every command to its append-only file before it answers, `appendfsync always`; PostgreSQL with fsync on; " +
		"one `prizes serve --flush=false`; one `prizes flush`), casts votes at a steady rate and breaks one part at a time. " +
		"After each fault it waits until the vote log is empty and `prizes check` passes; at the end it reads the ledger and " +
		"compares it with every answer the load got.\n\n")
	p("Measured on %s with `%s`.\n\n", r.Date.Format("2006-01-02 15:04 UTC"), r.Command)
	p("| machine | |\n|---|---|\n")
	p("| CPU | %d × %s |\n", r.Machine.CPUs, r.Machine.CPUModel)
	p("| kernel | %s |\n| Go | %s |\n", r.Machine.Kernel, r.Machine.GoVersion)
	p("| Redis | %s, appendonly yes, appendfsync always |\n", r.Machine.Redis)
	p("| PostgreSQL | %s, fsync on |\n\n", r.Machine.Postgres)
	p("Load: %.0f votes a second on %d connections from %d voters in %d categories, each voter once per category; "+
		"%s of load before each fault and %s after the part is back. A vote that gets no answer or a 503 is sent again, "+
		"the same request, after 50 ms doubling up to 1 s, for up to %s; its last answer is its final one. "+
		"prizes runs with `%s` and its defaults otherwise (a flusher takes over a dead one's votes after `--claim-idle`, 15 s).\n\n",
		s.Rate, s.Workers, s.Voters, s.Categories, secs(s.Before), secs(s.After), secs(s.RetryFor), strings.Join(s.ServeEnv, " "))
	p("How to read it: **acknowledged** votes got a 202, or a 200 for a retry whose original was recorded, with a vote id, " +
		"and each must be in the ledger once under that id: **acknowledged, missing from the ledger** and **in the ledger twice** " +
		"must be 0. **Refused** votes got an answer that says nothing was recorded (a 4xx, or 503 `unavailable`), **unknown** ones " +
		"no answer that says (none at all, 503 `outcome_unknown`). **In the ledger, not acknowledged** are votes that were recorded " +
		"although their final answer did not say so: the answer to the original was lost and its retry was refused as a duplicate, " +
		"or the answer was refused or unknown. The ledger is read once after the last fault, so a fault that lost an earlier one's " +
		"votes would show them missing there. **Part away** is from the kill or the stop to the part answering again. The drain is timed from the moment the part answered again, with the load going on " +
		"for a while after it, and from the last answer: votes a flusher had read but not yet cleared from the log when it died, or when Redis or " +
		"PostgreSQL went away under it, stay pending in the log until `--claim-idle` has passed and a flusher claims them, " +
		"so those faults take about that long to drain.\n\n")
	verdict := "every acknowledged vote is in the ledger exactly once and `prizes check` passed after every fault"
	if !r.OK() {
		verdict = "**the contract was broken**: see the faults marked failed"
	}
	p("Result: %s.\n\n", verdict)
	for _, f := range r.Faults {
		t := f.Tally
		p("## %s\n\n", f.What)
		p("| %s | |\n|---|---|\n", f.Name)
		p("| votes sent | %d (%d requests; %d votes retried) |\n", t.Sent, t.Attempts, t.Retried)
		p("| acknowledged (202 or 200) | %d |\n", t.Acknowledged)
		p("| refused | %d |\n", t.Refused)
		p("| unknown | %d |\n", t.Unknown)
		p("| in the ledger | %d |\n", t.InLedger)
		p("| acknowledged, missing from the ledger | %s |\n", mark(t.Missing))
		p("| in the ledger twice | %s |\n", mark(t.Duplicated))
		p("| in the ledger, not acknowledged | %d |\n", t.Unacknowledged)
		p("| part away | %s |\n", secs(f.Down))
		if f.Drained {
			p("| log drained, `prizes check` passing | %s after the fault ended, %s after the last answer |\n",
				secs(f.DrainAfterFault), secs(f.DrainAfterLoad))
		} else {
			p("| log drained, `prizes check` passing | **no**: pending %d, unread %d, converged %v |\n",
				f.Check.Pending, f.Check.Unread, f.Check.Converged)
		}
		p("\nFinal answers: %s. Every answer, retries included: %s.\n\n", counts(t.Finals), counts(t.Every))
		if len(t.MissingIDs) > 0 {
			p("Missing vote ids (up to ten): %s.\n\n", strings.Join(t.MissingIDs, ", "))
		}
		for _, pr := range f.Problems {
			p("- %s\n", oneLine(pr))
		}
		if len(f.Problems) > 0 {
			p("\n")
		}
	}
	if len(r.Problems) > 0 {
		p("## Problems\n\n")
		for _, pr := range r.Problems {
			p("- %s\n", oneLine(pr))
		}
		p("\n")
	}
	return b.String()
}

// WriteMarkdown writes the report's page to path.
func WriteMarkdown(r *Report, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write chaos report: %w", err)
	}
	if err := os.WriteFile(path, []byte(Markdown(r)), 0o644); err != nil {
		return fmt.Errorf("write chaos report: %w", err)
	}
	return nil
}

// counts lists m as "202 ×3990, 409 duplicate_vote ×12", most frequent
// first.
func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// mark shows a count that must be zero, in bold when it is not.
func mark(n int64) string {
	if n == 0 {
		return "0"
	}
	return fmt.Sprintf("**%d**", n)
}

// secs formats d in seconds to a tenth.
func secs(d time.Duration) string {
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// oneLine keeps a problem, which may carry a log's tail, on one line of a
// Markdown list.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
