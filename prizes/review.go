package prizes

import (
	"fmt"
	"maps"
	"slices"
)

// CheckNominationCap checks the outcome of a batch of review decisions
// against the cap on nominees per category. decided holds the entries the
// decisions are on, in the order of ds, as they stand before the batch;
// nominated counts the nominees of each category they touch before the
// batch. A decision may undo an earlier one, so a batch that rejects a
// nominee frees its place for another. It returns ErrCapReached, naming the
// first category in code order that would end above cap.
func CheckNominationCap(cap int, nominated map[string]int, decided []Submission, ds []ReviewDecision) error {
	after := maps.Clone(nominated)
	if after == nil {
		after = map[string]int{}
	}
	touched := map[string]bool{}
	for i, d := range ds {
		cur := decided[i]
		touched[cur.Category] = true
		was, now := cur.Status == StatusNominated, d.Decision == DecisionNominate
		switch {
		case now && !was:
			after[cur.Category]++
		case was && !now:
			after[cur.Category]--
		}
	}
	for _, c := range slices.Sorted(maps.Keys(touched)) {
		if after[c] > cap {
			return fmt.Errorf("category %s would have %d nominees, and the cap is %d: %w", c, after[c], cap, ErrCapReached)
		}
	}
	return nil
}
