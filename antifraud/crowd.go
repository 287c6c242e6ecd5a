package antifraud

import (
	"math"
	"slices"
)

// crowd is a group of accounts that a detector found acting together: the
// accounts behind one network, device or mail domain, or created in one
// wave, or voting in one burst, that fed the same projects far beyond
// their share; or accounts voting the same set of projects together.
// Being a crowd is not an accusation: campuses, carriers' NATs, companies
// and a project's own campaign all make crowds. assess decides, from
// evidence that honest crowds rarely show, how likely it is to be made up.
type crowd struct {
	kind     string  // the detector's reason code, the case's Kind
	subject  string  // what its accounts share: a network, device, domain, a time
	projects []int32 // the projects it fed
	votes    []int32 // its votes for them
	accounts []int32 // its distinct accounts, sorted
	lift     float64 // how many times their expected count those projects got
	expected float64 // votes those accounts were expected to give them
	// own is the evidence the detector grouped on, which therefore says
	// nothing more about the crowd (a crowd found by its network is made
	// of few networks by construction).
	own string
	// base is the detector's own evidence (how far beyond chance a
	// lockstep group is), added to what assess finds.
	base float64

	signals map[string]float64
	score   float64
	// member is each account's score: the crowd's, scaled by how much of
	// the crowd's strong evidence the account shows itself.
	member []float64
}

// evidence is one kind of evidence that a crowd is made up rather than
// met, with its weight. A crowd is flagged when the weighted sum of its
// evidence reaches 1, so no evidence whose weight is below 1 decides
// alone; those above 1 are behaviours no honest crowd shows at scale.
type evidence struct {
	reason string
	weight float64
}

// evidences are every kind of evidence, strongest first. The weights are
// the design: automation (a regular pace, accounts created in a batch and
// used later, a sign-up delay the same for everyone, devices shared by
// more accounts than a family has, identical multi-project ballots, a
// steady drip over days) weighs most; fabricated accounts (fresh far
// beyond the edition's habit, a mail domain with no history) weigh less;
// sharing a browser or a network, which institutions do honestly, least.
var evidences = []evidence{
	{ReasonRegularTiming, 1.1},
	{ReasonStagedAccounts, 1.1},
	{ReasonSteadyDrip, 1.0},
	{ReasonSameBallot, 0.9},
	{ReasonDeviceFarm, 0.9},
	{ReasonUniformDelay, 0.5},
	{ReasonFreshAccounts, 0.7},
	{ReasonNewDomain, 0.7},
	{ReasonSameAgent, 0.5},
	{ReasonFewNetworks, 0.3},
	{signalFocus, 0.3},
}

// signalFocus is how far beyond chance the crowd fed its projects, as
// evidence; it is a signal, not a reason code.
const signalFocus = "focus"

// measure is one kind of evidence on a crowd: its strength in [0,1] and,
// where it can be told account by account, which of the crowd's accounts
// show it (nil when it is a property of the crowd as a whole, such as its
// pace).
type measure struct {
	value  float64
	member []bool
}

// assess measures every kind of evidence on the crowd and scores it, then
// scores each of its accounts by how far it shares the crowd's strong
// evidence (the full score from 70% of the weighted evidence, none below
// 20%). A crowd found in a window or on a network holds, besides the
// made-up accounts, the honest ones that happened to be there: an old
// account with its own browser in a burst of fresh accounts with one
// browser does not share the burst's evidence and keeps its vote.
func (an *analysis) assess(c *crowd) {
	c.signals = map[string]float64{
		"accounts": float64(len(c.accounts)),
		"votes":    float64(len(c.votes)),
		"lift":     round3(c.lift),
		"expected": round3(c.expected),
	}
	u := an.households(c)
	ms := map[string]measure{
		signalFocus:          {value: clamp01(math.Log(c.lift/an.o.FocusLift) / math.Log(10))},
		ReasonFreshAccounts:  an.freshExcess(c),
		ReasonStagedAccounts: an.staged(c),
		ReasonRegularTiming:  an.regular(c, u),
		ReasonUniformDelay:   an.uniformDelay(c),
		ReasonDeviceFarm:     an.deviceFarm(c),
		ReasonSameBallot:     an.sameBallot(c),
		ReasonSteadyDrip:     an.steadyDrip(c),
		ReasonNewDomain:      an.newDomain(c),
		ReasonSameAgent:      an.homogeneity(c, u, an.b.agent, an.b.agentAccounts, an.b.agentCounts),
		ReasonFewNetworks:    an.homogeneity(c, u, an.b.network, an.b.networkAccounts, an.b.networkCounts),
	}
	e := c.base
	for _, ev := range evidences {
		if ev.reason == c.own {
			continue
		}
		v := ms[ev.reason].value
		e += ev.weight * v
		if v > 0 {
			c.signals[ev.reason] = round3(v)
		}
	}
	if c.base > 0 {
		c.signals["base"] = round3(c.base)
	}
	c.score = round3(e / (e + 1))

	// Conformity: the weighted share of the crowd's strong, account-level
	// evidence that each account shows.
	c.member = make([]float64, len(c.accounts))
	total := 0.0
	for _, ev := range evidences {
		m := ms[ev.reason]
		if ev.reason == c.own || m.value < 0.5 || m.member == nil {
			continue
		}
		total += ev.weight
		for i, ok := range m.member {
			if ok {
				c.member[i] += ev.weight
			}
		}
	}
	for i := range c.member {
		conformity := 1.0
		if total > 0 {
			conformity = c.member[i] / total
		}
		c.member[i] = round3(c.score * clamp01((conformity-0.2)/0.5))
	}
}

