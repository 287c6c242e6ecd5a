package prizes_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/prizes"
)

func TestCheckNominationCap(t *testing.T) {
	entry := func(category string, status prizes.Status) prizes.Submission {
		s := prizes.Submission{Status: status}
		s.Category = category
		return s
	}
	nominate := prizes.ReviewDecision{Decision: prizes.DecisionNominate}
	reject := prizes.ReviewDecision{Decision: prizes.DecisionReject, Reason: "off topic"}
	tests := []struct {
		name      string
		nominated map[string]int
		decided   []prizes.Submission
		ds        []prizes.ReviewDecision
		over      string // the category named in ErrCapReached, or none
	}{
		{
			name:      "up to the cap",
			nominated: map[string]int{"C1": 1},
			decided:   []prizes.Submission{entry("C1", prizes.StatusSubmitted)},
			ds:        []prizes.ReviewDecision{nominate},
		},
		{
			name:      "one above the cap",
			nominated: map[string]int{"C1": 2},
			decided:   []prizes.Submission{entry("C1", prizes.StatusSubmitted)},
			ds:        []prizes.ReviewDecision{nominate},
			over:      "C1",
		},
		{
			name:      "a nominee nominated again takes no second place",
			nominated: map[string]int{"C1": 2},
			decided:   []prizes.Submission{entry("C1", prizes.StatusNominated)},
			ds:        []prizes.ReviewDecision{nominate},
		},
		{
			name:      "a rejected nominee frees its place in the same batch",
			nominated: map[string]int{"C1": 2},
			decided:   []prizes.Submission{entry("C1", prizes.StatusSubmitted), entry("C1", prizes.StatusNominated)},
			ds:        []prizes.ReviewDecision{nominate, reject},
		},
		{
			name:      "a category with no nominee yet",
			nominated: nil,
			decided:   []prizes.Submission{entry("C2", prizes.StatusSubmitted), entry("C2", prizes.StatusRejected)},
			ds:        []prizes.ReviewDecision{nominate, nominate},
		},
		{
			name:      "the first category over the cap in code order",
			nominated: map[string]int{"C3": 2, "C2": 2},
			decided:   []prizes.Submission{entry("C3", prizes.StatusSubmitted), entry("C2", prizes.StatusSubmitted)},
			ds:        []prizes.ReviewDecision{nominate, nominate},
			over:      "C2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := prizes.CheckNominationCap(2, tt.nominated, tt.decided, tt.ds)
			switch {
			case tt.over == "" && err != nil:
				t.Fatalf("got %v, want no error", err)
			case tt.over != "" && !errors.Is(err, prizes.ErrCapReached):
				t.Fatalf("got %v, want ErrCapReached", err)
			case tt.over != "" && !strings.Contains(err.Error(), "category "+tt.over+" "):
				t.Fatalf("got %v, want it to name category %s", err, tt.over)
			}
		})
	}
}
