package chaos_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/loadtest/chaos"
	"github.com/wsisvote/prizes/loadtest/stack"
)

func report() *chaos.Report {
	return &chaos.Report{
		Date:    time.Date(2026, 12, 2, 5, 9, 0, 0, time.UTC),
		Command: "deploy/local/stack.sh test bin/prizes-loadtest chaos",
		Machine: stack.Machine{CPUs: 2, CPUModel: "Xeon", Redis: "7.0.15", Postgres: "15.20"},
		Settings: chaos.Settings{Rate: 400, Workers: 32, Voters: 100, Categories: 18, Before: 5 * time.Second,
			After: 3 * time.Second, RetryFor: 30 * time.Second, PostgresDown: 15 * time.Second, Shutdown: stack.Immediate},
		Faults: []chaos.FaultReport{{
			Name: "serve", What: "prizes serve killed with SIGKILL, then started again",
			Down: 120 * time.Millisecond, Drained: true, DrainAfterFault: 2300 * time.Millisecond, DrainAfterLoad: 300 * time.Millisecond,
			Check: stack.Check{Converged: true},
			Tally: chaos.Tally{Sent: 2043, Attempts: 2081, Retried: 32, Acknowledged: 2040, Refused: 3, InLedger: 2043,
				Unacknowledged: 3, Finals: map[string]int64{"202": 2040, "409 duplicate_vote": 3},
				Every: map[string]int64{"202": 2040, "409 duplicate_vote": 3, "no answer": 38}},
		}, {
			Name: "redis", What: "Redis killed with SIGKILL, then started again from its append-only file",
			Down: 200 * time.Millisecond, Drained: true, DrainAfterFault: 19600 * time.Millisecond,
			Check: stack.Check{Converged: true},
			Tally: chaos.Tally{Sent: 10, Attempts: 10, Acknowledged: 10, InLedger: 9, Missing: 1, MissingIDs: []string{"0190-ab"},
				Finals: map[string]int64{"202": 10}, Every: map[string]int64{"202": 10}},
			Problems: []string{"prizes flush exited by itself:\nlast\nlines"},
		}},
	}
}

func TestMarkdown(t *testing.T) {
	md := markdown(t, report())
	for _, want := range []string{
		"# Crash drill",
		"`make chaos`",
		"`deploy/local/stack.sh test bin/prizes-loadtest chaos`",
		"How to read it:",
		"**the contract was broken**",
		"## prizes serve killed with SIGKILL, then started again",
		"| votes sent | 2043 (2081 requests; 32 votes retried) |",
		"| acknowledged (202 or 200) | 2040 |",
		"| refused | 3 |",
		"| in the ledger | 2043 |",
		"| acknowledged, missing from the ledger | 0 |",
		"| in the ledger, not acknowledged | 3 |",
		"| part away | 0.1 s |",
		"| log drained, `prizes check` passing | 2.3 s after the fault ended, 0.3 s after the last answer |",
		"Final answers: 202 ×2040, 409 duplicate_vote ×3. Every answer, retries included: 202 ×2040, no answer ×38, 409 duplicate_vote ×3.",
		"| acknowledged, missing from the ledger | **1** |",
		"Missing vote ids (up to ten): 0190-ab.",
		"- prizes flush exited by itself: last lines\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
}

func TestMarkdown_NotDrained(t *testing.T) {
	r := report()
	r.Faults = r.Faults[:1]
	r.Faults[0].Drained = false
	r.Faults[0].Check = stack.Check{Pending: 12, Unread: 3}
	md := markdown(t, r)
	if want := "| log drained, `prizes check` passing | **no**: pending 12, unread 3, converged false |"; !strings.Contains(md, want) {
		t.Errorf("the report lacks %q:\n%s", want, md)
	}
}

func TestReport_OK(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(r *chaos.Report)
		want   bool
	}{
		{"every fault kept the contract", func(r *chaos.Report) { r.Faults = r.Faults[:1] }, true},
		{"a missing vote", func(*chaos.Report) {}, false},
		{"a vote twice", func(r *chaos.Report) { r.Faults = r.Faults[:1]; r.Faults[0].Tally.Duplicated = 1 }, false},
		{"not drained", func(r *chaos.Report) { r.Faults = r.Faults[:1]; r.Faults[0].Drained = false }, false},
		{"check failed", func(r *chaos.Report) { r.Faults = r.Faults[:1]; r.Faults[0].Check.Converged = false }, false},
		{"no fault", func(r *chaos.Report) { r.Faults = nil }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := report()
			tc.change(r)
			if got := r.OK(); got != tc.want {
				t.Errorf("OK() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFaultReport_Line(t *testing.T) {
	r := report()
	want := "serve    sent 2043, acknowledged 2040, refused 3, unknown 0, in ledger 2043, missing 0, duplicated 0, " +
		"in ledger not acknowledged 3; drained 2.3 s after the fault ended; check converged true: ok"
	if got := r.Faults[0].Line(); got != want {
		t.Errorf("Line() =\n%s\nwant\n%s", got, want)
	}
	if got := r.Faults[1].Line(); !strings.HasSuffix(got, ": FAILED") {
		t.Errorf("Line() of a fault with a missing vote = %s, want it to end in FAILED", got)
	}
}

func markdown(tb testing.TB, r *chaos.Report) string {
	tb.Helper()
	md, err := chaos.Markdown(r)
	if err != nil {
		tb.Fatal(err)
	}
	return md
}
