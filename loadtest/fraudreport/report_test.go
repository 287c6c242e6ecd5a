package fraudreport_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/loadtest/fraudreport"
)

// cast is one vote of a test: its project (category "C" + the project's
// first letter), its label and whether the analyser flagged it.
type cast struct {
	project string
	label   string
	flagged bool
}

func honest(project string, flagged bool) cast { return cast{project, "crowd", flagged} }
func attack(project string, flagged bool) cast { return cast{project, "farm", flagged} }

// many returns n copies of c.
func many(n int, c cast) []cast {
	out := make([]cast, n)
	for i := range out {
		out[i] = c
	}
	return out
}

func votes(groups ...[]cast) []cast { return slices.Concat(groups...) }

// judge feeds the casts to a judge with targets t and returns its report.
func judge(tb testing.TB, t fraudreport.Targets, casts []cast) *fraudreport.Report {
	tb.Helper()
	j := fraudreport.NewJudge(t)
	for i, c := range casts {
		if err := j.Vote(antifraud.Vote{VoteID: id(i), ProjectID: c.project, Category: "C" + c.project[:1]}); err != nil {
			tb.Fatal(err)
		}
	}
	for i, c := range casts {
		if err := j.Label(antifraud.Label{VoteID: id(i), Label: c.label, Honest: c.label == "crowd" || strings.HasPrefix(c.label, "honest")}); err != nil {
			tb.Fatal(err)
		}
		status := antifraud.StatusCounted
		if c.flagged {
			status = antifraud.StatusFlagged
		}
		if err := j.Verdict(antifraud.Verdict{VoteID: id(i), Status: status}); err != nil {
			tb.Fatal(err)
		}
	}
	rep, err := j.Report()
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

func id(i int) string {
	return "v" + string(rune('a'+i/676)) + string(rune('a'+i/26%26)) + string(rune('a'+i%26))
}

// top3 are the targets with three Champions, so small tables can test
// the cut.
var top3 = fraudreport.Targets{Recall: 0.9, HonestFlagged: 0.1, Champions: 3}

func TestJudge_Report_rows(t *testing.T) {
	cases := []struct {
		name          string
		casts         []cast
		honestShare   float64
		recall        float64
		precision     float64
		precisionOK   bool
		farmPrecision float64
		recallMet     bool
		honestMet     bool
	}{
		{
			name:   "everything right",
			casts:  votes(many(10, honest("a1", false)), many(10, attack("a2", true))),
			recall: 1, precision: 1, precisionOK: true, farmPrecision: 1, recallMet: true, honestMet: true,
		},
		{
			name:   "nothing flagged",
			casts:  votes(many(10, honest("a1", false)), many(10, attack("a2", false))),
			recall: 0, precisionOK: false, recallMet: false, honestMet: true,
		},
		{
			// 9 of 10 attack votes and 1 of 20 honest ones: recall 0.9,
			// precision 9/10, honest share 1/20.
			name: "some of each",
			casts: votes(many(19, honest("a1", false)), many(1, honest("a1", true)),
				many(9, attack("a2", true)), many(1, attack("a2", false))),
			honestShare: 0.05, recall: 0.9, precision: 0.9, precisionOK: true, farmPrecision: 0.9, recallMet: true, honestMet: true,
		},
		{
			name:        "too many honest flagged",
			casts:       votes(many(8, honest("a1", false)), many(2, honest("a1", true)), many(10, attack("a2", true))),
			honestShare: 0.2, recall: 1, precision: 10.0 / 12, precisionOK: true, farmPrecision: 10.0 / 12, recallMet: true, honestMet: false,
		},
		{
			name:   "no attack at all",
			casts:  many(10, honest("a1", false)),
			recall: 0, precisionOK: false, recallMet: true, honestMet: true,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := judge(t, top3, c.casts)
			if got := rep.Honest.Share(); !near(got, c.honestShare) {
				t.Errorf("honest share flagged %v; want %v", got, c.honestShare)
			}
			if got := rep.Attack.Share(); !near(got, c.recall) {
				t.Errorf("recall %v; want %v", got, c.recall)
			}
			if got, ok := rep.Precision(); ok != c.precisionOK || !near(got, c.precision) {
				t.Errorf("precision %v, %v; want %v, %v", got, ok, c.precision, c.precisionOK)
			}
			for _, row := range rep.Rows {
				if row.Label == "farm" {
					if got, _ := rep.PrecisionOf(row); !near(got, c.farmPrecision) {
						t.Errorf("farm precision %v; want %v", got, c.farmPrecision)
					}
				}
			}
			if rep.RecallMet() != c.recallMet || rep.HonestMet() != c.honestMet {
				t.Errorf("recall met %v, honest met %v; want %v, %v", rep.RecallMet(), rep.HonestMet(), c.recallMet, c.honestMet)
			}
			if rep.Honest.Votes+rep.Attack.Votes != len(c.casts) {
				t.Errorf("%d + %d votes; want %d", rep.Honest.Votes, rep.Attack.Votes, len(c.casts))
			}
		})
	}
}

