package antifraud

import (
	"math"
	"slices"
	"time"
)

// lockstepCrowds finds accounts that vote for the same set of projects in
// the same short window, in the spirit of Facebook's CopyCatch and
// SynchroTrap: honest voters choose each category on its own, so two
// projects of different categories go together in a window about as often
// as their counts there predict; a ring voting a set of projects together
// makes every pair of the set go together far more often.
//
// Accounts are placed in windows of LockstepWindow by their first vote
// (two grids, the second shifted by half a window, so a ring that
// straddles a boundary is still seen whole). In each window, every pair of
// projects gets its two-by-two table (voted both, one, the other,
// neither, among accounts that voted in both categories); a pair is hot
// when its odds ratio is at least LockstepOdds, PairZ standard errors
// above even, and its count at least FocusLift times what the projects'
// shares in the edition predict. Hot pairs joined by a project
// make a set, and the accounts of the window that voted (nearly) the whole
// set are the group. The same set found in several windows is one group.
//
// The window's own counts are the baseline, so a project's honest
// campaign, which raises that project in the window but leaves its voters'
// other choices to chance, is no lockstep; only agreement on several
// projects at once is.
func (an *analysis) lockstepCrowds() {
	ix, o := an.ix, an.o
	type session struct {
		at int64
		a  int32
	}
	var ss []session
	for a := range ix.accounts {
		if an.b.ballotSize[a] >= 2 {
			ss = append(ss, session{ix.firstVote(int32(a)), int32(a)})
		}
	}
	slices.SortFunc(ss, func(x, y session) int {
		if d := x.at - y.at; d != 0 {
			return sign(d)
		}
		return int(x.a - y.a)
	})
	w := max(secs(o.LockstepWindow), 2)
	t := newPairTable(ix.projectCat, len(ix.categories))
	gs := newGroupSet()
	var win []int32
	for _, off := range []int64{0, w / 2} {
		for i := 0; i < len(ss); {
			k := floorDiv(ss[i].at+off, w)
			j := i
			win = win[:0]
			for j < len(ss) && floorDiv(ss[j].at+off, w) == k {
				win = append(win, ss[j].a)
				j++
			}
			if len(win) >= o.MinGroup {
				an.setGroups(t, win, o.LockstepOdds, gs)
			}
			i = j
		}
	}
	for _, g := range gs.groups {
		// Each window was seen in both grids.
		an.addSetCrowd(ReasonLockstep, g, g.expected/2, lockstepBase(len(g.projects), g.odds, o.LockstepOdds))
	}
}

// lockstepBase is the weight of lockstep as evidence: a set of three or
// more projects voted together is strong evidence in itself (0.6, up to 1
// as the odds ratio reaches ten times the threshold); a pair is weaker
// (0.6 of that), since two projects can share a supporter base honestly.
func lockstepBase(k int, odds, threshold float64) float64 {
	f := 0.6 + 0.4*clamp01(math.Log(odds/threshold)/math.Log(10))
	if k < 3 {
		f *= 0.6
	}
	return f
}

// setGroup is one set of projects voted together, with the accounts that
// did it in every window it was found in.
type setGroup struct {
	projects []int32
	accounts map[int32]struct{}
	odds     float64 // the weakest hot pair's odds ratio, over windows
	expected float64 // accounts expected to vote the set by chance
}

// groupSet keeps groups by their set of projects, in the order found.
type groupSet struct {
	byKey  map[uint64]*setGroup
	groups []*setGroup
}

func newGroupSet() *groupSet { return &groupSet{byKey: make(map[uint64]*setGroup)} }

// setGroups counts the ballots of accounts in t, finds the hot pairs,
// joins them into sets of projects and adds each set's accounts to gs.
func (an *analysis) setGroups(t *pairTable, accounts []int32, odds float64, gs *groupSet) {
	o := an.o
	var ps []int32
	for _, a := range accounts {
		ps = an.ballotOf(a, ps[:0])
		t.add(ps)
	}
	var hot []pairStat
	t.each(an.b.share, func(s pairStat) {
		if s.both >= float64(o.MinGroup) && s.odds >= odds && s.z >= o.PairZ && s.both >= o.FocusLift*s.chance {
			hot = append(hot, s)
		}
	})
	t.reset()
	if len(hot) == 0 {
		return
	}
	for _, set := range projectSets(hot) {
		need := needed(len(set.projects))
		var members []int32
		expected := 0.0
		for _, a := range accounts {
			ps = an.ballotOf(a, ps[:0])
			if overlap(ps, set.projects) >= need {
				members = append(members, a)
			}
			expected += an.chanceOfSet(ps, set.projects, need)
		}
		if len(members) < o.MinGroup {
			continue
		}
		key := hashIDs(set.projects)
		g, ok := gs.byKey[key]
		if !ok {
			g = &setGroup{projects: set.projects, accounts: make(map[int32]struct{}), odds: set.odds}
			gs.byKey[key] = g
			gs.groups = append(gs.groups, g)
		}
		for _, a := range members {
			g.accounts[a] = struct{}{}
		}
		g.odds = min(g.odds, set.odds)
		g.expected += expected
	}
}

