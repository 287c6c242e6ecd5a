package prizes_test

import (
	"math"
	"reflect"
	"testing"

	"github.com/wsisvote/prizes/prizes"
)

func TestRank(t *testing.T) {
	nan := math.NaN()
	cs := []prizes.Candidate{
		{ID: "e", Primary: 1, Steps: []float64{0, 0}},
		{ID: "a", Primary: 9, Steps: []float64{1, 0}},
		{ID: "c", Primary: 5, Steps: []float64{3, 0}},
		{ID: "b", Primary: 5, Steps: []float64{4, 0}},
		{ID: "d", Primary: 5, Steps: []float64{3, 7}},
		{ID: "f", Primary: 1, Steps: []float64{0, nan}},
	}
	got := prizes.Rank("votes", []string{"countries", "time"}, cs)
	want := []prizes.Placing{
		{ID: "a", Rank: 1, SeparatedBy: "votes"},
		{ID: "b", Rank: 2, SeparatedBy: "countries"},
		{ID: "d", Rank: 3, SeparatedBy: "time"},
		{ID: "c", Rank: 4, SeparatedBy: "votes"},
		// f has no value for "time", so "time" cannot break e and f.
		{ID: "e", Rank: 5, Tied: true},
		{ID: "f", Rank: 5, Tied: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Rank =\n%+v\nwant\n%+v", got, want)
	}
}

func TestCut(t *testing.T) {
	ps := []prizes.Placing{{ID: "a", Rank: 1}, {ID: "b", Rank: 2, Tied: true}, {ID: "c", Rank: 2, Tied: true}, {ID: "d", Rank: 4}}
	tests := []struct {
		k        int
		selected int
		tie      []string
	}{
		{1, 1, nil},
		{2, 1, []string{"b", "c"}},
		{3, 3, nil},
		{4, 4, nil},
		{9, 4, nil},
	}
	for _, tt := range tests {
		n, tie := prizes.Cut(ps, tt.k)
		if n != tt.selected || !reflect.DeepEqual(tie, tt.tie) {
			t.Errorf("Cut(k=%d) = %d, %v; want %d, %v", tt.k, n, tie, tt.selected, tt.tie)
		}
	}
}
