package antifraud

import (
	"cmp"
	"math"
	"slices"
)

// measure is one kind of evidence on a crowd: its strength in [0,1] and,
// where it can be told account by account, which of the crowd's accounts
// show it and how common that is among the edition's accounts (base), so
// that showing it says how much more likely an account is to be one of the
// made-up ones. member is nil for a property of the crowd as a whole, such
// as its pace. When fresh is set, member and base are about fresh accounts
// only (the share of the edition's fresh accounts that show it), because
// the evidence is only defined for them.
type measure struct {
	value  float64
	member []bool
	base   float64
	fresh  bool
}

// freshExcess is how much more often than the edition's voters the
// crowd's accounts were fresh, discounted by the noise of a small sample:
// 0 at or below the edition's rate, 1 when every account is fresh.
func (an *analysis) freshExcess(c *crowd) measure {
	n := len(c.accounts)
	f0 := an.b.freshRate
	if n == 0 || f0 >= 1 {
		return measure{}
	}
	k := 0
	member := make([]bool, n)
	for i, a := range c.accounts {
		if an.b.fresh[a] {
			k++
			member[i] = true
		}
	}
	f := float64(k)/float64(n) - 2*math.Sqrt(f0*(1-f0)/float64(n))
	return measure{value: clamp01((f - f0) / (1 - f0)), member: member, base: f0}
}

// staged is the share of the crowd's accounts (doubled, capped at 1) that
// were created in a batch and used later: at least StageMin of the crowd's
// accounts created within StageWindow of each other, making a quarter or
// more of all the edition's accounts created in that window, and first
// used StageGap or more after. People sign up when they mean to vote;
// scripts prepare accounts, and farms age them for months or years, then
// use them. The edition's own sign-up peaks (last year's campaigns) are
// full of honest accounts, which is why the crowd must dominate the
// window.
func (an *analysis) staged(c *crowd) measure {
	o := an.o
	type cand struct {
		at int64
		i  int
	}
	var cs []cand
	for i, a := range c.accounts {
		created := an.ix.accounts[a].created
		if an.ix.firstVote(a)-created >= secs(o.StageGap) {
			cs = append(cs, cand{created, i})
		}
	}
	if len(cs) < o.StageMin {
		return measure{}
	}
	slices.SortFunc(cs, func(x, y cand) int { return cmp.Compare(x.at, y.at) })
	w := secs(o.StageWindow)
	member := make([]bool, len(c.accounts))
	staged, lo, hi := 0, 0, 0
	var spans [][2]int64
	for _, x := range cs {
		for cs[lo].at < x.at-w {
			lo++
		}
		for hi < len(cs) && cs[hi].at <= x.at+w {
			hi++
		}
		k := hi - lo
		if k >= o.StageMin && float64(an.b.createdBetween(x.at-w, x.at+w)) <= 4*float64(k) {
			staged++
			member[x.i] = true
			if n := len(spans); n > 0 && spans[n-1][1] >= x.at-w {
				spans[n-1][1] = x.at + w
			} else {
				spans = append(spans, [2]int64{x.at - w, x.at + w})
			}
		}
	}
	// How many of the edition's accounts were created in those windows.
	inWindows := 0
	for _, s := range spans {
		inWindows += an.b.createdBetween(s[0], s[1])
	}
	return measure{value: clamp01(2 * float64(staged) / float64(len(c.accounts))), member: member,
		base: float64(inWindows) / float64(len(an.ix.accounts))}
}

// regular is how machine-regular the crowd's pace is: the steadier of its
// votes' and its fresh accounts' creations, one event per household. The
// measure is the standard deviation of the logarithm of the gaps between
// consecutive events: about 1.2 for independent arrivals, more for the
// bursts and lulls of people answering a message, and well under 1 for a
// script's fixed pace, or operators logging into one account after
// another. A small sample spreads less by chance, so the bar is lowered by
// RegularZ standard errors (0.9/sqrt(gaps)); the evidence is full at half
// the bar.
func (an *analysis) regular(c *crowd, h households) measure {
	first := make([]int64, h.n)
	created := make([]int64, h.n)
	for i := range first {
		first[i], created[i] = math.MaxInt64, math.MaxInt64
	}
	pos := make(map[int32]int, len(c.accounts))
	for i, a := range c.accounts {
		pos[a] = i
		if an.b.fresh[a] {
			u := h.of[i]
			created[u] = min(created[u], an.ix.accounts[a].created)
		}
	}
	for _, v := range c.votes {
		u := h.of[pos[an.ix.votes[v].account]]
		first[u] = min(first[u], an.ix.votes[v].at)
	}
	return measure{value: max(an.pace(first), an.pace(created))}
}

