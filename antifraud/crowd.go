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
	// member is each account's score: the crowd's when the account is
	// likely enough one of the made-up ones (see members), less otherwise.
	member []float64
	// timed is set for crowds found by their time (bursts and waves).
	timed bool
	// need is, for a group found by the set of projects it voted for, how
	// many of them a member voted for at least.
	need int
}

// evidence is one kind of evidence that a crowd is made up rather than
// met, with its weight. A crowd is flagged when the weighted sum of its
// evidence reaches 1; only a machine-regular pace weighs that much alone,
// everything else must be combined with more.
type evidence struct {
	reason string
	weight float64
}

// evidences are every kind of evidence, strongest first. The weights are
// the design. Automation weighs most: a machine-regular pace (the only
// evidence that decides alone), devices shared by more accounts than a
// family has, accounts created in a batch and used later, a sign-up delay
// the same for everyone. Fabricated accounts (fresh far beyond the
// edition's habit) and a steady drip over days weigh less. Traits honest
// crowds also have weigh least: an organisation's followers may cast one
// identical ballot, a university's students sign up on a domain new to
// the edition, a company standardises its browser, a campus shares a few
// networks. How far beyond chance a crowd fed its projects is no evidence
// at all: it is what made it a crowd, and honest campaigns do it too.
var evidences = []evidence{
	{ReasonRegularTiming, 1.0},
	{ReasonDeviceFarm, 0.9},
	{ReasonStagedAccounts, 0.8},
	{ReasonUniformDelay, 0.7},
	{ReasonFreshAccounts, 0.6},
	{ReasonSteadyDrip, 0.6},
	{ReasonSameBallot, 0.4},
	{ReasonNewDomain, 0.4},
	{ReasonSameAgent, 0.4},
	{ReasonFewNetworks, 0.3},
}

// signalBallotSize is whether an account's number of votes is usual for
// its crowd: evidence about accounts only, never about the crowd.
const signalBallotSize = "ballot_size"

// minContrast is how much more, or less, common an account-level evidence
// must be among a crowd's made-up accounts than among the edition's to be
// used on its accounts: estimates of rates are rough, and a trait nearly
// as common either way would only add their noise.
const minContrast = 0.2

// signalInStep is whether an account began voting right after or before
// another of its crowd: evidence about accounts only.
const signalInStep = "in_step"

// signalDeeper is whether a member of a group found by its set of projects
// voted for more of them than membership takes: evidence about accounts
// only.
const signalDeeper = "deeper"

// memberEvidence is the evidence that can be told account by account.
var memberEvidence = []string{
	ReasonFreshAccounts, ReasonStagedAccounts, ReasonUniformDelay, ReasonDeviceFarm, ReasonSameBallot,
	ReasonNewDomain, ReasonSameAgent, ReasonFewNetworks, signalBallotSize, signalInStep, signalDeeper,
}

// assess measures every kind of evidence on the crowd and scores it, then
// scores each of its accounts (see members).
func (an *analysis) assess(c *crowd) {
	c.signals = map[string]float64{
		"accounts": float64(len(c.accounts)),
		"votes":    float64(len(c.votes)),
		"lift":     round3(c.lift),
		"expected": round3(c.expected),
	}
	u := an.households(c)
	ms := map[string]measure{
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
	ms[signalBallotSize] = an.ballotSize(c)
	if !c.timed {
		ms[signalInStep] = an.inStep(c)
	}
	if c.need > 0 && c.need < len(c.projects) {
		ms[signalDeeper] = an.deeper(c)
	}
	delete(ms, c.own)
	e := c.base
	for _, ev := range evidences {
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
	an.members(c, ms)
}

// members scores each of the crowd's accounts. A crowd found in a window
// or on a network holds, besides the made-up accounts, the honest ones
// that happened to be there, about as many as the crowd's expected count.
// So each account's chance of being one of the made-up ones starts from
// their share (one minus expected over accounts) and is updated, in the
// manner of naive Bayes, by each account-level evidence the crowd shows:
// by how much more, or less, common it is among the made-up accounts (the
// crowd's rate, less the honest share at the edition's rate) than among
// the edition's. A ring of old accounts is never fresh, so a fresh account
// among its members is more likely an honest voter who shares its taste. An old account with its own browser and a common mail domain
// in a burst of fresh accounts on new domains does not share the burst's
// evidence and keeps its vote, while an account in the burst that looks
// like the burst is flagged with it. Besides the crowd's evidence, the
// size of an account's ballot counts: a farm's accounts cast the few votes
// they were made for, while the honest voters caught among them vote as
// the edition does. An account gets the crowd's score when its chance is
// MemberChance or more, and its chance times the score (under one half)
// when it is less.
func (an *analysis) members(c *crowd, ms map[string]measure) {
	n := float64(len(c.accounts))
	made := clamp(1-c.expected/n, 0.05, 0.95)
	prior := math.Log(made / (1 - made))
	logOdds := make([]float64, len(c.accounts))
	for i := range logOdds {
		logOdds[i] = prior
	}
	for _, reason := range memberEvidence {
		m, ok := ms[reason]
		if !ok || m.member == nil {
			continue
		}
		// Rates among the accounts the evidence is about.
		shown, about := 0.0, 0.0
		for i, a := range c.accounts {
			if m.fresh && !an.b.fresh[a] {
				continue
			}
			about++
			if m.member[i] {
				shown++
			}
		}
		if about == 0 {
			continue
		}
		honest := clamp(m.base, 0.01, 0.99)
		fake := clamp((shown/about-(1-made)*honest)/made, 0.02, 0.98)
		if math.Abs(fake-honest) < minContrast {
			continue
		}
		yes, no := math.Log(fake/honest), math.Log((1-fake)/(1-honest))
		for i, a := range c.accounts {
			if m.fresh && !an.b.fresh[a] {
				continue
			}
			if m.member[i] {
				logOdds[i] += yes
			} else {
				logOdds[i] += no
			}
		}
	}
	c.member = make([]float64, len(c.accounts))
	for i, lo := range logOdds {
		p := 1 / (1 + math.Exp(-lo))
		if p < an.o.MemberChance {
			c.member[i] = round3(c.score * p)
		} else {
			c.member[i] = c.score
		}
	}
}

// reasons are the crowd's kind and its strong evidence, sorted.
func (c *crowd) reasons() []string {
	out := []string{c.kind}
	for _, ev := range evidences {
		if ev.reason != c.own && c.signals[ev.reason] >= 0.5 {
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

func clamp(x, lo, hi float64) float64 { return max(lo, min(x, hi)) }

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
