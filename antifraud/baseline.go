package antifraud

import (
	"math"
	"slices"
)

// baseline is what the edition's voters as a whole look like. Every rule
// compares a group with it rather than with fixed figures, so a rule means
// the same on a small edition as on a large one, and on traffic whose
// habits (browsers, sign-up delays, mail providers) differ from ours.
type baseline struct {
	// share is each project's share of its category's votes: the chance
	// that a voter in that category picks it.
	share     []float64
	projVotes []int32
	catVotes  []int32

	// Per account, from its first vote: the attributes a group is compared
	// on, and whether it was fresh (created at most FreshAge before it
	// first voted).
	agent, network, device []int32
	fresh                  []bool
	freshRate              float64
	// delaySpread is the spread of the logarithm of fresh accounts'
	// delays from sign-up to first vote (seconds plus one), measured by the
	// interquartile range over 1.349 (the standard deviation for a normal
	// law), so that the tight delays of a few large farms do not widen it;
	// freshDelays are those logarithms, sorted.
	delaySpread float64
	freshDelays []float64

	// How many accounts used each agent, network, device and domain, and
	// how many of a domain's accounts are fresh.
	agentAccounts, networkAccounts, deviceAccounts []int32
	domainAccounts, domainFresh                    []int32

	// agentCounts and networkCounts are the distinct values of
	// agentAccounts and networkAccounts with how many agents (networks)
	// have each, for the expected number of distinct values in a sample.
	agentCounts, networkCounts []countFreq

	// created is every account's creation time, sorted; firstVotes every
	// account's first vote, sorted.
	created    []int64
	firstVotes []int64

	// ballot is a hash of each account's set of projects; ballotSize its
	// number of votes; the projects themselves, sorted, are
	// ballots[ballotStart[a]:ballotStart[a+1]].
	ballot      []uint64
	ballotSize  []int32
	ballots     []int32
	ballotStart []int32
	// sizesUpTo[n] counts the accounts with at most n votes.
	sizesUpTo []int32

	// voters lists each project's accounts, sorted.
	voters [][]int32

	// newDomain says which mail domains have no history, and
	// newDomainShare is the share of accounts on them; farmDeviceShare is
	// the share of accounts on a device with more than FamilyMax accounts.
	newDomain       []bool
	newDomainShare  float64
	farmDeviceShare float64
}

// shareWithout is project p's share of its category's votes leaving out
// c of its votes and n of the category's: the share among everyone but a
// group, so that a large group does not raise the very share it is
// compared with.
func (b *baseline) shareWithout(p int32, catOf []int32, c, n float64) float64 {
	rest := float64(b.catVotes[catOf[p]]) - n
	if rest <= 0 {
		return b.share[p]
	}
	return max(float64(b.projVotes[p])-c, 0) / rest
}

// countFreq says that freq distinct values were used by count accounts each.
type countFreq struct{ count, freq int32 }