func TestJudge_Report_perLabel(t *testing.T) {
	casts := votes(
		many(4, cast{"a1", "honest_b", false}), many(1, cast{"a1", "honest_b", true}),
		many(6, cast{"a2", "honest_a", false}),
		many(3, cast{"a3", "ring", true}), many(1, cast{"a3", "ring", false}),
		many(2, cast{"a4", "bots", true}),
	)
	rep := judge(t, top3, casts)
	type row struct {
		label          string
		honest         bool
		votes, flagged int
	}
	var got []row
	for _, r := range rep.Rows {
		got = append(got, row{r.Label, r.Honest, r.Votes, r.Flagged})
	}
	// Honest crowds first, then attacks, each by name.
	want := []row{{"honest_a", true, 6, 0}, {"honest_b", true, 5, 1}, {"bots", false, 2, 2}, {"ring", false, 4, 3}}
	if !slices.Equal(got, want) {
		t.Fatalf("rows %v; want %v", got, want)
	}
	for _, r := range rep.Rows {
		// Alone, the ring's 3 flagged votes beside the one honest flagged.
		if r.Label == "ring" {
			if p, _ := rep.PrecisionOf(r); !near(p, 0.75) {
				t.Errorf("ring precision %v; want 0.75", p)
			}
		}
	}
}

