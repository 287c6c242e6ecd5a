package prizes

import (
	"fmt"
	"slices"
	"strings"
)

// TieAtCut returns the nominees of c that tie at the Champion cut before
// any organiser decision, in ranking order, or nil when none do. A decision
// already applied does not hide the tie, so it can be decided again.
func (c CategoryChampions) TieAtCut() []string {
	ps := make([]Placing, len(c.Nominees))
	for i, n := range c.Nominees {
		ps[i] = Placing{ID: n.ProjectID, Rank: n.Rank, Tied: n.Tied, SeparatedBy: n.SeparatedBy}
	}
	return tieAtCut(ps, c.Places)
}

// TieAtCut returns the Champions of c that tie at the Winner cut before any
// organiser decision, in ranking order, or nil when none do.
func (c CategoryJury) TieAtCut() []string {
	ps := make([]Placing, len(c.Standings))
	for i, s := range c.Standings {
		ps[i] = Placing{ID: s.ProjectID, Rank: s.Rank, Tied: s.Tied, SeparatedBy: s.SeparatedBy}
	}
	return tieAtCut(ps, c.Places)
}

// tieAtCut finds, in a ranking, the run of candidates that nothing but an
// organiser decision separates (each one's SeparatedBy empty, inside a tie,
// or the organiser step) and that straddles the cut after places.
func tieAtCut(ps []Placing, places int) []string {
	start := 0
	for i := range ps {
		last := i == len(ps)-1
		if !last && (ps[i].SeparatedBy == "" || ps[i].SeparatedBy == string(TieOrganiser)) {
			continue
		}
		if start < places && places < i+1 && i > start {
			out := make([]string, 0, i+1-start)
			for _, p := range ps[start : i+1] {
				out = append(out, p.ID)
			}
			return out
		}
		start = i + 1
	}
	return nil
}

// CheckTie validates d's order against the projects tied at the cut, as
// TieAtCut finds them: the order must list exactly those, in any order. A
// category whose rules leave ties to no organiser (exAequo) has nothing to
// decide. It returns FieldErrors keyed "order" that name the tied
// projects, or nil.
func (d TieDecision) CheckTie(tied []string, exAequo bool) error {
	cut := d.Stage.cutName()
	switch {
	case len(tied) == 0:
		return FieldErrors{"order": fmt.Sprintf("category %s has no tie at the %s cut to decide", d.Category, cut)}
	case exAequo:
		return FieldErrors{"order": fmt.Sprintf("the rules of category %s leave the tie at the %s cut between %s to no organiser: all of them are placed",
			d.Category, cut, strings.Join(tied, ", "))}
	}
	got := make([]string, len(d.Order))
	for i, id := range d.Order {
		got[i] = strings.ToLower(id)
	}
	want := slices.Clone(tied)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return FieldErrors{"order": fmt.Sprintf("must list exactly the projects tied at the %s cut of category %s, best first: %s",
			cut, d.Category, strings.Join(tied, ", "))}
	}
	return nil
}