func newBaseline(ix *index, o *Options) *baseline {
	b := &baseline{
		share:     make([]float64, len(ix.projects)),
		projVotes: make([]int32, len(ix.projects)),
		catVotes:  make([]int32, len(ix.categories)),
	}
	for i := range ix.votes {
		b.projVotes[ix.votes[i].project]++
		b.catVotes[ix.votes[i].category]++
	}
	for p := range b.share {
		if n := b.catVotes[ix.projectCat[p]]; n > 0 {
			b.share[p] = float64(b.projVotes[p]) / float64(n)
		}
	}

	na := len(ix.accounts)
	b.agent, b.network, b.device = make([]int32, na), make([]int32, na), make([]int32, na)
	b.fresh = make([]bool, na)
	b.ballot, b.ballotSize = make([]uint64, na), make([]int32, na)
	b.ballots, b.ballotStart = make([]int32, 0, len(ix.votes)), make([]int32, na+1)

	b.agentAccounts = make([]int32, len(ix.agents))
	b.networkAccounts = make([]int32, len(ix.networks))
	b.deviceAccounts = make([]int32, len(ix.devices))
	b.domainAccounts = make([]int32, len(ix.domains))
	b.domainFresh = make([]int32, len(ix.domains))
	b.created = make([]int64, na)
	b.firstVotes = make([]int64, na)
	nfresh := 0
	var ps []int32
	b.voters = make([][]int32, len(ix.projects))
	for a := range ix.accounts {
		acc := &ix.accounts[a]
		vs := ix.votesOf(int32(a))
		first := &ix.votes[vs[0]]
		b.agent[a], b.network[a], b.device[a] = first.agent, first.network, first.device
		b.agentAccounts[first.agent]++
		b.networkAccounts[first.network]++
		b.deviceAccounts[first.device]++
		b.domainAccounts[acc.domain]++
		b.created[a] = acc.created
		b.firstVotes[a] = first.at
		if first.at-acc.created <= secs(o.FreshAge) {
			b.fresh[a] = true
			b.domainFresh[acc.domain]++
			nfresh++
			b.freshDelays = append(b.freshDelays, logDelay(first.at-acc.created))
		}
		ps = ps[:0]
		for _, v := range vs {
			ps = append(ps, ix.votes[v].project)
		}
		slices.Sort(ps)
		ps = slices.Compact(ps)
		for _, p := range ps {
			b.voters[p] = append(b.voters[p], int32(a))
		}
		b.ballotStart[a] = int32(len(b.ballots))
		b.ballots = append(b.ballots, ps...)
		b.ballot[a], b.ballotSize[a] = hashIDs(ps), int32(len(ps))

	}
	if na > 0 {
		b.freshRate = float64(nfresh) / float64(na)
	}
	slices.Sort(b.freshDelays)
	b.ballotStart[na] = int32(len(b.ballots))
	maxSize := int32(0)
	for _, n := range b.ballotSize {
		maxSize = max(maxSize, n)
	}
	b.sizesUpTo = make([]int32, maxSize+1)
	for _, n := range b.ballotSize {
		b.sizesUpTo[n]++
	}
	for n := 1; n < len(b.sizesUpTo); n++ {
		b.sizesUpTo[n] += b.sizesUpTo[n-1]
	}
	b.delaySpread = (quantile(b.freshDelays, 0.75) - quantile(b.freshDelays, 0.25)) / 1.349
	slices.Sort(b.created)
	slices.Sort(b.firstVotes)
	b.newDomain = make([]bool, len(ix.domains))
	for d := range ix.domains {
		if b.isNew(int32(d), o) {
			b.newDomain[d] = true
			b.newDomainShare += float64(b.domainAccounts[d])
		}
	}
	for a := range na {
		if b.onFarmDevice(int32(a), o.FamilyMax) {
			b.farmDeviceShare++
		}
	}
	if na > 0 {
		b.newDomainShare /= float64(na)
		b.farmDeviceShare /= float64(na)
	}
	b.agentCounts = countFreqs(b.agentAccounts)
	b.networkCounts = countFreqs(b.networkAccounts)
	return b
}

func countFreqs(perValue []int32) []countFreq {
	m := make(map[int32]int32)
	for _, c := range perValue {
		if c > 0 {
			m[c]++
		}
	}
	out := make([]countFreq, 0, len(m))
	for c, f := range m {
		out = append(out, countFreq{c, f})
	}
	slices.SortFunc(out, func(x, y countFreq) int { return int(x.count - y.count) })
	return out
}

// expectedDistinct is how many distinct values n accounts drawn at random
// from the edition would show: the sum over values of the chance that at
// least one of the n has it.
func expectedDistinct(counts []countFreq, total, n int) float64 {
	if total == 0 || n <= 0 {
		return 0
	}
	e := 0.0
	for _, cf := range counts {
		p := float64(cf.count) / float64(total)
		e += float64(cf.freq) * (1 - math.Pow(1-p, float64(n)))
	}
	return e
}