// independentSpread is the standard deviation of the logarithm of the gaps
// (in seconds, plus one) between independent arrivals.
const independentSpread = 1.22

// pace is the evidence of a machine pace in times (MaxInt64 is absent).
// Gaps under five seconds at the median are too short for whole-second
// times to show a pace, and give none.
func (an *analysis) pace(ts []int64) float64 {
	ts = slices.DeleteFunc(slices.Clone(ts), func(t int64) bool { return t == math.MaxInt64 })
	if len(ts) < an.o.MinCadence {
		return 0
	}
	slices.Sort(ts)
	logs := make([]float64, len(ts)-1)
	gaps := make([]float64, len(ts)-1)
	for i := 1; i < len(ts); i++ {
		gaps[i-1] = float64(ts[i] - ts[i-1])
		logs[i-1] = math.Log(gaps[i-1] + 1)
	}
	slices.Sort(gaps)
	if quantile(gaps, 0.5) < 5 {
		return 0
	}
	bar := independentSpread - an.o.RegularZ*0.9/math.Sqrt(float64(len(logs)))
	if bar <= 0 {
		return 0
	}
	return clamp01((bar - stddev(logs)) / (bar / 2))
}

// uniformDelay is how alike the delays from sign-up to first vote of the
// crowd's fresh accounts are, against the edition's fresh accounts: the
// standard deviation of their logarithm, over the edition's spread (a
// robust one, see baseline.delaySpread). People differ
// (some vote at once, others the next day); a script, or a task worker
// following instructions, takes about the same time every time. A small
// sample is allowed DelayZ standard errors (0.75/sqrt(n) of the ratio)
// below the edition's before it counts; the evidence is full at half that
// bar. An account shows it when it is fresh and its delay is within the
// crowd's usual range (Tukey's fences on the logarithm).
func (an *analysis) uniformDelay(c *crowd) measure {
	logLag := make([]float64, len(c.accounts))
	var ls []float64
	for i, a := range c.accounts {
		if an.b.fresh[a] {
			logLag[i] = logDelay(an.ix.firstVote(a) - an.ix.accounts[a].created)
			ls = append(ls, logLag[i])
		}
	}
	if len(ls) < an.o.MinCadence || an.b.delaySpread == 0 {
		return measure{}
	}
	bar := 1 - an.o.DelayZ*0.75/math.Sqrt(float64(len(ls)))
	if bar <= 0 {
		return measure{}
	}
	ratio := stddev(ls) / an.b.delaySpread
	slices.Sort(ls)
	q1, q3 := quantile(ls, 0.25), quantile(ls, 0.75)
	fence := max(1.5*(q3-q1), 0.5)
	lo, hi := q1-fence, q3+fence
	member := make([]bool, len(c.accounts))
	for i, a := range c.accounts {
		member[i] = an.b.fresh[a] && logLag[i] >= lo && logLag[i] <= hi
	}
	return measure{value: clamp01((bar - ratio) / (bar / 2)), member: member,
		base: an.b.freshDelayShare(lo, hi), fresh: true}
}

// logDelay is the logarithm of a sign-up-to-vote delay in seconds, plus
// one.
func logDelay(d int64) float64 { return math.Log(float64(max(d, 0) + 1)) }

// deviceFarm is the share of the crowd's accounts (tripled, capped at 1)
// whose device was used by more than FamilyMax accounts in the edition.
func (an *analysis) deviceFarm(c *crowd) measure {
	k := 0
	member := make([]bool, len(c.accounts))
	for i, a := range c.accounts {
		if an.b.onFarmDevice(a, an.o.FamilyMax) {
			k++
			member[i] = true
		}
	}
	return measure{value: clamp01(3 * float64(k) / float64(len(c.accounts))), member: member,
		base: an.b.farmDeviceShare}
}

