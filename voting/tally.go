package voting

import "time"

// Tally is one ballot project's counted votes as the ledger gives them, with
// the facts that break ties at the Champion cut.
type Tally struct {
	ProjectID string
	Category  string
	// Votes is the number of votes whose status counts.
	Votes int64
	// VoterCountries is how many distinct countries (of the voters'
	// accounts, where known) those votes come from.
	VoterCountries int64
	// FinalCountAt is when the last of those votes was cast: when the
	// project reached its final count. Zero without votes.
	FinalCountAt time.Time
}

// Invalidation is how many of a project's votes are invalidated, and how
// many of those carry each reason code (a vote with several reasons counts
// under each; one with none under the code the caller chose for it).
type Invalidation struct {
	ProjectID string
	Votes     int64
	Reasons   map[string]int64
}