// firstVotesBetween counts the edition's accounts whose first vote was in
// [from, to].
func (b *baseline) firstVotesBetween(from, to int64) int {
	lo, _ := slices.BinarySearch(b.firstVotes, from)
	hi, _ := slices.BinarySearch(b.firstVotes, to+1)
	return hi - lo
}

// createdBetween counts the edition's accounts created in [from, to].
func (b *baseline) createdBetween(from, to int64) int {
	lo, _ := slices.BinarySearch(b.created, from)
	hi, _ := slices.BinarySearch(b.created, to+1)
	return hi - lo
}

// isNew says whether mail domain d has no history: at least MinGroup/2
// accounts, of which at least three were expected to be older than fresh
// at the edition's rate, and at most a fifth of that number are. A
// university's or a company's domain has accounts from past years; a
// domain registered for a wave of sign-ups has none.
func (b *baseline) isNew(d int32, o *Options) bool {
	n := float64(b.domainAccounts[d])
	if n < float64(o.MinGroup)/2 {
		return false
	}
	old := n - float64(b.domainFresh[d])
	expectedOld := n * (1 - b.freshRate)
	return expectedOld >= 3 && old <= expectedOld/5
}

// onFarmDevice says whether account a's device served more than
// familyMax accounts.
func (b *baseline) onFarmDevice(a int32, familyMax int) bool {
	d := b.device[a]
	return d != 0 && int(b.deviceAccounts[d]) > familyMax
}

// freshDelayShare is the share of the edition's fresh accounts whose
// logarithmic sign-up-to-vote delay is in [lo, hi].
func (b *baseline) freshDelayShare(lo, hi float64) float64 {
	if len(b.freshDelays) == 0 {
		return 0
	}
	i, _ := slices.BinarySearch(b.freshDelays, lo)
	j, _ := slices.BinarySearch(b.freshDelays, math.Nextafter(hi, math.Inf(1)))
	return float64(j-i) / float64(len(b.freshDelays))
}

// sizeShare is the share of the edition's accounts whose number of votes
// is in [lo, hi].
func (b *baseline) sizeShare(lo, hi float64) float64 {
	upTo := func(x float64) int32 {
		n := int(math.Floor(x))
		switch {
		case n < 0 || len(b.sizesUpTo) == 0:
			return 0
		case n >= len(b.sizesUpTo):
			return b.sizesUpTo[len(b.sizesUpTo)-1]
		}
		return b.sizesUpTo[n]
	}
	if len(b.ballotSize) == 0 {
		return 0
	}
	return float64(upTo(hi)-upTo(math.Ceil(lo)-1)) / float64(len(b.ballotSize))
}

// votersOfAll counts the accounts that voted for every project in ps and
// cast at most limit votes.
func (b *baseline) votersOfAll(ps []int32, limit int32) int {
	if len(ps) == 0 {
		return 0
	}
	lists := make([][]int32, len(ps))
	for i, p := range ps {
		lists[i] = b.voters[p]
	}
	slices.SortFunc(lists, func(x, y []int32) int { return len(x) - len(y) })
	n := 0
	for _, a := range lists[0] {
		if b.ballotSize[a] > limit {
			continue
		}
		all := true
		for _, l := range lists[1:] {
			if _, ok := slices.BinarySearch(l, a); !ok {
				all = false
				break
			}
		}
		if all {
			n++
		}
	}
	return n
}

// hashIDs is FNV-1a over a sorted list of ids: the same set gives the same
// hash.
func hashIDs(ids []int32) uint64 {
	h := uint64(14695981039346656037)
	for _, id := range ids {
		for s := 0; s < 32; s += 8 {
			h ^= uint64(byte(id >> s))
			h *= 1099511628211
		}
	}
	return h
}
