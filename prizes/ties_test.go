package prizes_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

func TestCategoryChampions_TieAtCut(t *testing.T) {
	rules := prizes.DefaultRules()
	rules.ChampionsPerCategory = 2
	noOrganiser := rules
	noOrganiser.ChampionTieBreak = []prizes.TieBreak{prizes.TieVoterCountries}
	decided := []prizes.TieDecision{{Stage: prizes.StageChampions, Category: "C1", Order: []string{"c", "b"}, Reason: "lot"}}
	tests := []struct {
		name      string
		rules     prizes.Rules
		nominees  []prizes.Nominee
		decisions []prizes.TieDecision
		tie       []string
		exAequo   bool
	}{
		{"clear cut", rules, []prizes.Nominee{nominee("a", 9, 3, 0), nominee("b", 7, 1, 0), nominee("c", 4, 9, 0)}, nil, nil, false},
		{"broken by a step", rules, []prizes.Nominee{nominee("a", 9, 3, 0), nominee("b", 7, 1, 0), nominee("c", 7, 2, time.Hour)}, nil, nil, false},
		{"tie at the cut", rules, []prizes.Nominee{nominee("a", 9, 3, 0), nominee("b", 7, 2, time.Hour), nominee("c", 7, 2, time.Hour)},
			nil, []string{"b", "c"}, false},
		{"decided tie still shows", rules, []prizes.Nominee{nominee("a", 9, 3, 0), nominee("b", 7, 2, time.Hour), nominee("c", 7, 2, time.Hour)},
			decided, []string{"c", "b"}, false},
		{"tie above the cut", rules, []prizes.Nominee{nominee("a", 9, 3, 0), nominee("b", 9, 3, 0), nominee("c", 4, 2, 0)}, nil, nil, false},
		{"tie below the cut", rules, []prizes.Nominee{nominee("a", 9, 3, 0), nominee("b", 8, 3, 0), nominee("c", 4, 2, 0), nominee("d", 4, 2, 0)},
			nil, nil, false},
		{"three across the cut, one split off above", rules,
			[]prizes.Nominee{nominee("a", 7, 3, 0), nominee("b", 7, 2, time.Hour), nominee("c", 7, 2, time.Hour)}, nil, []string{"b", "c"}, false},
		{"ex aequo", noOrganiser, []prizes.Nominee{nominee("a", 9, 3, 0), nominee("b", 7, 2, 0), nominee("c", 7, 2, time.Hour)},
			nil, []string{"b", "c"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cats, _ := prizes.SelectChampions(oneCategory(tt.rules), tt.nominees, tt.decisions)
			if got := cats[0].TieAtCut(); !slices.Equal(got, tt.tie) || cats[0].ExAequo != tt.exAequo {
				t.Fatalf("TieAtCut = %v, ex aequo %v; want %v, %v (standings %+v)", got, cats[0].ExAequo, tt.tie, tt.exAequo, cats[0].Nominees)
			}
		})
	}
}

func TestCategoryJury_TieAtCut(t *testing.T) {
	rules := prizes.DefaultRules()
	rules.WinnersPerCategory = 1
	contenders := []prizes.Contender{{ProjectID: "a", Votes: 5}, {ProjectID: "b", Votes: 5}}
	card := func(project string, v int) prizes.Card {
		s := map[string]int{}
		for _, c := range rules.Rubric {
			s[c.Key] = v
		}
		return prizes.Card{Juror: "j", ProjectID: project, Scores: s}
	}
	cat := voting.Category{Code: "C1", Name: "One"}
	tied, _ := prizes.JudgeCategory(rules, cat, contenders, []prizes.Card{card("a", 7), card("b", 7)}, nil)
	if got := tied.TieAtCut(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("equal scores and votes: TieAtCut = %v", got)
	}
	clear, _ := prizes.JudgeCategory(rules, cat, contenders, []prizes.Card{card("a", 8), card("b", 7)}, nil)
	if got := clear.TieAtCut(); got != nil {
		t.Errorf("a clear Winner: TieAtCut = %v", got)
	}
}

func TestTieDecision_CheckTie(t *testing.T) {
	d := func(order ...string) prizes.TieDecision {
		return prizes.TieDecision{Stage: prizes.StageChampions, Category: "C1", Order: order, Reason: "lot"}
	}
	tests := []struct {
		name    string
		d       prizes.TieDecision
		tied    []string
		exAequo bool
		want    string // in the field error; "" for none
	}{
		{"the tied set", d("c", "b"), []string{"b", "c"}, false, ""},
		{"in upper case", d("C", "B"), []string{"b", "c"}, false, ""},
		{"none of them", d("a", "d"), []string{"b", "c"}, false, "must list exactly the projects tied at the Champion cut of category C1, best first: b, c"},
		{"one of them", d("a", "b"), []string{"b", "c"}, false, "b, c"},
		{"more than them", d("a", "b", "c"), []string{"b", "c"}, false, "b, c"},
		{"no tie", d("a", "b"), nil, false, "category C1 has no tie at the Champion cut to decide"},
		{"ex aequo", d("b", "c"), []string{"b", "c"}, true, "to no organiser"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.d.CheckTie(tt.tied, tt.exAequo)
			var f prizes.FieldErrors
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("CheckTie = %v", err)
			case tt.want != "" && (!errors.As(err, &f) || !strings.Contains(f["order"], tt.want)):
				t.Fatalf("CheckTie = %v; want a field error on order saying %q", err, tt.want)
			}
		})
	}
}
