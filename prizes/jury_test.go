package prizes_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

func juryRules(agg prizes.Aggregation) prizes.Rules {
	r := prizes.DefaultRules()
	r.Rubric = []prizes.Criterion{{Key: "impact", Name: "Impact", Weight: 3}, {Key: "reach", Name: "Reach", Weight: 1}}
	r.Aggregation = agg
	return r
}

func card(juror, project string, impact, reach int) prizes.Card {
	return prizes.Card{Juror: juror, ProjectID: project, Scores: map[string]int{"impact": impact, "reach": reach}}
}

var cat1 = voting.Category{Code: "C1", Name: "One"}

func TestJudgeCategory_weightedMean(t *testing.T) {
	contenders := []prizes.Contender{{ProjectID: "a", Votes: 10}, {ProjectID: "b", Votes: 20}}
	cards := []prizes.Card{card("j1", "a", 8, 4), card("j2", "a", 6, 6), card("j1", "b", 7, 7), card("j2", "b", 6, 2)}
	cj, err := prizes.JudgeCategory(juryRules(prizes.WeightedMean), cat1, contenders, cards, nil)
	if err != nil {
		t.Fatal(err)
	}
	// a: (24+4)/4 = 7 and (18+6)/4 = 6 -> 6.5; b: 7 and (18+2)/4 = 5 -> 6.
	a, b := cj.Standings[0], cj.Standings[1]
	if a.ProjectID != "a" || a.Aggregate != 6.5 || b.Aggregate != 6 || !a.Winner || b.Winner {
		t.Fatalf("standings %+v", cj.Standings)
	}
	if cj.Margin == nil || *cj.Margin != 0.5 || cj.Jurors != 2 || a.Criteria["impact"] != 7 {
		t.Fatalf("margin %v, jurors %d, criteria %v", deref(cj.Margin), cj.Jurors, a.Criteria)
	}
}

