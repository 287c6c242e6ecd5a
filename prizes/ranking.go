package prizes

import (
	"math"
	"sort"
)

// Candidate is one entry of a ranking: its primary value (counted votes, a
// jury aggregate) and its value under each tie-break step, higher being
// better. A step value may be NaN, meaning unknown: a step breaks a tie only
// when every candidate in the tie has a value for it, which is how an
// organiser decision that does not cover a tie leaves it open.
type Candidate struct {
	ID      string
	Primary float64
	Steps   []float64
}

// Placing is a candidate's place in a ranking.
type Placing struct {
	ID string
	// Rank is the competition rank: candidates still tied after every step
	// share it, and the next rank skips accordingly (1, 2, 2, 4).
	Rank int
	// Tied reports that the candidate shares its rank.
	Tied bool
	// SeparatedBy names what placed the candidate above the next one: the
	// primary's name or a tie-break step's. It is empty for the last
	// candidate and inside a tie.
	SeparatedBy string
}

// Rank orders candidates by primary value, then breaks ties with the steps
// in order; primary and steps name them for SeparatedBy. Candidates still
// tied are listed by id, so the output is deterministic.
func Rank(primary string, steps []string, cs []Candidate) []Placing {
	// The primary value is the first step of one refinement.
	all := make([]Candidate, len(cs))
	for i, c := range cs {
		all[i] = Candidate{ID: c.ID, Steps: append([]float64{c.Primary}, c.Steps...)}
	}
	leaves, bounds := refine(all, append([]string{primary}, steps...), 0)
	out := make([]Placing, 0, len(cs))
	for i, leaf := range leaves {
		rank := len(out) + 1
		for j, c := range leaf {
			p := Placing{ID: c.ID, Rank: rank, Tied: len(leaf) > 1}
			if j == len(leaf)-1 && i < len(bounds) {
				p.SeparatedBy = bounds[i]
			}
			out = append(out, p)
		}
	}
	return out
}

// stepNames names a tie-break chain's steps for Rank.
func stepNames(chain []TieBreak) []string {
	steps := make([]string, len(chain))
	for i, t := range chain {
		steps[i] = string(t)
	}
	return steps
}

// refine splits a group tied so far by the steps from step on. It returns the
// resulting groups in order and, between each two, the step that split them.
func refine(group []Candidate, steps []string, step int) ([][]Candidate, []string) {
	if len(group) < 2 || step >= len(steps) {
		return [][]Candidate{group}, nil
	}
	for _, c := range group {
		if step >= len(c.Steps) || math.IsNaN(c.Steps[step]) {
			return refine(group, steps, step+1)
		}
	}
	g := append([]Candidate(nil), group...)
	sort.SliceStable(g, func(i, j int) bool {
		if g[i].Steps[step] != g[j].Steps[step] {
			return g[i].Steps[step] > g[j].Steps[step]
		}
		return g[i].ID < g[j].ID
	})
	var leaves [][]Candidate
	var bounds []string
	start := 0
	for i := 1; i <= len(g); i++ {
		if i < len(g) && g[i].Steps[step] == g[start].Steps[step] {
			continue
		}
		if len(leaves) > 0 {
			bounds = append(bounds, steps[step])
		}
		l, b := refine(g[start:i], steps, step+1)
		leaves = append(leaves, l...)
		bounds = append(bounds, b...)
		start = i
	}
	return leaves, bounds
}

// Cut takes the top k of a ranking. When a tie straddles the cut it returns
// the tied ids and the number of places above them; otherwise it returns
// how many are selected (k, or fewer when there are fewer candidates).
func Cut(ps []Placing, k int) (selected int, tie []string) {
	i := 0
	for i < len(ps) && i < k {
		j := i
		for j < len(ps) && ps[j].Rank == ps[i].Rank {
			j++
		}
		if j > k {
			for _, p := range ps[i:j] {
				tie = append(tie, p.ID)
			}
			return i, tie
		}
		i = j
	}
	return i, nil
}

// decisionValue returns a candidate's value under an organiser's order:
// earlier is better; a candidate the order leaves out is unknown (NaN).
func decisionValue(order []string, id string) float64 {
	for i, o := range order {
		if o == id {
			return float64(-i)
		}
	}
	return math.NaN()
}