func TestJudge_Report_champions(t *testing.T) {
	// Category A has honest standing a1 10, a2 8, a3 6, a4 5, a5 2, with
	// a3's and a4's votes given by the case.
	standing := func(a3, a4 []cast) []cast {
		return votes(many(10, honest("a1", false)), many(8, honest("a2", false)), a3, a4, many(2, honest("a5", false)))
	}
	base := standing(many(6, honest("a3", false)), many(5, honest("a4", false)))
	cases := []struct {
		name      string
		casts     []cast
		correct   bool
		margin    int
		missing   []string
		intruders []string
	}{
		{"honest only", base, true, 1, nil, nil},
		{"attack caught", votes(base, many(9, attack("a5", true))), true, 1, nil, nil},
		{"attack missed", votes(base, many(9, attack("a5", false))), false, 1, []string{"a3"}, []string{"a5"}},
		{"attack half caught, still below", votes(base, many(3, attack("a5", false)), many(6, attack("a5", true))), true, 1, nil, nil},
		{"honest votes flagged push a Champion out",
			standing(votes(many(4, honest("a3", false)), many(2, honest("a3", true))), many(5, honest("a4", false))),
			false, 1, []string{"a3"}, []string{"a4"}},
		// a3 and a4 tie on honest votes at the cut: the smaller id, a3,
		// is the Champion.
		{"tie at the cut", standing(many(6, honest("a3", false)), many(6, honest("a4", false))), true, 0, nil, nil},
		{"tie at the cut undone by a flag",
			standing(votes(many(5, honest("a3", false)), many(1, honest("a3", true))), many(6, honest("a4", false))),
			false, 0, []string{"a3"}, []string{"a4"}},
		{"an attack lifts an honest Champion", votes(base, many(20, attack("a3", false))), true, 1, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := judge(t, top3, c.casts)
			if len(rep.Categories) != 1 {
				t.Fatalf("%d categories; want 1", len(rep.Categories))
			}
			cat := rep.Categories[0]
			if cat.Correct() != c.correct || cat.Margin != c.margin || !slices.Equal(cat.Missing, c.missing) || !slices.Equal(cat.Intruders, c.intruders) {
				t.Fatalf("correct %v, margin %d, missing %v, intruders %v; want %v, %d, %v, %v",
					cat.Correct(), cat.Margin, cat.Missing, cat.Intruders, c.correct, c.margin, c.missing, c.intruders)
			}
			if want := map[bool]int{true: 1, false: 0}[c.correct]; rep.ChampionsCorrect() != want || rep.ChampionsMet() != c.correct {
				t.Fatalf("%d categories correct, met %v; want %d", rep.ChampionsCorrect(), rep.ChampionsMet(), want)
			}
		})
	}
	t.Run("categories in natural order", func(t *testing.T) {
		var casts []cast
		for _, c := range []string{"C10-x", "C2-y", "C1-z", "C7-eb", "C7-ea"} {
			casts = append(casts, cast{c + "/p", "crowd", false})
		}
		j := fraudreport.NewJudge(top3)
		for i, c := range casts {
			j.Vote(antifraud.Vote{VoteID: id(i), ProjectID: c.project, Category: strings.TrimSuffix(c.project, "/p")})
			j.Label(antifraud.Label{VoteID: id(i), Label: "crowd", Honest: true})
			j.Verdict(antifraud.Verdict{VoteID: id(i), Status: antifraud.StatusCounted})
		}
		rep, err := j.Report()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range rep.Categories {
			got = append(got, c.Category)
		}
		if want := []string{"C1-z", "C2-y", "C7-ea", "C7-eb", "C10-x"}; !slices.Equal(got, want) {
			t.Fatalf("categories %v; want %v", got, want)
		}
	})
	t.Run("categories counted apart", func(t *testing.T) {
		rep := judge(t, top3, votes(base, many(3, honest("b1", false)), many(2, honest("b2", false)), many(1, honest("b3", false)),
			many(9, attack("b4", false))))
		if rep.ChampionsCorrect() != 1 || len(rep.Categories) != 2 || rep.Categories[1].Correct() {
			t.Fatalf("%d of %d correct; want category A right and B wrong", rep.ChampionsCorrect(), len(rep.Categories))
		}
		if rep.Met() {
			t.Fatal("targets met with a category wrong")
		}
	})
}

func TestJudge_errors(t *testing.T) {
	vote := func(id, project, cat string) antifraud.Vote {
		return antifraud.Vote{VoteID: id, ProjectID: project, Category: cat}
	}
	cases := []struct {
		name string
		feed func(*fraudreport.Judge) error
		want string
	}{
		{"vote twice", func(j *fraudreport.Judge) error {
			j.Vote(vote("v1", "p", "C1"))
			return j.Vote(vote("v1", "p", "C1"))
		}, "appears twice"},
		{"project in two categories", func(j *fraudreport.Judge) error {
			j.Vote(vote("v1", "p", "C1"))
			return j.Vote(vote("v2", "p", "C2"))
		}, "is in category C1"},
		{"label for no vote", func(j *fraudreport.Judge) error {
			return j.Label(antifraud.Label{VoteID: "v9", Label: "x"})
		}, "not in the votes"},
		{"label twice", func(j *fraudreport.Judge) error {
			j.Vote(vote("v1", "p", "C1"))
			j.Label(antifraud.Label{VoteID: "v1", Label: "x"})
			return j.Label(antifraud.Label{VoteID: "v1", Label: "x"})
		}, "labelled twice"},
		{"honest and not", func(j *fraudreport.Judge) error {
			j.Vote(vote("v1", "p", "C1"))
			j.Vote(vote("v2", "p", "C1"))
			j.Label(antifraud.Label{VoteID: "v1", Label: "x", Honest: true})
			return j.Label(antifraud.Label{VoteID: "v2", Label: "x"})
		}, "honest on one line"},
		{"verdict for no vote", func(j *fraudreport.Judge) error {
			return j.Verdict(antifraud.Verdict{VoteID: "v9", Status: "counted"})
		}, "not in the votes"},
		{"two verdicts", func(j *fraudreport.Judge) error {
			j.Vote(vote("v1", "p", "C1"))
			j.Verdict(antifraud.Verdict{VoteID: "v1", Status: "flagged"})
			return j.Verdict(antifraud.Verdict{VoteID: "v1", Status: "counted"})
		}, "two verdicts"},
		{"unknown status", func(j *fraudreport.Judge) error {
			j.Vote(vote("v1", "p", "C1"))
			return j.Verdict(antifraud.Verdict{VoteID: "v1", Status: "rejected"})
		}, `status "rejected"`},
		{"missing verdict", func(j *fraudreport.Judge) error {
			j.Vote(vote("v1", "p", "C1"))
			j.Vote(vote("v2", "p", "C1"))
			j.Label(antifraud.Label{VoteID: "v1", Label: "x"})
			j.Label(antifraud.Label{VoteID: "v2", Label: "x"})
			j.Verdict(antifraud.Verdict{VoteID: "v2", Status: "counted"})
			_, err := j.Report()
			return err
		}, "1 no verdict (first v1)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.feed(fraudreport.NewJudge(fraudreport.DefaultTargets()))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v; want one containing %q", err, c.want)
			}
		})
	}
}

func TestReadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v := write("votes.jsonl", `{"vote_id":"v1","voter_id":1,"project_id":"p1","category":"C1","cast_at":"2025-03-03T10:00:00Z","network":"192.0.2.0/24","user_agent":"x","device_hint":"","email_domain":"gmail.com","account_created_at":"2025-03-03T09:59:00Z"}
{"vote_id":"v2","voter_id":2,"project_id":"p2","category":"C1","cast_at":"2025-03-03T10:00:01Z","network":"192.0.2.0/24","user_agent":"x","device_hint":"","email_domain":"gmail.com","account_created_at":"2025-03-03T09:59:00Z"}
`)
	l := write("labels.jsonl", `{"vote_id":"v2","label":"farm","honest":false}
{"vote_id":"v1","label":"honest_organic","honest":true}
`)
	good := write("verdicts.jsonl", `{"vote_id":"v2","status":"flagged","score":0.9,"reasons":["shared_network"]}
{"vote_id":"v1","status":"counted","score":0,"reasons":[]}
`)
	bad := write("bad.jsonl", `{"vote_id":"v2","status":"flagged","score":0.9,"reasons":[]}
{"vote_id":"v1","status":"maybe","score":0,"reasons":[]}
`)
	rep, err := fraudreport.ReadFiles(v, l, good, fraudreport.Targets{Recall: 0.95, HonestFlagged: 0.005, Champions: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Attack.Flagged != 1 || rep.Honest.Flagged != 0 || !rep.Met() {
		t.Fatalf("report %+v; want the one attack vote flagged and every target met", rep)
	}
	md, err := fraudreport.Markdown(rep, fraudreport.Page{Intro: "From a test.", Traffic: "| two votes |", Describe: func(l string) string {
		return map[string]string{"farm": "A farm."}[l]
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"From a test.", "## The traffic\n\n| two votes |\n\n## Votes flagged", "Every target is met.", "- `farm` (attack): A farm.",
		"- `honest_organic` (honest): (not described)", "| C1 | yes | 1 |", "| `farm` | 1 | 1 | 1.000 | 1.000 | yes |"} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md)
		}
	}
	if _, err := fraudreport.ReadFiles(v, l, bad, fraudreport.DefaultTargets()); err == nil || !strings.Contains(err.Error(), "bad.jsonl: line 2") {
		t.Fatalf("error %v; want one naming the file and line 2", err)
	}
}

func TestMarkdown_missed(t *testing.T) {
	rep := judge(t, top3, votes(many(6, honest("a1", false)), many(4, honest("a1", true)), many(5, honest("a2", false)),
		many(4, honest("a3", false)), many(3, honest("a4", false)), many(10, attack("a4", false))))
	md, err := fraudreport.Markdown(rep, fraudreport.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"**Targets missed.**", "| attack votes flagged (recall) | at least 0.900 | 0.000 | **no** |",
		"| honest votes flagged | at most 10.00% | 18.18% | **no** |", "0 of 1 categories", "| Ca | **no** | 1 | `a3` | `a4` |"} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "## Crowds and attacks") {
		t.Error("crowds described without a Describe")
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