// reasons are the crowd's kind and its strong evidence, sorted.
func (c *crowd) reasons() []string {
	out := []string{c.kind}
	for _, ev := range evidences {
		if ev.reason != c.own && ev.reason != signalFocus && c.signals[ev.reason] >= 0.5 {
			out = append(out, ev.reason)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// households maps each of the crowd's accounts (by position) to a
// household: accounts sharing a device that serves at most FamilyMax
// accounts are one household, any other account is its own. Measures of
// variety and pace count households, so a few families voting together
// for a relative are a few voters, not a crowd of look-alikes.
type households struct {
	of []int32 // household of each account position
	n  int
}

func (an *analysis) households(c *crowd) households {
	h := households{of: make([]int32, len(c.accounts))}
	byDevice := make(map[int32]int32)
	for i, a := range c.accounts {
		d := an.b.device[a]
		if d != 0 && int(an.b.deviceAccounts[d]) <= an.o.FamilyMax {
			if id, ok := byDevice[d]; ok {
				h.of[i] = id
				continue
			}
			byDevice[d] = int32(h.n)
		}
		h.of[i] = int32(h.n)
		h.n++
	}
	return h
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
	return measure{clamp01((f - f0) / (1 - f0)), member}
}

// staged is the share of the crowd's accounts (doubled, capped at 1) that
// were created in a batch, at least StageMin of the crowd's accounts within
// StageWindow of each other, making a quarter or more of the edition's
// sign-ups at that moment, and first voted StageGap to StageMaxAge after.
// People sign up when they mean to vote; scripts prepare accounts and use
// them later.
func (an *analysis) staged(c *crowd) measure {
	o := an.o
	type cand struct {
		at int64
		i  int
	}
	var cs []cand
	for i, a := range c.accounts {
		created := an.ix.accounts[a].created
		lag := an.ix.firstVote(a) - created
		if lag >= secs(o.StageGap) && lag <= secs(o.StageMaxAge) {
			cs = append(cs, cand{created, i})
		}
	}
	if len(cs) < o.StageMin {
		return measure{}
	}
	slices.SortFunc(cs, func(x, y cand) int { return sign(x.at - y.at) })
	w := secs(o.StageWindow)
	member := make([]bool, len(c.accounts))
	staged, lo, hi := 0, 0, 0
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
		}
	}
	return measure{clamp01(2 * float64(staged) / float64(len(c.accounts))), member}
}

// regular is how machine-regular the crowd's pace is: the steadier of its
// votes' and its fresh accounts' creations, one event per household. The
// measure is the standard deviation of the logarithm of the gaps between
// consecutive events: about 1.2 for independent arrivals, more for the
// bursts and lulls of people answering a message, and under 0.3 for a
// script's fixed pace with some jitter. A small sample spreads less by
// chance, so the bar is lowered by RegularZ standard errors
// (0.9/sqrt(gaps)); the evidence is full at half the bar.
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
// standard deviation of their logarithm, over the edition's. People differ
// (some vote at once, others the next day); a script that signs up and
// votes in one go takes the same time every time. A small sample is
// allowed DelayZ standard errors (0.75/sqrt(n) of the ratio) below the
// edition's before it counts; the evidence is full at a third of it. An
// account shows it when it is fresh and its delay is within the crowd's
// usual range (Tukey's fences on the logarithm).
func (an *analysis) uniformDelay(c *crowd) measure {
	logLag := make([]float64, len(c.accounts))
	var ls []float64
	for i, a := range c.accounts {
		if an.b.fresh[a] {
			logLag[i] = math.Log(float64(max(an.ix.firstVote(a)-an.ix.accounts[a].created, 0) + 1))
			ls = append(ls, logLag[i])
		}
	}
	if len(ls) < an.o.MinCadence || an.b.delaySpread == 0 {
		return measure{}
	}
	bar := 1 - an.o.DelayZ*0.75/math.Sqrt(float64(len(ls)))
	if bar <= 1.0/3 {
		return measure{}
	}
	ratio := stddev(ls) / an.b.delaySpread
	slices.Sort(ls)
	q1, q3 := quantile(ls, 0.25), quantile(ls, 0.75)
	fence := max(1.5*(q3-q1), 0.5)
	member := make([]bool, len(c.accounts))
	for i, a := range c.accounts {
		member[i] = an.b.fresh[a] && logLag[i] >= q1-fence && logLag[i] <= q3+fence
	}
	return measure{clamp01((bar - ratio) / (bar - 1.0/3)), member}
}

// stddev is the sample standard deviation of xs.
func stddev(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	m := 0.0
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	v := 0.0
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return math.Sqrt(v / float64(len(xs)-1))
}

// deviceFarm is the share of the crowd's accounts (tripled, capped at 1)
// whose device was used by more than FamilyMax accounts in the edition.
func (an *analysis) deviceFarm(c *crowd) measure {
	k := 0
	member := make([]bool, len(c.accounts))
	for i, a := range c.accounts {
		if d := an.b.device[a]; d != 0 && int(an.b.deviceAccounts[d]) > an.o.FamilyMax {
			k++
			member[i] = true
		}
	}
	return measure{clamp01(3 * float64(k) / float64(len(c.accounts))), member}
}

// sameBallot is how many of the crowd's accounts cast one identical ballot
// of two or more projects: 0 up to a fifth of them, 1 from three fifths.
// People who agree on one project still differ on the rest.
func (an *analysis) sameBallot(c *crowd) measure {
	counts := make(map[uint64]int)
	best, mode := 0, uint64(0)
	for _, a := range c.accounts {
		if an.b.ballotSize[a] >= 2 {
			h := an.b.ballot[a]
			counts[h]++
			if counts[h] > best {
				best, mode = counts[h], h
			}
		}
	}
	if best < an.o.MinGroup {
		return measure{}
	}
	// An account shows it when its ballot holds the whole common one,
	// with or without a few projects of its own.
	var common, ps []int32
	for _, a := range c.accounts {
		if an.b.ballot[a] == mode {
			common = an.ballotOf(a, nil)
			break
		}
	}
	member := make([]bool, len(c.accounts))
	for i, a := range c.accounts {
		ps = an.ballotOf(a, ps[:0])
		member[i] = overlap(ps, common) == len(common)
	}
	return measure{clamp01((float64(best)/float64(len(c.accounts)) - 0.2) / 0.4), member}
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
// whose mail domain has no history: at least MinGroup/2 accounts, of
// which at least three were expected to be older than fresh at the
// edition's rate, and at most a fifth of that number are.
func (an *analysis) newDomain(c *crowd) measure {
	k := 0
	member := make([]bool, len(c.accounts))
	for i, a := range c.accounts {
		if an.isNewDomain(an.ix.accounts[a].domain) {
			k++
			member[i] = true
		}
	}
	return measure{clamp01(2 * float64(k) / float64(len(c.accounts))), member}
}

func (an *analysis) isNewDomain(d int32) bool {
	n := float64(an.b.domainAccounts[d])
	if n < float64(an.o.MinGroup)/2 {
		return false
	}
	old := n - float64(an.b.domainFresh[d])
	expectedOld := n * (1 - an.b.freshRate)
	return expectedOld >= 3 && old <= expectedOld/5
}

// homogeneity is how much less varied an attribute (an account's first
// browser string or network) is among the crowd's households than among
// as many accounts drawn from the edition at random: 0 when it is at least
// half as varied, 1 when it is one value for all. Companies standardise
// browsers and campuses share networks, so this weighs little. An account
// shows it when its value is at least five times as common in the crowd
// as in the edition.
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
	member := make([]bool, len(c.accounts))
	n, total := float64(len(c.accounts)), float64(len(an.ix.accounts))
	for i, a := range c.accounts {
		v := of[a]
		member[i] = float64(inCrowd[v])/n >= 5*float64(accounts[v])/total
	}
	return measure{clamp01((hom - 0.5) / 0.4), member}
}

// quantile of sorted xs by linear interpolation.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	pos := q * float64(len(xs)-1)
	i := int(pos)
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (pos-float64(i))*(xs[i+1]-xs[i])
}

func clamp01(x float64) float64 {
	if math.IsNaN(x) || x < 0 {
		return 0
	}
	return min(x, 1)
}

func round3(x float64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return 0
	}
	return math.Round(x*1000) / 1000
}
