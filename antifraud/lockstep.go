package antifraud

import (
	"cmp"
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
// Accounts are placed in windows of each of LockstepWindows by their first
// vote (two grids per width, the second shifted by half a window, so a
// ring that straddles a boundary is still seen whole). In each window, every pair of
// projects gets its two-by-two table (voted both, one, the other,
// neither, among accounts that voted in both categories); a pair is hot
// when its odds ratio is at least LockstepOdds, PairZ standard errors
// above even, and its count at least FocusLift times what the projects'
// shares in the edition predict. Hot pairs joined by a project
// make a set, and the accounts of the window that voted (nearly) the whole
// set are the group. The same set found in several windows is one group.
//
// A project's honest campaign raises that project in its window but leaves
// its voters' other choices to chance, so it is no lockstep; only agreement
// on several projects at once is.
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
	t := newPairTable(ix.projectCat, len(ix.categories))
	var fs []finding
	var win []int32
	for scale, width := range o.LockstepWindows {
		w := max(secs(width), 2)
		for half, off := range []int64{0, w / 2} {
			grid := 2*scale + half
			for i := 0; i < len(ss); {
				k := floorDiv(ss[i].at+off, w)
				j := i
				win = win[:0]
				for j < len(ss) && floorDiv(ss[j].at+off, w) == k {
					win = append(win, ss[j].a)
					j++
				}
				if len(win) >= o.MinGroup {
					fs = an.findSets(t, win, o.LockstepOdds, grid, k, fs)
				}
				i = j
			}
		}
	}
	for _, g := range an.joinFindings(fs) {
		an.addSetCrowd(ReasonLockstep, g, g.expected, lockstepBase(g, o.LockstepOdds))
	}
}

// lockstepBase is the weight of a group as evidence. An organisation with
// nominees in several categories honestly asks its people to vote for all
// of them, and they do, within hours of the call, again and again; so
// voting together weighs little, whatever its strength: a set of three or
// more projects 0.3, up to 0.4 as the odds ratio reaches ten times the
// threshold, a pair 0.6 of that, and each further window in which the
// group voted together again adds 0.05, up to 0.1. What the accounts
// themselves show (staged, at a machine pace, fresh, on new domains, one
// ballot for all) decides: a ring's accounts were made, a slate's people
// were met.
func lockstepBase(g *setGroup, threshold float64) float64 {
	f := 0.3 + 0.1*clamp01(math.Log(g.odds/threshold)/math.Log(10))
	if len(g.projects) < 3 {
		f *= 0.6
	}
	return f + 0.05*float64(min(g.windows-1, 2))
}

// finding is a set of projects voted together in one window, and the
// window's accounts that did.
type finding struct {
	set     projectSet
	members []int32
	grid    int
	window  int64
}

// setGroup is one group: findings joined because their sets share two
// projects, whatever window they were found in.
type setGroup struct {
	projects []int32
	accounts map[int32]struct{}
	odds     float64 // the median odds ratio of its findings' weakest pairs
	expected float64 // members expected by chance, on the grid with most
	windows  int     // distinct windows it was found in, on the grid with most
	need     int     // how many of the projects a member voted for at least
}

// hotPair is the test a pair of projects must pass in a set of accounts:
// at least MinGroup voted both; of those who voted one, far more voted the
// other than its share of the edition predicts (FocusLift times, FocusZ
// standard deviations), both ways round, so that one project's honest
// campaign, whose voters choose the rest as everyone does, is not enough;
// and the two go together in the table itself (odds ratio at least odds),
// so that two campaigns that happen to run at the same time are not
// enough either.
func (an *analysis) hotPair(s pairStat, odds float64) bool {
	return s.both >= float64(an.o.MinGroup) && focused(s.both, max(s.givenP, s.givenQ), an.o) && s.odds >= odds
}

