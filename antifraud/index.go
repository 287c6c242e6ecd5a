package antifraud

import (
	"slices"
	"time"
)

// index is the analyser's compact view of its input: every string interned
// to a dense int32, every voter to a dense account number, times as Unix
// seconds, and each account's votes in time order. Detectors work on it
// alone, so the memory the analysis needs is a few dozen bytes per vote
// whatever the length of the strings in the input.
type index struct {
	votes   []vrec
	voteIDs []string

	// Interned values; the id is the position in the slice.
	projects   []string
	categories []string
	networks   []string
	agents     []string
	devices    []string // id 0 is the empty hint: no device was named
	domains    []string

	projectCat []int32 // category of each project

	accounts []account
	// byAccount lists vote indexes grouped by account, each account's in
	// time order; account a's are byAccount[accounts[a].first:accounts[a].end].
	byAccount []int32

	start, end int64 // first and last cast time
}

// vrec is one vote in the index.
type vrec struct {
	at       int64
	account  int32
	project  int32
	category int32
	network  int32
	agent    int32
	device   int32
}

// account is one voter with the facts the analysis needs.
type account struct {
	voter      int64
	created    int64
	domain     int32
	first, end int32 // range in index.byAccount
}

// interner maps strings to dense ids.
type interner struct {
	ids  map[string]int32
	vals []string
}

func newInterner() *interner { return &interner{ids: make(map[string]int32)} }

func (in *interner) id(s string) int32 {
	if id, ok := in.ids[s]; ok {
		return id
	}
	id := int32(len(in.vals))
	in.ids[s] = id
	in.vals = append(in.vals, s)
	return id
}

// buildIndex interns votes. An account's creation time and email domain are
// taken from its first vote in input order; the export writes the same
// facts on every line of an account.
func buildIndex(votes []Vote) *index {
	ix := &index{votes: make([]vrec, len(votes)), voteIDs: make([]string, len(votes))}
	projects, cats, nets, agents, devices, domains := newInterner(), newInterner(), newInterner(), newInterner(), newInterner(), newInterner()
	devices.id("")
	accountOf := make(map[int64]int32)
	var projectCat []int32
	for i := range votes {
		v := &votes[i]
		a, ok := accountOf[v.VoterID]
		if !ok {
			a = int32(len(ix.accounts))
			accountOf[v.VoterID] = a
			created := v.AccountCreatedAt
			if created.IsZero() {
				created = v.CastAt
			}
			ix.accounts = append(ix.accounts, account{voter: v.VoterID, created: created.Unix(), domain: domains.id(v.EmailDomain)})
		}
		ix.voteIDs[i] = v.VoteID
		p := projects.id(v.ProjectID)
		c := cats.id(v.Category)
		if int(p) == len(projectCat) {
			projectCat = append(projectCat, c)
		}
		ix.votes[i] = vrec{
			at:       v.CastAt.Unix(),
			account:  a,
			project:  p,
			category: projectCat[p],
			network:  nets.id(v.Network),
			agent:    agents.id(v.UserAgent),
			device:   devices.id(v.DeviceHint),
		}
	}
	ix.projects, ix.categories, ix.networks = projects.vals, cats.vals, nets.vals
	ix.agents, ix.devices, ix.domains = agents.vals, devices.vals, domains.vals
	ix.projectCat = projectCat

	// Group votes by account with a counting sort, then order each
	// account's votes by time (ties by input order, so the result does not
	// depend on the sort's stability).
	counts := make([]int32, len(ix.accounts)+1)
	for i := range ix.votes {
		counts[ix.votes[i].account+1]++
	}
	for a := range ix.accounts {
		counts[a+1] += counts[a]
		ix.accounts[a].first = counts[a]
		ix.accounts[a].end = counts[a+1]
	}
	ix.byAccount = make([]int32, len(ix.votes))
	fill := counts[:len(ix.accounts)]
	for i := range ix.votes {
		a := ix.votes[i].account
		ix.byAccount[fill[a]] = int32(i)
		fill[a]++
	}
	for a := range ix.accounts {
		vs := ix.byAccount[ix.accounts[a].first:ix.accounts[a].end]
		if len(vs) > 1 {
			slices.SortFunc(vs, func(x, y int32) int {
				if d := ix.votes[x].at - ix.votes[y].at; d != 0 {
					return sign(d)
				}
				return int(x - y)
			})
		}
	}
	if len(ix.votes) > 0 {
		ix.start, ix.end = ix.votes[0].at, ix.votes[0].at
		for i := range ix.votes {
			ix.start = min(ix.start, ix.votes[i].at)
			ix.end = max(ix.end, ix.votes[i].at)
		}
	}
	return ix
}

// votesOf returns account a's votes, in time order.
func (ix *index) votesOf(a int32) []int32 {
	return ix.byAccount[ix.accounts[a].first:ix.accounts[a].end]
}

// firstVote is the time of account a's first vote.
func (ix *index) firstVote(a int32) int64 {
	return ix.votes[ix.byAccount[ix.accounts[a].first]].at
}

// time converts Unix seconds back to a time for the report.
func unixTime(s int64) time.Time { return time.Unix(s, 0).UTC() }

func sign(d int64) int {
	switch {
	case d < 0:
		return -1
	case d > 0:
		return 1
	}
	return 0
}
