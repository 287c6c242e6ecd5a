package fraudlive

import (
	"fmt"

	"github.com/wsisvote/prizes/antifraud"
)

// LedgerVote is what the judge reads of a ledger vote: who cast it for
// what, and the status and reasons the ingest scorer recorded.
type LedgerVote struct {
	ID        string
	VoterID   int64
	ProjectID string
	Category  string
	Status    string
	Reasons   []string
}

// Matcher maps ledger votes back to the generated votes they were sent
// for. Vote ids differ (the ledger gives its own) and so do voter ids (the
// database gives its own), but a voter casts at most one vote per
// category, so the account and the category find the generated vote, and
// the project must then agree.
type Matcher struct {
	account  map[int64]int64 // ledger voter id -> generated voter id
	byBallot map[ballot]int  // generated voter and category -> vote index
	votes    []antifraud.Vote
	matched  []bool
}

type ballot struct {
	voter    int64
	category string
}

// NewMatcher returns a matcher for the generated votes and accounts, which
// maps each ledger voter id to the generated voter id it was created for.
// Two generated votes of one voter in one category are an error: the
// ledger could not hold both.
func NewMatcher(votes []antifraud.Vote, accounts map[int64]int64) (*Matcher, error) {
	m := &Matcher{account: accounts, byBallot: make(map[ballot]int, len(votes)), votes: votes, matched: make([]bool, len(votes))}
	for i, v := range votes {
		k := ballot{v.VoterID, v.Category}
		if j, ok := m.byBallot[k]; ok {
			return nil, fmt.Errorf("match: votes %s and %s are both voter %d's in %s", votes[j].VoteID, v.VoteID, v.VoterID, v.Category)
		}
		m.byBallot[k] = i
	}
	return m, nil
}

// Match returns the index of the generated vote l was sent for. A ledger
// vote of an unknown voter, of a ballot no generated vote has, for another
// project than the generated vote's, or for a generated vote matched
// before is an error.
func (m *Matcher) Match(l LedgerVote) (int, error) {
	gen, ok := m.account[l.VoterID]
	if !ok {
		return -1, fmt.Errorf("match: ledger vote %s is voter %d's, an account the play did not create", l.ID, l.VoterID)
	}
	i, ok := m.byBallot[ballot{gen, l.Category}]
	if !ok {
		return -1, fmt.Errorf("match: ledger vote %s: generated voter %d cast no vote in %s", l.ID, gen, l.Category)
	}
	if g := m.votes[i]; g.ProjectID != l.ProjectID {
		return -1, fmt.Errorf("match: ledger vote %s is for %s; generated vote %s for %s", l.ID, l.ProjectID, g.VoteID, g.ProjectID)
	}
	if m.matched[i] {
		return -1, fmt.Errorf("match: ledger vote %s: generated vote %s is in the ledger twice", l.ID, m.votes[i].VoteID)
	}
	m.matched[i] = true
	return i, nil
}

// Unmatched returns the indexes of the generated votes no ledger vote was
// matched to.
func (m *Matcher) Unmatched() []int {
	var out []int
	for i, ok := range m.matched {
		if !ok {
			out = append(out, i)
		}
	}
	return out
}
