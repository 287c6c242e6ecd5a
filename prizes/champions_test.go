package prizes_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func oneCategory(rules prizes.Rules) prizes.Edition {
	return prizes.Edition{ID: "e", Rules: rules, Categories: []voting.Category{{Code: "C1", Name: "One"}}}
}

func nominee(id string, votes, countries int64, final time.Duration) prizes.Nominee {
	n := prizes.Nominee{ProjectID: id, Category: "C1", Title: id, Votes: votes, VoterCountries: countries}
	if votes > 0 {
		n.FinalCountAt = t0.Add(final)
	}
	return n
}

func TestSelectChampions(t *testing.T) {
	rules := prizes.DefaultRules()
	rules.ChampionsPerCategory = 2
	noOrganiser := rules
	noOrganiser.ChampionTieBreak = []prizes.TieBreak{prizes.TieVoterCountries}
	decision := prizes.TieDecision{Stage: prizes.StageChampions, Category: "C1", Order: []string{"c", "b"}, Reason: "lot"}
	tests := []struct {
		name      string
		rules     prizes.Rules
		nominees  []prizes.Nominee
		decisions []prizes.TieDecision
		champions []string
		margin    *int64
		by        string // SeparatedBy of the last Champion
		tie       []string
		exAequo   bool
	}{
		{"clear cut", rules, []prizes.Nominee{nominee("a", 9, 3, 0), nominee("b", 7, 1, 0), nominee("c", 4, 9, 0)},
			nil, []string{"a", "b"}, ptr(int64(3)), "votes", nil, false},
		{"more voter countries", rules, []prizes.Nominee{nominee("a", 9, 3, 0), nominee("b", 7, 1, 0), nominee("c", 7, 2, time.Hour)},
			nil, []string{"a", "c"}, ptr(int64(0)), "voter_countries", nil, false},
		{"earlier final count", rules, []prizes.Nominee{nominee("a", 9, 3, 0), nominee("b", 7, 2, 2*time.Hour), nominee("c", 7, 2, time.Hour)},
			nil, []string{"a", "c"}, ptr(int64(0)), "earliest_final", nil, false},
		{"organiser needed", rules, []prizes.Nominee{nominee("a", 9, 3, 0), nominee("b", 7, 2, time.Hour), nominee("c", 7, 2, time.Hour)},
			nil, []string{"a"}, nil, "", []string{"b", "c"}, false},
		{"organiser decided", rules, []prizes.Nominee{nominee("a", 9, 3, 0), nominee("b", 7, 2, time.Hour), nominee("c", 7, 2, time.Hour)},
			[]prizes.TieDecision{decision}, []string{"a", "c"}, ptr(int64(0)), "organiser", nil, false},
		{"decision not covering the tie", rules, []prizes.Nominee{nominee("a", 9, 3, 0), nominee("b", 7, 2, time.Hour), nominee("d", 7, 2, time.Hour)},
			[]prizes.TieDecision{decision}, []string{"a"}, nil, "", []string{"b", "d"}, false},
		{"ex aequo without organiser", noOrganiser, []prizes.Nominee{nominee("a", 9, 3, 0), nominee("b", 7, 2, 0), nominee("c", 7, 2, time.Hour), nominee("d", 1, 1, 0)},
			nil, []string{"a", "b", "c"}, ptr(int64(6)), "votes", nil, true},
		{"fewer nominees than places", rules, []prizes.Nominee{nominee("a", 0, 0, 0)},
			nil, []string{"a"}, nil, "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cats, err := prizes.SelectChampions(oneCategory(tt.rules), tt.nominees, tt.decisions)
			var te *prizes.TieError
			if tt.tie != nil {
				if !errors.As(err, &te) || !errors.Is(err, prizes.ErrTieUnresolved) || !reflect.DeepEqual(te.Ties[0].Projects, tt.tie) {
					t.Fatalf("error %v; want a tie between %v", err, tt.tie)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			c := cats[0]
			if got := c.Champions(); !reflect.DeepEqual(got, tt.champions) {
				t.Errorf("Champions %v; want %v", got, tt.champions)
			}
			if !reflect.DeepEqual(c.Margin, tt.margin) {
				t.Errorf("margin %v; want %v", deref(c.Margin), deref(tt.margin))
			}
			if tt.by != "" && tt.tie == nil {
				if last := c.Nominees[len(tt.champions)-1]; last.SeparatedBy != tt.by {
					t.Errorf("last Champion separated by %q; want %q", last.SeparatedBy, tt.by)
				}
			}
			if c.ExAequo != tt.exAequo {
				t.Errorf("ex aequo %v", c.ExAequo)
			}
			if len(c.Nominees) != len(tt.nominees) {
				t.Errorf("%d nominees listed; want every one of %d", len(c.Nominees), len(tt.nominees))
			}
			if tt.by == "organiser" && (c.Decision == nil || c.Decision.Reason != "lot") {
				t.Errorf("decision %+v; want the one applied", c.Decision)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
