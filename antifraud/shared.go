package antifraud

import (
	"math"
	"slices"
)

// sharedCrowds finds the crowds of accounts that share a network, a device
// or a mail domain and fed one project far beyond its share.
//
// Sharing is normal: a campus, a company or a mobile carrier puts
// thousands of honest people behind a few addresses, a family shares a
// phone, a university gives its students one domain. So sharing only makes
// a group worth weighing: the group must also have fed one project far
// beyond what that many of the edition's voters give it, and then it is
// flagged only on the evidence assess finds (fresh accounts, a machine
// pace, staged sign-ups, ...), never for the sharing itself. A device
// counts as shared only beyond a household (FamilyMax accounts); an
// internet café's terminal serves dozens of honest people, so a device
// crowd too needs evidence besides its device.
func (an *analysis) sharedCrowds() {
	ix, b := an.ix, an.b
	an.focusCrowds(ReasonSharedNetwork, ReasonFewNetworks, len(ix.networks),
		func(v int32) int32 { return known(ix.networks, ix.votes[v].network) },
		func(k int32) string { return ix.networks[k] })
	an.focusCrowds(ReasonSharedDevice, ReasonDeviceFarm, len(ix.devices),
		func(v int32) int32 {
			if d := ix.votes[v].device; d != 0 && int(b.deviceAccounts[d]) > an.o.FamilyMax {
				return d
			}
			return -1
		},
		func(k int32) string { return ix.devices[k] })
	an.focusCrowds(ReasonMailDomain, "", len(ix.domains),
		func(v int32) int32 { return known(ix.domains, ix.accounts[ix.votes[v].account].domain) },
		func(k int32) string { return ix.domains[k] })
}

// known is id, or -1 when it stands for an empty string: votes whose
// network or domain is unknown share nothing.
func known(vals []string, id int32) int32 {
	if vals[id] == "" {
		return -1
	}
	return id
}

// focusCrowds groups votes by key (a negative key leaves a vote out) and,
// in each group of at least MinGroup accounts, makes a crowd of the votes
// for each project that the group fed at least FocusLift times its
// expected count, and FocusZ standard deviations above it. The expected
// count is the group's votes in the project's category times the
// project's share of that category among everyone else.
func (an *analysis) focusCrowds(kind, own string, nkeys int, keyOf func(v int32) int32, name func(k int32) string) {
	ix, o := an.ix, an.o
	// Counting sort of the votes by key.
	start := make([]int32, nkeys+1)
	keys := make([]int32, len(ix.votes))
	for v := range ix.votes {
		k := keyOf(int32(v))
		keys[v] = k
		if k >= 0 {
			start[k+1]++
		}
	}
	for k := range nkeys {
		start[k+1] += start[k]
	}
	byKey := make([]int32, start[nkeys])
	fill := slices.Clone(start[:nkeys])
	for v, k := range keys {
		if k >= 0 {
			byKey[fill[k]] = int32(v)
			fill[k]++
		}
	}

	seen := make([]int32, len(ix.accounts)) // key+1 that last counted the account
	projCount := make([]int32, len(ix.projects))
	catCount := make([]int32, len(ix.categories))
	var touched []int32
	for k := range nkeys {
		vs := byKey[start[k]:start[k+1]]
		if len(vs) < o.MinGroup {
			continue
		}
		accounts := 0
		for _, v := range vs {
			if a := ix.votes[v].account; seen[a] != int32(k)+1 {
				seen[a] = int32(k) + 1
				accounts++
			}
		}
		if accounts < o.MinGroup {
			continue
		}
		touched = touched[:0]
		for _, v := range vs {
			vr := &ix.votes[v]
			if projCount[vr.project] == 0 {
				touched = append(touched, vr.project)
			}
			projCount[vr.project]++
			catCount[vr.category]++
		}
		slices.Sort(touched)
		for _, p := range touched {
			c := float64(projCount[p])
			n := float64(catCount[ix.projectCat[p]])
			e := n * an.b.shareWithout(p, ix.projectCat, c, n)
			if c >= float64(o.MinGroup) && focused(c, e, o) {
				an.addCrowd(&crowd{kind: kind, own: own, subject: name(int32(k)), projects: []int32{p},
					votes: filterVotes(ix, vs, p), lift: c / e, expected: e})
			}
		}
		for _, p := range touched {
			projCount[p] = 0
		}
		for _, v := range vs {
			catCount[ix.votes[v].category] = 0
		}
	}
}

// focused says whether c votes against e expected are far beyond chance.
func focused(c, e float64, o Options) bool {
	if e <= 0 {
		return c > 0
	}
	return c/e >= o.FocusLift && (c-e)/math.Sqrt(e+1) >= o.FocusZ
}

// filterVotes is the votes in vs for project p.
func filterVotes(ix *index, vs []int32, p int32) []int32 {
	var out []int32
	for _, v := range vs {
		if ix.votes[v].project == p {
			out = append(out, v)
		}
	}
	return out
}

// addCrowd records a crowd with its distinct accounts, if it has at least
// MinGroup of them.
func (an *analysis) addCrowd(c *crowd) {
	accounts := make([]int32, 0, len(c.votes))
	for _, v := range c.votes {
		accounts = append(accounts, an.ix.votes[v].account)
	}
	slices.Sort(accounts)
	c.accounts = slices.Compact(accounts)
	if len(c.accounts) >= an.o.MinGroup {
		an.crowds = append(an.crowds, c)
	}
}
