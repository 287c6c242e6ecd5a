package antifraud_test

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/wsisvote/prizes/antifraud"
)

// TestAnalyze_Crowds puts one crowd at a time into an honest edition and
// checks that attacks are flagged and honest crowds are not, and that the
// background stays counted.
func TestAnalyze_Crowds(t *testing.T) {
	const voters = 6000
	tests := []struct {
		name  string
		label string
		add   func(w *world)
		// honest crowds must keep 99% of their votes counted, attacks have
		// 95% of theirs flagged.
		honest bool
		reason string // a reason every flagged vote of the crowd carries
	}{
		{"one-address bot farm", "botfarm", func(w *world) { w.botFarm("C01-P08", 150, w.day(6.2)) }, false, antifraud.ReasonRegularTiming},
		{"residential proxy farm", "proxyfarm", func(w *world) { w.proxyFarm("C02-P09", 150, w.day(14.5)) }, false, antifraud.ReasonFreshAccounts},
		{"disposable-email wave", "disposable", func(w *world) { w.disposableWave("C04-P10", 150, w.day(18.1)) }, false, antifraud.ReasonNewDomain},
		{"ring of aged accounts in lockstep", "ring", func(w *world) {
			w.agedRing([]string{"C06-P07", "C10-P09", "C11-P11", "C12-P06"}, 120, w.day(8.4))
		}, false, antifraud.ReasonStagedAccounts},
		{"ring whose members vote part of its set", "partialring", func(w *world) {
			w.partialRing([]string{"C06-P07", "C10-P09", "C11-P11", "C12-P06"}, 3, 150, w.day(8.4))
		}, false, ""},
		{"slow drip from a few networks", "drip", func(w *world) { w.drip("C08-P12", 8, 21, w.day(3)) }, false, antifraud.ReasonSteadyDrip},
		{"campus campaign", "campus", func(w *world) { w.campus("C03-P07", 300, w.day(4.3)) }, true, ""},
		{"newsletter burst", "newsletter", func(w *world) { w.newsletter("C05-P09", 400, w.day(9.6)) }, true, ""},
		{"mobile carrier NAT", "cgnat", func(w *world) { w.cgnat(1500) }, true, ""},
		{"company network", "company", func(w *world) { w.company("C07-P08", 200, w.day(12)) }, true, ""},
		{"families sharing a device", "family", func(w *world) { w.families("C09-P10", 60) }, true, ""},
		{"organisation's slate", "slate", func(w *world) {
			w.slate([]string{"C13-P05", "C14-P08", "C15-P03", "C16-P09"}, 300, w.day(20.5))
		}, true, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(uint64(100+i), 18, 20, 30)
			w.background(voters)
			tt.add(w)
			votes := w.sorted()
			r := antifraud.Analyze(votes, antifraud.Options{})
			o := judge(t, w, votes, r)
			crowd := o.byLabel[tt.label]
			if crowd == nil || crowd.votes == 0 {
				t.Fatalf("no votes labelled %s", tt.label)
			}
			share := float64(crowd.flagged) / float64(crowd.votes)
			if tt.honest && share > 0.01 {
				t.Errorf("%.1f%% of the %s's votes flagged, want at most 1%%", 100*share, tt.name)
			}
			if !tt.honest && share < 0.95 {
				t.Errorf("%.1f%% of the %s's votes flagged, want at least 95%%", 100*share, tt.name)
			}
			if bg := o.byLabel["background"]; float64(bg.flagged) > 0.005*float64(bg.votes) {
				t.Errorf("%d of %d background votes flagged, want at most 0.5%%", bg.flagged, bg.votes)
			}
			if tt.reason != "" {
				for i, v := range votes {
					vd := r.Verdicts[i]
					if w.labels[v.VoteID] == tt.label && vd.Status == antifraud.StatusFlagged && !slices.Contains(vd.Reasons, tt.reason) {
						t.Fatalf("vote %s flagged for %v, want %s among them", v.VoteID, vd.Reasons, tt.reason)
					}
				}
			}
			if t.Failed() {
				t.Log("\n" + o.String())
				logCases(t, w, r)
			}
		})
	}
}

