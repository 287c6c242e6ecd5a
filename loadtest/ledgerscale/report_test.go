package ledgerscale_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/loadtest/ledgerscale"
)

func TestWriteFiles(t *testing.T) {
	ms := func(ds ...int) ledgerscale.Timing {
		var tm ledgerscale.Timing
		for _, d := range ds {
			tm.Runs = append(tm.Runs, time.Duration(d)*time.Millisecond)
		}
		return tm
	}
	rep := ledgerscale.Report{Date: time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC), Command: "make ledger-scale", Votes: 1000,
		Editions: 2, Nominees: 20, FlushBatch: 2000, QueryRepeats: 2, Fsync: "on", SynchronousCommit: "on",
		Ledgers: []ledgerscale.LedgerReport{
			{Name: ledgerscale.Empty, Timings: map[string]ledgerscale.Timing{"recount": ms(10, 12), "flush": ms(50, 60, 70)}},
			{Name: ledgerscale.Partitioned, Votes: 1000, EditionVotes: 500, LoadTime: time.Second,
				Timings: map[string]ledgerscale.Timing{"recount": ms(100, 120), "flush": ms(60, 70, 80)},
				Plans:   []ledgerscale.Plan{{Measure: "recount", Text: "Seq Scan on votes_scale_2022 v"}}},
			{Name: ledgerscale.Unpartitioned, Votes: 1000, EditionVotes: 500, LoadTime: time.Second,
				Timings: map[string]ledgerscale.Timing{"recount": ms(330, 330), "flush": ms(90, 100, 110)}},
		}}
	dir := t.TempDir()
	page, bench, js := filepath.Join(dir, "ledger-scale.md"), filepath.Join(dir, "benchmarks.md"), filepath.Join(dir, "ledger-scale.json")
	if err := os.WriteFile(page, []byte("# The ledger at scale\n\nWritten by hand.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ledgerscale.WriteFiles(rep, page, bench, js, "ledger-scale.json"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Written by hand.",
		"| recount: `prizes recount`: the counted votes of every nominee, and the votes left out | 11ms | 110ms | 330ms | 10.00 | 3.00 |",
		"(p99 80ms)",
		"Seq Scan on votes_scale_2022 v",
		"| partitioned | 1,000 | 500 | 1s (1,000 votes/s) |",
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("ledger-scale.md lacks %q:\n%s", want, got)
		}
	}
	back, err := ledgerscale.ReadReport(js)
	if err != nil || len(back.Ledgers) != 3 || back.Ledgers[1].Timings["recount"].Median() != 110*time.Millisecond {
		t.Fatalf("read back %+v, %v; want the report written", back.Ledgers, err)
	}
	headline, err := os.ReadFile(bench)
	if err != nil || !strings.Contains(string(headline), "| flush | 60ms | 70ms | 100ms | 1.17 | 1.43 |") {
		t.Fatalf("benchmarks.md section:\n%s (%v)", headline, err)
	}
}
