package antifraud

// denseGroups finds dense blocks of the co-voting graph over the whole
// edition: sets of projects, in different categories, that far more
// accounts vote for together than the projects' popularity explains,
// whenever they vote. It is lockstep without the window, for a ring that
// spreads its votes over days; without the window's synchrony the
// agreement itself is weaker evidence (honest supporters of one cause may
// favour the same few projects), so it weighs half of lockstep's and a
// group is flagged only with more evidence besides.
func (an *analysis) denseGroups() {
	ix := an.ix
	var accounts []int32
	for a := range ix.accounts {
		if an.b.ballotSize[a] >= 2 {
			accounts = append(accounts, int32(a))
		}
	}
	if len(accounts) < an.o.MinGroup {
		return
	}
	t := newPairTable(ix.projectCat, len(ix.categories))
	for _, g := range an.joinFindings(an.findSets(t, accounts, an.o.GraphOdds, 0, 0, nil)) {
		an.addSetCrowd(ReasonDenseGroup, g, g.expected, lockstepBase(g, an.o.GraphOdds)/2)
	}
}