// findSets counts the ballots of accounts in t, finds the hot pairs, joins
// them into sets of projects and appends each set with its members.
func (an *analysis) findSets(t *pairTable, accounts []int32, odds float64, grid int, window int64, fs []finding) []finding {
	for _, a := range accounts {
		t.add(an.ballotOf(a))
	}
	var hot []pairStat
	t.each(an.b.share, func(s pairStat) {
		if an.hotPair(s, odds) {
			hot = append(hot, s)
		}
	})
	t.reset()
	for _, set := range projectSets(hot) {
		f := finding{set: set, grid: grid, window: window}
		for _, a := range accounts {
			if set.holdsPair(an.ballotOf(a)) {
				f.members = append(f.members, a)
			}
		}
		if len(f.members) >= an.o.MinGroup {
			fs = append(fs, f)
		}
	}
	return fs
}

// joinFindings joins findings whose sets share two projects or more into
// groups (a ring seen in several windows, whole or in part), in the order
// of their first finding, with their members (setMembers). Sharing one
// project is not enough: two unrelated groups may both favour a popular
// nominee.
func (an *analysis) joinFindings(fs []finding) []*setGroup {
	parent := make([]int, len(fs))
	for i := range parent {
		parent[i] = i
	}
	var find func(i int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	byPair := make(map[[2]int32]int)
	for i, f := range fs {
		ps := f.set.projects
		for x := range ps {
			for _, q := range ps[x+1:] {
				key := [2]int32{ps[x], q}
				if j, ok := byPair[key]; ok {
					ri, rj := find(i), find(j)
					parent[max(ri, rj)] = min(ri, rj)
				} else {
					byPair[key] = i
				}
			}
		}
	}
	byRoot := make(map[int][]int)
	var roots []int
	for i := range fs {
		r := find(i)
		if _, ok := byRoot[r]; !ok {
			roots = append(roots, r)
		}
		byRoot[r] = append(byRoot[r], i)
	}
	var out []*setGroup
	for _, r := range roots {
		g := &setGroup{accounts: make(map[int32]struct{})}
		var odds []float64
		for _, i := range byRoot[r] {
			g.projects = append(g.projects, fs[i].set.projects...)
			odds = append(odds, fs[i].set.odds)
		}
		slices.Sort(g.projects)
		g.projects = slices.Compact(g.projects)
		slices.Sort(odds)
		g.odds = odds[len(odds)/2]
		an.setMembers(g)
		// Each grid divides time into windows without overlap: the grid
		// that saw most tells how often the group voted together.
		type gridWindow struct {
			grid   int
			window int64
		}
		seen := make(map[gridWindow]bool)
		windows := make(map[int]int)
		for _, i := range byRoot[r] {
			gw := gridWindow{fs[i].grid, fs[i].window}
			if !seen[gw] {
				seen[gw] = true
				windows[gw.grid]++
			}
		}
		for _, n := range windows {
			g.windows = max(g.windows, n)
		}
		out = append(out, g)
	}
	return out
}

// setMembers chooses a group's members: every account of the edition that
// voted for enough of the set, not only those of the windows where it was
// found (a ring votes together at its busiest, and alone the rest of the
// time). Enough is the least number of the set's projects, from two up,
// that at least FocusLift times more accounts voted for than chance would
// give: honest voters who share a ring's taste pick two of its projects
// now and then, its members most of them. Chance is what the edition's
// accounts, choosing in the categories they voted in with the projects'
// shares among everyone but the members, would give.
func (an *analysis) setMembers(g *setGroup) {
	overlap := make(map[int32]int)
	for _, p := range g.projects {
		for _, a := range an.b.voters[p] {
			overlap[a]++
		}
	}
	// Chance depends on an account only through which of the set's
	// categories it voted in: count the accounts of each pattern once.
	patterns := an.categoryPatterns(g.projects)
	for need := 2; need <= len(g.projects); need++ {
		members := 0
		inVotes := make([]float64, len(g.projects))
		for i, p := range g.projects {
			for _, a := range an.b.voters[p] {
				if overlap[a] >= need {
					inVotes[i]++
				}
			}
		}
		for _, n := range overlap {
			if n >= need {
				members++
			}
		}
		shares := make([]float64, len(g.projects))
		for i, p := range g.projects {
			shares[i] = an.b.shareWithout(p, an.ix.projectCat, inVotes[i], inVotes[i])
		}
		expected := 0.0
		for _, pt := range patterns {
			expected += float64(pt.accounts) * chanceOfSet(pt.mask, shares, need)
		}
		if float64(members) >= an.o.FocusLift*expected || need == len(g.projects) {
			for a, n := range overlap {
				if n >= need {
					g.accounts[a] = struct{}{}
				}
			}
			g.expected, g.need = expected, need
			return
		}
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
		lift: float64(len(accounts)) / expected, expected: expected, base: base, need: g.need})
}