// TestJudgeCategory_normalisation: a lenient juror with a wide spread
// decides the raw means; per-juror z-scores weigh both jurors alike and turn
// the result, and the sensitivity report says the method matters.
func TestJudgeCategory_normalisation(t *testing.T) {
	contenders := []prizes.Contender{{ProjectID: "a"}, {ProjectID: "b"}, {ProjectID: "c"}}
	cards := []prizes.Card{
		card("wide", "a", 10, 10), card("wide", "b", 2, 2), card("wide", "c", 1, 1),
		card("narrow", "a", 3, 3), card("narrow", "b", 5, 5), card("narrow", "c", 4, 4),
	}
	raw, err := prizes.JudgeCategory(juryRules(prizes.WeightedMean), cat1, contenders, cards, nil)
	if err != nil {
		t.Fatal(err)
	}
	z, err := prizes.JudgeCategory(juryRules(prizes.ZScore), cat1, contenders, cards, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Raw: a 6.5, b 3.5. Z: wide gives a 1.407, b -0.579; narrow gives
	// a -1.225, b 1.225; means a 0.091093, b 0.32271.
	if w := raw.Winners(); !reflect.DeepEqual(w, []string{"a"}) || raw.Standings[0].Aggregate != 6.5 {
		t.Fatalf("raw Winners %v (%+v)", w, raw.Standings)
	}
	if w := z.Winners(); !reflect.DeepEqual(w, []string{"b"}) || z.Standings[0].Aggregate != 0.32271 {
		t.Fatalf("normalised Winners %v (%+v)", w, z.Standings)
	}
	s := z.Sensitivity
	if !s.MethodMatters || s.Stable || !reflect.DeepEqual(s.Raw, []string{"a"}) || !reflect.DeepEqual(s.Normalised, []string{"b"}) {
		t.Fatalf("sensitivity %+v", s)
	}
	want := map[string][]string{"narrow": {"a"}, "wide": {"b"}}
	for _, l := range s.LeaveOneOut {
		if !reflect.DeepEqual(l.Winners, want[l.Juror]) || l.Changed != (l.Juror == "narrow") {
			t.Errorf("without %s: %+v", l.Juror, l)
		}
	}
	if z.Standings[0].NormalisedMean != z.Standings[0].Aggregate || z.Standings[0].RawMean != 3.5 {
		t.Errorf("standing %+v: aggregate must be the normalised mean, raw mean kept beside it", z.Standings[0])
	}
}

// TestJudgeCategory_sensitivity: one juror decides the Winner, and the
// report says so.
func TestJudgeCategory_sensitivity(t *testing.T) {
	contenders := []prizes.Contender{{ProjectID: "a"}, {ProjectID: "b"}}
	cards := []prizes.Card{
		card("j1", "a", 6, 6), card("j1", "b", 5, 5),
		card("j2", "a", 6, 6), card("j2", "b", 5, 5),
		card("j3", "a", 2, 2), card("j3", "b", 9, 9),
	}
	cj, err := prizes.JudgeCategory(juryRules(prizes.WeightedMean), cat1, contenders, cards, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := cj.Sensitivity
	if !reflect.DeepEqual(s.Winners, []string{"b"}) || s.Stable {
		t.Fatalf("sensitivity %+v; want b, not stable", s)
	}
	want := map[string][]string{"j1": {"b"}, "j2": {"b"}, "j3": {"a"}}
	for _, l := range s.LeaveOneOut {
		if !reflect.DeepEqual(l.Winners, want[l.Juror]) || l.Changed != (l.Juror == "j3") {
			t.Errorf("without %s: %+v; want %v", l.Juror, l, want[l.Juror])
		}
	}
	if !s.MethodMatters || !reflect.DeepEqual(s.Normalised, []string{"a"}) {
		t.Errorf("normalised Winners %v, method matters %v; want a, true", s.Normalised, s.MethodMatters)
	}
}

func TestJudgeCategory_tieAndMissing(t *testing.T) {
	rules := juryRules(prizes.WeightedMean)
	contenders := []prizes.Contender{{ProjectID: "a", Votes: 5}, {ProjectID: "b", Votes: 5}, {ProjectID: "c", Votes: 1}}
	cards := []prizes.Card{card("j1", "a", 7, 7), card("j1", "b", 7, 7), card("j1", "c", 7, 7)}

	_, err := prizes.JudgeCategory(rules, cat1, contenders, cards[:2], nil)
	if !errors.Is(err, prizes.ErrNotReady) {
		t.Fatalf("a Champion without scorecards: %v; want ErrNotReady", err)
	}
	// Three-way tie on scores; public votes put c last; a and b need the
	// organiser.
	cj, err := prizes.JudgeCategory(rules, cat1, contenders, cards, nil)
	var te *prizes.TieError
	if !errors.As(err, &te) || !reflect.DeepEqual(te.Ties[0].Projects, []string{"a", "b"}) || len(cj.Winners()) != 0 {
		t.Fatalf("tie: %v, Winners %v", err, cj.Winners())
	}
	d := &prizes.TieDecision{Stage: prizes.StageWinners, Category: "C1", Order: []string{"b", "a"}, Reason: "chair"}
	cj, err = prizes.JudgeCategory(rules, cat1, contenders, cards, d)
	if err != nil || !reflect.DeepEqual(cj.Winners(), []string{"b"}) || cj.Decision == nil || cj.Standings[2].SeparatedBy != "" {
		t.Fatalf("decided: %v, Winners %v, standings %+v", err, cj.Winners(), cj.Standings)
	}
	if cj.Standings[0].SeparatedBy != "organiser" || cj.Standings[1].SeparatedBy != "public_votes" {
		t.Fatalf("separations %+v", cj.Standings)
	}
}

func TestRules_CheckScores(t *testing.T) {
	r := juryRules(prizes.WeightedMean)
	tests := []struct {
		scores   map[string]int
		complete bool
		fields   []string
	}{
		{map[string]int{"impact": 5}, false, nil},
		{map[string]int{"impact": 5}, true, []string{"scores.reach"}},
		{map[string]int{"impact": 0, "reach": 11, "charm": 5}, false, []string{"scores.charm", "scores.impact", "scores.reach"}},
		{map[string]int{"impact": 1, "reach": 10}, true, nil},
	}
	for _, tt := range tests {
		err := r.CheckScores(tt.scores, "", tt.complete)
		var fe prizes.FieldErrors
		errors.As(err, &fe)
		var got []string
		for k := range fe {
			got = append(got, k)
		}
		if len(got) != len(tt.fields) {
			t.Errorf("CheckScores(%v, %v) = %v; want fields %v", tt.scores, tt.complete, err, tt.fields)
			continue
		}
		for _, f := range tt.fields {
			if fe[f] == "" {
				t.Errorf("CheckScores(%v): no error for %s", tt.scores, f)
			}
		}
	}
}