// sameBallot is how many of the crowd's accounts cast one identical ballot
// of two or more projects: 0 up to a fifth of them, 1 from three fifths.
// People who agree on one project still differ on the rest. An account
// shows it when its ballot is that one exactly, which in the edition is as
// common as voters who cast it.
func (an *analysis) sameBallot(c *crowd) measure {
	counts := make(map[uint64]int)
	best, mode := 0, uint64(0)
	for _, a := range c.accounts {
		if an.b.ballotSize[a] >= 2 {
			h := an.b.ballot[a]
			counts[h]++
			if counts[h] > best || (counts[h] == best && h < mode) {
				best, mode = counts[h], h
			}
		}
	}
	if best < an.o.MinGroup {
		return measure{}
	}
	member := make([]bool, len(c.accounts))
	var common []int32
	for i, a := range c.accounts {
		member[i] = an.b.ballot[a] == mode
		if member[i] && common == nil {
			common = an.ballotOf(a)
		}
	}
	return measure{value: clamp01((float64(best)/float64(len(c.accounts)) - 0.2) / 0.4), member: member,
		base: float64(an.b.votersOfAll(common, int32(len(common)))) / float64(len(an.ix.accounts))}
}

// steadyDrip is how steadily the crowd's votes came day after day over at
// least DripDays: votes on most days of the span, and daily counts that
// vary no more than independent arrivals at a fixed rate do (variance over
// mean near 1). An honest campaign comes in bursts that fade.
func (an *analysis) steadyDrip(c *crowd) measure {
	if len(c.votes) < an.o.MinGroup {
		return measure{}
	}
	first, last := int64(math.MaxInt64), int64(math.MinInt64)
	for _, v := range c.votes {
		t := an.ix.votes[v].at
		first, last = min(first, t), max(last, t)
	}
	days := int((last-first)/86400) + 1
	if days < an.o.DripDays {
		return measure{}
	}
	perDay := make([]float64, days)
	for _, v := range c.votes {
		perDay[(an.ix.votes[v].at-first)/86400]++
	}
	active, mean := 0, float64(len(c.votes))/float64(days)
	vr := 0.0
	for _, n := range perDay {
		if n > 0 {
			active++
		}
		vr += (n - mean) * (n - mean)
	}
	vr /= float64(days)
	steady := clamp01((4 - vr/mean) / 2.5)
	covered := clamp01((float64(active)/float64(days) - 0.5) / 0.3)
	return measure{value: steady * covered}
}

// newDomain is the share of the crowd's accounts (doubled, capped at 1)
// whose mail domain has no history (see baseline.newDomain).
func (an *analysis) newDomain(c *crowd) measure {
	k := 0
	member := make([]bool, len(c.accounts))
	for i, a := range c.accounts {
		if an.b.newDomain[an.ix.accounts[a].domain] {
			k++
			member[i] = true
		}
	}
	return measure{value: clamp01(2 * float64(k) / float64(len(c.accounts))), member: member,
		base: an.b.newDomainShare}
}

// homogeneity is how much less varied an attribute (an account's first
// browser string or network) is among the crowd's households than among
// as many accounts drawn from the edition at random: 0 when it is at least
// half as varied, 1 when it is one value for all. Companies standardise
// browsers and campuses share networks, so this weighs little. An account
// shows it when its value is at least five times as common in the crowd
// as in the edition, and at least three of the crowd's accounts have it.
func (an *analysis) homogeneity(c *crowd, h households, of, accounts []int32, counts []countFreq) measure {
	if h.n < an.o.MinGroup {
		return measure{}
	}
	e := expectedDistinct(counts, len(an.ix.accounts), h.n)
	if e < 3 {
		return measure{}
	}
	inCrowd := make(map[int32]int)
	for _, a := range c.accounts {
		inCrowd[of[a]]++
	}
	distinct := make(map[int32]struct{})
	firstOfHousehold := make(map[int32]bool)
	for i, a := range c.accounts {
		if !firstOfHousehold[h.of[i]] {
			firstOfHousehold[h.of[i]] = true
			distinct[of[a]] = struct{}{}
		}
	}
	hom := 1 - float64(len(distinct)-1)/(e-1)
	n, total := float64(len(c.accounts)), float64(len(an.ix.accounts))
	over := make(map[int32]bool)
	overAccounts := 0
	for v, k := range inCrowd {
		if k >= 3 && float64(k)/n >= 5*float64(accounts[v])/total {
			over[v] = true
			overAccounts += int(accounts[v])
		}
	}
	base := float64(overAccounts) / total
	member := make([]bool, len(c.accounts))
	for i, a := range c.accounts {
		member[i] = over[of[a]]
	}
	return measure{value: clamp01((hom - 0.5) / 0.4), member: member, base: base}
}