// addSetCrowd makes a crowd of a group: its accounts' votes for the set.
func (an *analysis) addSetCrowd(kind string, g *setGroup, expected, base float64) {
	accounts := make([]int32, 0, len(g.accounts))
	for a := range g.accounts {
		accounts = append(accounts, a)
	}
	slices.Sort(accounts)
	var votes []int32
	for _, a := range accounts {
		for _, v := range an.ix.votesOf(a) {
			if _, ok := slices.BinarySearch(g.projects, an.ix.votes[v].project); ok {
				votes = append(votes, v)
			}
		}
	}
	expected = max(expected, 0.5)
	subject := ""
	if len(votes) > 0 {
		first := an.ix.votes[votes[0]].at
		for _, v := range votes {
			first = min(first, an.ix.votes[v].at)
		}
		subject = unixTime(first).Format(time.RFC3339)
	}
	an.addCrowd(&crowd{kind: kind, subject: subject, projects: g.projects, votes: votes,
		lift: float64(len(accounts)) / expected, expected: expected, base: base})
}

// ballotOf appends account a's distinct projects, sorted, to ps.
func (an *analysis) ballotOf(a int32, ps []int32) []int32 {
	for _, v := range an.ix.votesOf(a) {
		ps = append(ps, an.ix.votes[v].project)
	}
	slices.Sort(ps)
	return slices.Compact(ps)
}

// projectSet is a set of projects joined by hot pairs, and the weakest of
// those pairs' odds ratios.
type projectSet struct {
	projects []int32
	odds     float64
}

// projectSets joins hot pairs that share a project into sets (connected
// components), each sorted, in a deterministic order.
func projectSets(hot []pairStat) []projectSet {
	parent := make(map[int32]int32)
	var find func(x int32) int32
	find = func(x int32) int32 {
		if p, ok := parent[x]; !ok || p == x {
			parent[x] = x
			return x
		}
		r := find(parent[x])
		parent[x] = r
		return r
	}
	for _, s := range hot {
		rp, rq := find(s.p), find(s.q)
		if rp != rq {
			parent[max(rp, rq)] = min(rp, rq)
		}
	}
	sets := make(map[int32]*projectSet)
	var roots []int32
	for _, s := range hot {
		r := find(s.p)
		set, ok := sets[r]
		if !ok {
			set = &projectSet{odds: math.Inf(1)}
			sets[r] = set
			roots = append(roots, r)
		}
		set.projects = append(set.projects, s.p, s.q)
		set.odds = min(set.odds, s.odds)
	}
	slices.Sort(roots)
	roots = slices.Compact(roots)
	out := make([]projectSet, 0, len(roots))
	for _, r := range roots {
		set := sets[r]
		slices.Sort(set.projects)
		set.projects = slices.Compact(set.projects)
		out = append(out, *set)
	}
	return out
}

// needed is how many of a set's k projects an account must have voted for
// to be one of its group: all of a set of up to three, three quarters of a
// larger one (a ring member may skip one).
func needed(k int) int {
	if k <= 3 {
		return k
	}
	return int(math.Ceil(0.75 * float64(k)))
}

// overlap counts the members of sorted ps in sorted set.
func overlap(ps, set []int32) int {
	n, i, j := 0, 0, 0
	for i < len(ps) && j < len(set) {
		switch {
		case ps[i] < set[j]:
			i++
		case ps[i] > set[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

// chanceOfSet is the chance that an account voting in the categories of
// ballot ps, choosing in each as the edition's voters do, picks at least
// need of set's projects: a sum of independent chances, counted with the
// usual dynamic programme.
func (an *analysis) chanceOfSet(ps, set []int32, need int) float64 {
	ix := an.ix
	// dist[k] is the chance of k hits so far.
	var buf [20]float64
	dist := buf[:1]
	dist[0] = 1
	for _, p := range set {
		c := ix.projectCat[p]
		voted := false
		for _, q := range ps {
			if ix.projectCat[q] == c {
				voted = true
				break
			}
		}
		if !voted {
			continue
		}
		s := an.b.share[p]
		dist = append(dist, 0)
		for k := len(dist) - 1; k >= 1; k-- {
			dist[k] = dist[k]*(1-s) + dist[k-1]*s
		}
		dist[0] *= 1 - s
	}
	chance := 0.0
	for k := need; k < len(dist); k++ {
		chance += dist[k]
	}
	return chance
}

// floorDiv is x/y rounded down.
func floorDiv(x, y int64) int64 {
	q := x / y
	if (x%y != 0) && ((x < 0) != (y < 0)) {
		q--
	}
	return q
}
