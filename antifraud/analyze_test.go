package antifraud_test

import (
	"testing"

	"github.com/wsisvote/prizes/antifraud"
)

// mixedWorld is an edition of 18 categories of 20 nominees over 30 days
// with voters honest background voters (about 7.8 votes each), every
// honest crowd and every attack. Attacks and campaigns are sized to move a
// project across the cut of the top five.
func mixedWorld(seed uint64, voters int) *world {
	w := newWorld(seed, 18, 20, 30)
	w.background(voters)
	s := max(voters/60, 15)
	w.campus("C03-P07", 2*s, w.day(4.3))
	w.newsletter("C05-P09", 3*s, w.day(9.6))
	w.cgnat(s * 3)
	w.company("C07-P08", s, w.day(12))
	w.families("C09-P10", s/4)
	w.slate([]string{"C13-P05", "C14-P08", "C15-P03", "C16-P09"}, 2*s, w.day(20.5))
	w.botFarm("C01-P08", s, w.day(6.2))
	w.proxyFarm("C02-P09", s, w.day(14.5))
	w.disposableWave("C04-P10", s, w.day(18.1))
	w.agedRing([]string{"C06-P07", "C10-P09", "C11-P11", "C12-P06"}, s, w.day(8.4))
	w.drip("C08-P12", s/20+1, 21, w.day(3))
	return w
}

// TestAnalyze_MixedWorld runs the analyser on an edition with every crowd
// and attack at once, against the targets.
func TestAnalyze_MixedWorld(t *testing.T) {
	w := mixedWorld(1, 20000)
	votes := w.sorted()
	r := antifraud.Analyze(votes, antifraud.Options{})
	o := judge(t, w, votes, r)
	if o.recall() < 0.95 {
		t.Errorf("recall %.4f, want at least 0.95", o.recall())
	}
	if o.honestRate() > 0.005 {
		t.Errorf("honest flagged %.4f, want at most 0.005", o.honestRate())
	}
	if len(o.wrongChampions) > 0 {
		t.Errorf("champions wrong in %v", o.wrongChampions)
	}
	if t.Failed() {
		t.Log("\n" + o.String())
		logCases(t, w, r)
	}
}

// logCases logs the cases of half the flag score or more, with the labels
// of their votes.
func logCases(tb testing.TB, w *world, r antifraud.Report) {
	tb.Helper()
	for _, c := range r.Cases {
		if c.Score < 0.25 {
			continue
		}
		mix := map[string]int{}
		for _, id := range c.Votes {
			l, ok := w.labels[id]
			if !ok {
				l = "background"
			}
			mix[l]++
		}
		tb.Logf("%.3f %s %v %v", c.Score, c.ID, mix, c.Signals)
	}
}

// BenchmarkAnalyze runs the analyser on a WSIS-sized edition: about 1.3
// million votes from 167,000 honest voters, the honest crowds and the
// attacks of mixedWorld. The input is built once, outside the timing.
func BenchmarkAnalyze(b *testing.B) {
	w := mixedWorld(1, 167000)
	votes := w.sorted()
	b.ReportMetric(float64(len(votes)), "votes")
	b.ResetTimer()
	for b.Loop() {
		antifraud.Analyze(votes, antifraud.Options{})
	}
}