// ballotOf is account a's distinct projects, sorted. The slice is shared
// and must not be changed.
func (an *analysis) ballotOf(a int32) []int32 {
	return an.b.ballots[an.b.ballotStart[a]:an.b.ballotStart[a+1]]
}

// projectSet is a set of projects joined by hot pairs, its pairs, and the
// weakest of their odds ratios.
type projectSet struct {
	projects []int32
	pairs    [][2]int32
	odds     float64
}

// holdsPair says whether the sorted ballot ps holds both projects of one
// of the set's pairs.
func (s *projectSet) holdsPair(ps []int32) bool {
	for _, pq := range s.pairs {
		_, okP := slices.BinarySearch(ps, pq[0])
		_, okQ := slices.BinarySearch(ps, pq[1])
		if okP && okQ {
			return true
		}
	}
	return false
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
		set.pairs = append(set.pairs, [2]int32{s.p, s.q})
		set.odds = min(set.odds, s.odds)
	}
	slices.Sort(roots)
	roots = slices.Compact(roots)
	out := make([]projectSet, 0, len(roots))
	for _, r := range roots {
		set := sets[r]
		slices.Sort(set.projects)
		set.projects = slices.Compact(set.projects)
		slices.SortFunc(set.pairs, func(x, y [2]int32) int {
			if x[0] != y[0] {
				return int(x[0] - y[0])
			}
			return int(x[1] - y[1])
		})
		out = append(out, *set)
	}
	return out
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

// pattern is a set of categories (bit i for the category of a set's
// project i) and how many accounts voted in exactly those of them.
type pattern struct {
	mask     uint64
	accounts int
}

// categoryPatterns counts the accounts of two votes or more by which of
// set's projects' categories they voted in, in the order of the masks so
// that sums over them come out the same every run; a set has at most 64
// projects that count.
func (an *analysis) categoryPatterns(set []int32) []pattern {
	ix := an.ix
	bits := make(map[int32]uint64) // category -> bits of set's projects in it
	for i, p := range set[:min(len(set), 64)] {
		bits[ix.projectCat[p]] |= 1 << i
	}
	patterns := make(map[uint64]int)
	for a := range ix.accounts {
		if an.b.ballotSize[a] < 2 {
			continue
		}
		var mask uint64
		for _, p := range an.ballotOf(int32(a)) {
			mask |= bits[ix.projectCat[p]]
		}
		patterns[mask]++
	}
	out := make([]pattern, 0, len(patterns))
	for m, n := range patterns {
		out = append(out, pattern{m, n})
	}
	slices.SortFunc(out, func(x, y pattern) int { return cmp.Compare(x.mask, y.mask) })
	return out
}

// chanceOfSet is the chance that an account voting in the categories of
// mask's projects, choosing in each with the given shares of the set's
// projects, picks at least need of them, counted with the usual dynamic
// programme over independent chances.
func chanceOfSet(mask uint64, shares []float64, need int) float64 {
	// dist[k] is the chance of k hits so far.
	var buf [65]float64
	dist := buf[:1]
	dist[0] = 1
	for i, s := range shares[:min(len(shares), 64)] {
		if mask&(1<<i) == 0 {
			continue
		}
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