// ballotSize says which of the crowd's accounts cast a ballot of a size
// usual in the crowd (within Tukey's fences on the number of votes, and
// at least half the median either side), and how common such a size is in
// the edition. It only tells accounts apart: a farm's accounts cast the
// few votes they were made for, the honest voters caught among them vote
// as the edition does.
func (an *analysis) ballotSize(c *crowd) measure {
	sizes := make([]float64, len(c.accounts))
	for i, a := range c.accounts {
		sizes[i] = float64(an.b.ballotSize[a])
	}
	sorted := slices.Clone(sizes)
	slices.Sort(sorted)
	q1, q2, q3 := quantile(sorted, 0.25), quantile(sorted, 0.5), quantile(sorted, 0.75)
	fence := max(1.5*(q3-q1), q2/2)
	lo, hi := q1-fence, q3+fence
	member := make([]bool, len(c.accounts))
	for i, x := range sizes {
		member[i] = x >= lo && x <= hi
	}
	return measure{value: 1, member: member, base: an.b.sizeShare(lo, hi)}
}

// inStep says which of the crowd's accounts began voting within StepWindow
// of another of its accounts: operators logging into one account after
// another leave their sessions in step, while honest voters who happen to
// share a ring's choices vote whenever they like. Its base is the share of
// the edition's accounts that began voting within StepWindow of one of the
// crowd's. It only tells accounts apart, and only for crowds not found by
// their time (in a burst, everyone is in step with someone).
func (an *analysis) inStep(c *crowd) measure {
	type start struct {
		at int64
		i  int
	}
	ss := make([]start, len(c.accounts))
	for i, a := range c.accounts {
		ss[i] = start{an.ix.firstVote(a), i}
	}
	slices.SortFunc(ss, func(x, y start) int { return cmp.Compare(x.at, y.at) })
	w := secs(an.o.StepWindow)
	member := make([]bool, len(c.accounts))
	var spans [][2]int64
	for k, x := range ss {
		member[x.i] = (k > 0 && x.at-ss[k-1].at <= w) || (k+1 < len(ss) && ss[k+1].at-x.at <= w)
		if n := len(spans); n > 0 && spans[n-1][1] >= x.at-w {
			spans[n-1][1] = x.at + w
		} else {
			spans = append(spans, [2]int64{x.at - w, x.at + w})
		}
	}
	in := 0
	for _, s := range spans {
		in += an.b.firstVotesBetween(s[0], s[1])
	}
	return measure{value: 1, member: member, base: float64(in) / float64(len(an.ix.accounts))}
}

// deeper says which members of a group found by its set of projects voted
// for more of them than it takes to be a member, and how common that is in
// the edition: a ring's members vote for most of the set, the honest
// voters who share its taste for just enough of it. It only tells accounts
// apart.
func (an *analysis) deeper(c *crowd) measure {
	member := make([]bool, len(c.accounts))
	for i, a := range c.accounts {
		member[i] = overlap(an.ballotOf(a), c.projects) > c.need
	}
	counts := make(map[int32]int)
	for _, p := range c.projects {
		for _, a := range an.b.voters[p] {
			counts[a]++
		}
	}
	n := 0
	for _, k := range counts {
		if k > c.need {
			n++
		}
	}
	return measure{value: 1, member: member, base: float64(n) / float64(len(an.ix.accounts))}
}
