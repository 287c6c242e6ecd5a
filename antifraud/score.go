package antifraud

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// report turns the assessed crowds into a verdict for every vote and a case
// for every crowd that scored at least CaseScore.
//
// A vote's score is the highest its account got in the crowds the vote is
// in: the crowd's score when the account is likely one of its made-up
// accounts, less otherwise (see members). A flagged account's other votes
// are flagged with it: an
// account found to be made up is made up in every category, and bots
// often vote for a few other projects to look ordinary. A flagged vote
// carries the reasons of the flagged crowds it is in; a counted one those
// of the cases it is in, so that organisers see the near misses too.
func (an *analysis) report(votes []Vote) Report {
	ix, o := an.ix, an.o
	crowds := make([]*crowd, 0, len(an.crowds))
	for _, c := range an.crowds {
		if c.score >= o.CaseScore {
			crowds = append(crowds, c)
		}
	}
	slices.SortStableFunc(crowds, func(x, y *crowd) int {
		if c := cmp.Compare(y.score, x.score); c != 0 {
			return c
		}
		return cmp.Compare(x.id(an.ix), y.id(an.ix))
	})

	score := make([]float64, len(ix.votes))
	reasonSet := make([]int32, len(ix.votes)) // index into sets; 0 is none
	sets := [][]string{nil}
	setIDs := map[string]int32{"": 0}
	merge := func(cur int32, add []string) int32 {
		rs := append(slices.Clone(sets[cur]), add...)
		slices.Sort(rs)
		rs = slices.Compact(rs)
		key := strings.Join(rs, ",")
		id, ok := setIDs[key]
		if !ok {
			id = int32(len(sets))
			setIDs[key] = id
			sets = append(sets, rs)
		}
		return id
	}

	cases := make([]Case, 0, len(crowds))
	ids := make(map[string]int)
	for _, c := range crowds {
		rs := c.reasons()
		covered := make([]int32, 0, len(c.votes))
		mark := func(v int32, s float64) {
			if s < o.CaseScore || (score[v] >= o.FlagScore && s < o.FlagScore) {
				return
			}
			score[v] = max(score[v], s)
			reasonSet[v] = merge(reasonSet[v], rs)
			covered = append(covered, v)
		}
		for _, v := range c.votes {
			i, _ := slices.BinarySearch(c.accounts, ix.votes[v].account)
			mark(v, c.member[i])
		}
		// A flagged account's other votes go with it.
		for i, a := range c.accounts {
			if c.member[i] < o.FlagScore {
				continue
			}
			for _, v := range ix.votesOf(a) {
				if !slices.Contains(c.projects, ix.votes[v].project) {
					mark(v, c.member[i])
				}
			}
		}
		cases = append(cases, an.newCase(c, covered, ids))
	}

	out := Report{Verdicts: make([]Verdict, len(votes)), Cases: cases}
	for i := range votes {
		st := StatusCounted
		if score[i] >= o.FlagScore {
			st = StatusFlagged
		}
		rs := sets[reasonSet[i]]
		if rs == nil {
			rs = []string{}
		}
		out.Verdicts[i] = Verdict{VoteID: votes[i].VoteID, Status: st, Score: score[i], Reasons: rs}
	}
	return out
}

// newCase describes a crowd for organisers, with the votes it covers and
// their accounts (the crowd's honest bystanders are left out). Its ID is
// built from its kind and what it is about, so the same finding keeps its
// ID as the ledger grows.
func (an *analysis) newCase(c *crowd, votes []int32, ids map[string]int) Case {
	ix := an.ix
	id := c.id(ix)
	ids[id]++
	if n := ids[id]; n > 1 {
		id = fmt.Sprintf("%s#%d", id, n)
	}
	vids := make([]string, len(votes))
	ts := make([]int64, len(votes))
	for i, v := range votes {
		vids[i] = ix.voteIDs[v]
		ts[i] = ix.votes[v].at
	}
	slices.Sort(vids)
	accounts := make([]int64, 0, len(votes))
	for _, v := range votes {
		accounts = append(accounts, ix.accounts[ix.votes[v].account].voter)
	}
	slices.Sort(accounts)
	accounts = slices.Compact(accounts)
	projects := make([]string, len(c.projects))
	for i, p := range c.projects {
		projects[i] = ix.projects[p]
	}
	slices.Sort(projects)
	return Case{
		ID: id, Kind: c.kind, Score: c.score, Votes: vids, Accounts: accounts, Projects: projects,
		Signals: c.signals, Summary: an.summary(c, len(accounts)), Timeline: timeline(ts),
	}
}

// id names a crowd by its kind, what its accounts share and the projects
// it fed.
func (c *crowd) id(ix *index) string {
	ps := make([]string, len(c.projects))
	for i, p := range c.projects {
		ps[i] = ix.projects[p]
	}
	slices.Sort(ps)
	return c.kind + ":" + c.subject + ":" + strings.Join(ps, "+")
}

// summary says in one sentence what the crowd is, why it scored, and how
// many of its accounts the case holds.
func (an *analysis) summary(c *crowd, held int) string {
	projects := make([]string, len(c.projects))
	for i, p := range c.projects {
		projects[i] = an.ix.projects[p]
	}
	slices.Sort(projects)
	var s string
	switch c.kind {
	case ReasonLockstep, ReasonDenseGroup:
		when := "in the same windows"
		if c.kind == ReasonDenseGroup {
			when = "over the edition"
		}
		s = fmt.Sprintf("%d accounts voted for at least %d of %s %s, %.1f times the %.1f chance gives",
			len(c.accounts), c.need, strings.Join(projects, ", "), when, c.lift, c.expected)
	default:
		var what string
		switch c.kind {
		case ReasonSharedNetwork:
			what = "behind network " + c.subject
		case ReasonSharedDevice:
			what = "on one device"
		case ReasonMailDomain:
			what = "with mail domain " + c.subject
		case ReasonSignupWave:
			what = "created in one sign-up wave"
		case ReasonVoteBurst:
			what = "voting in one burst"
		}
		s = fmt.Sprintf("%d accounts %s gave %s %d votes, %.1f times the %.1f expected", len(c.accounts), what,
			strings.Join(projects, ", "), len(c.votes), c.lift, c.expected)
	}
	var ev []string
	for _, r := range c.reasons() {
		if r != c.kind {
			ev = append(ev, strings.ReplaceAll(r, "_", " "))
		}
	}
	if len(ev) > 0 {
		s += "; evidence: " + strings.Join(ev, ", ")
	}
	return s + fmt.Sprintf("; the case holds %d of the accounts.", held)
}

// timeline counts times per hour, or per day when they span more than
// three days.
func timeline(ts []int64) []TimelinePoint {
	if len(ts) == 0 {
		return []TimelinePoint{}
	}
	ts = slices.Clone(ts)
	slices.Sort(ts)
	step := int64(3600)
	if ts[len(ts)-1]-ts[0] > 3*86400 {
		step = 86400
	}
	var out []TimelinePoint
	for _, t := range ts {
		at := t - ((t%step)+step)%step
		if n := len(out); n > 0 && out[n-1].At.Unix() == at {
			out[n-1].Votes++
			continue
		}
		out = append(out, TimelinePoint{At: unixTime(at), Votes: 1})
	}
	return out
}