// TestAnalyze_Deterministic checks that the report depends on the votes
// only: the same input gives the same report, and the same votes in
// another order give every vote the same verdict.
func TestAnalyze_Deterministic(t *testing.T) {
	w := newWorld(7, 18, 20, 30)
	w.background(3000)
	w.botFarm("C01-P08", 100, w.day(3))
	w.agedRing([]string{"C06-P07", "C10-P09", "C11-P11"}, 60, w.day(8))
	votes := w.sorted()
	a := antifraud.Analyze(votes, antifraud.Options{})
	b := antifraud.Analyze(votes, antifraud.Options{})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs on the same votes differ")
	}
	shuffled := slices.Clone(votes)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	c := antifraud.Analyze(shuffled, antifraud.Options{})
	want := make(map[string]antifraud.Verdict, len(a.Verdicts))
	for _, v := range a.Verdicts {
		want[v.VoteID] = v
	}
	for i, v := range c.Verdicts {
		if v.VoteID != shuffled[i].VoteID {
			t.Fatalf("verdict %d is for %s, want %s: verdicts must follow input order", i, v.VoteID, shuffled[i].VoteID)
		}
		if !reflect.DeepEqual(v, want[v.VoteID]) {
			t.Fatalf("vote %s: %+v in shuffled order, %+v in time order", v.VoteID, v, want[v.VoteID])
		}
	}
	if len(a.Cases) == 0 {
		t.Fatal("no cases found; the test needs some")
	}
}

// TestAnalyze_Report checks the shape of a report: a verdict for every vote
// with a known status, a score in [0,1] and sorted reason codes, and cases
// whose votes are flagged ones with a timeline that adds up.
func TestAnalyze_Report(t *testing.T) {
	if r := antifraud.Analyze(nil, antifraud.Options{}); len(r.Verdicts) != 0 || len(r.Cases) != 0 {
		t.Fatalf("Analyze(nil) = %+v, want an empty report", r)
	}
	w := newWorld(3, 18, 20, 30)
	w.background(3000)
	w.botFarm("C01-P08", 100, w.day(3))
	votes := w.sorted()
	r := antifraud.Analyze(votes, antifraud.Options{})
	status := make(map[string]string)
	for _, v := range r.Verdicts {
		if v.Status != antifraud.StatusCounted && v.Status != antifraud.StatusFlagged {
			t.Fatalf("vote %s: status %q", v.VoteID, v.Status)
		}
		if v.Score < 0 || v.Score > 1 || v.Reasons == nil || !slices.IsSorted(v.Reasons) {
			t.Fatalf("vote %s: score %v, reasons %v", v.VoteID, v.Score, v.Reasons)
		}
		if (v.Status == antifraud.StatusFlagged) != (v.Score >= 0.5) {
			t.Fatalf("vote %s: status %s with score %v", v.VoteID, v.Status, v.Score)
		}
		status[v.VoteID] = v.Status
	}
	if len(r.Cases) == 0 {
		t.Fatal("no case for a bot farm")
	}
	ids := make(map[string]bool)
	for _, c := range r.Cases {
		if ids[c.ID] {
			t.Errorf("case id %s twice", c.ID)
		}
		ids[c.ID] = true
		if c.Summary == "" || len(c.Accounts) == 0 || len(c.Projects) == 0 || len(c.Votes) == 0 {
			t.Errorf("case %s is incomplete: %+v", c.ID, c)
		}
		n := 0
		for _, p := range c.Timeline {
			n += p.Votes
		}
		if n != len(c.Votes) {
			t.Errorf("case %s: timeline holds %d votes, the case %d", c.ID, n, len(c.Votes))
		}
		if c.Score >= 0.5 {
			for _, id := range c.Votes {
				if status[id] == "" {
					t.Fatalf("case %s lists unknown vote %s", c.ID, id)
				}
			}
		}
	}
}
