package antifraud

import (
	"math"
	"slices"
)

// pairTable counts, over a set of accounts, how many voted for each pair
// of projects (in different categories), for each project and each other
// category, and for each pair of categories: the four cells of the
// two-by-two table that says whether voting for one project goes with
// voting for another beyond chance. Counts are kept in flat arrays indexed
// by dense ids, with the touched cells listed so that clearing costs what
// filling did.
type pairTable struct {
	np, nc   int
	projCat  []int32
	pair     []int32 // np*np, only p < q used
	pairMap  map[int64]int32
	touched  []int64
	projCatN []int32 // np*nc: accounts voting p and voting in category c
	rows     []int32 // projects whose row of projCatN is in use
	rowUsed  []bool
	catPair  []int32 // nc*nc: accounts voting in both categories
	cats     []int32 // scratch
}

// maxDensePairs is the most projects whose pair counts are kept in a flat
// array (16 MB); beyond it a map keeps only the pairs that occur.
const maxDensePairs = 2048

func newPairTable(projCat []int32, nc int) *pairTable {
	np := len(projCat)
	t := &pairTable{np: np, nc: nc, projCat: projCat,
		projCatN: make([]int32, np*nc), rowUsed: make([]bool, np), catPair: make([]int32, nc*nc)}
	if np <= maxDensePairs {
		t.pair = make([]int32, np*np)
	} else {
		t.pairMap = make(map[int64]int32)
	}
	return t
}

// add counts one account's ballot, its distinct projects sorted by id.
func (t *pairTable) add(ps []int32) {
	t.cats = t.cats[:0]
	for _, p := range ps {
		if c := t.projCat[p]; !slices.Contains(t.cats, c) {
			t.cats = append(t.cats, c)
		}
	}
	for i, p := range ps {
		cp := t.projCat[p]
		for _, q := range ps[i+1:] {
			if t.projCat[q] == cp {
				continue
			}
			key := int64(p)*int64(t.np) + int64(q)
			if t.pair != nil {
				if t.pair[key] == 0 {
					t.touched = append(t.touched, key)
				}
				t.pair[key]++
			} else {
				if t.pairMap[key] == 0 {
					t.touched = append(t.touched, key)
				}
				t.pairMap[key]++
			}
		}
		row := int(p) * t.nc
		if !t.rowUsed[p] {
			t.rowUsed[p] = true
			t.rows = append(t.rows, p)
		}
		for _, c := range t.cats {
			if c != cp {
				t.projCatN[row+int(c)]++
			}
		}
	}
	for i, c := range t.cats {
		for _, d := range t.cats[i+1:] {
			lo, hi := min(c, d), max(c, d)
			t.catPair[int(lo)*t.nc+int(hi)]++
		}
	}
}

// pairStat is the association of two projects in a table.
type pairStat struct {
	p, q int32
	both float64 // accounts voting both
	// givenP is the accounts expected to vote both if those who voted p
	// (and in q's category) chose in q's category as the edition's voters
	// do; givenQ the same the other way round.
	givenP, givenQ float64
	odds           float64 // odds ratio of the two-by-two table
}

// each calls f for every counted pair with the statistics of its table;
// share is each project's share of its category in the edition.
//
// The edition's shares say how often a project's voters pick the other
// when they choose freely; the odds ratio says whether the two go together
// within the table itself.
func (t *pairTable) each(share []float64, f func(s pairStat)) {
	for _, key := range t.touched {
		p, q := int32(key/int64(t.np)), int32(key%int64(t.np))
		var a float64
		if t.pair != nil {
			a = float64(t.pair[key])
		} else {
			a = float64(t.pairMap[key])
		}
		cp, cq := t.projCat[p], t.projCat[q]
		nP := float64(t.projCatN[int(p)*t.nc+int(cq)])
		nQ := float64(t.projCatN[int(q)*t.nc+int(cp)])
		lo, hi := min(cp, cq), max(cp, cq)
		n := float64(t.catPair[int(lo)*t.nc+int(hi)])
		b, c := nP-a, nQ-a
		d := math.Max(n-a-b-c, 0)
		f(pairStat{p: p, q: q, both: a, givenP: nP * share[q], givenQ: nQ * share[p],
			odds: (a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5))})
	}
}

// reset clears the counts.
func (t *pairTable) reset() {
	for _, key := range t.touched {
		if t.pair != nil {
			t.pair[key] = 0
		}
	}
	if t.pairMap != nil {
		clear(t.pairMap)
	}
	t.touched = t.touched[:0]
	for _, p := range t.rows {
		clear(t.projCatN[int(p)*t.nc : int(p+1)*t.nc])
		t.rowUsed[p] = false
	}
	t.rows = t.rows[:0]
	clear(t.catPair)
}
