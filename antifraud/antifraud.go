// Package antifraud is the domain of fraud scoring: the signals a vote
// carries, the ingest scorer that gives every vote a status as it is cast,
// the batch analyser that finds coordinated groups in the ledger, and the
// cases and decisions organisers make about them. Like voting and prizes it
// uses the standard library only; its adapters live beside it.
//
// Nothing here ever deletes a vote or tells a voter anything: a score only
// sets the status a vote is recorded or reviewed with, and every change of
// status is a decision that a later one can reverse.
package antifraud

import "time"

// Vote is one ledger vote with the facts about its account that the
// analysis needs. It is also one line of an export (prizes fraud export),
// so the same analysis runs on the live ledger and on a file: times are RFC
// 3339, Network is the client's /24 (a.b.c.0/24) or IPv6 /48, and of the
// account's email only the domain is kept.
type Vote struct {
	VoteID           string    `json:"vote_id"`
	VoterID          int64     `json:"voter_id"`
	ProjectID        string    `json:"project_id"`
	Category         string    `json:"category"`
	CastAt           time.Time `json:"cast_at"`
	Network          string    `json:"network"`
	UserAgent        string    `json:"user_agent"`
	DeviceHint       string    `json:"device_hint"`
	EmailDomain      string    `json:"email_domain"`
	AccountCreatedAt time.Time `json:"account_created_at"`
}

// The statuses the analyser recommends for a vote. An organiser's decision
// turns a flagged vote into an invalidated one, or clears it.
const (
	StatusCounted = "counted"
	StatusFlagged = "flagged"
)

// Verdict is the analyser's recommendation for one vote: one line of
// prizes fraud analyze's output. Score is in [0,1]; Reasons are reason
// codes, sorted, empty for a vote with no finding.
type Verdict struct {
	VoteID  string   `json:"vote_id"`
	Status  string   `json:"status"`
	Score   float64  `json:"score"`
	Reasons []string `json:"reasons"`
}

// Label is one line of the labels file that comes with generated traffic:
// which attack or honest crowd a vote belongs to. Honest is false for an
// attack's votes. Labels never reach the analyser; they judge it.
type Label struct {
	VoteID string `json:"vote_id"`
	Label  string `json:"label"`
	Honest bool   `json:"honest"`
}

// Case is one finding of the analyser: a group of votes that look
// coordinated, why (Kind, a reason code, and the signals behind it), and
// when they were cast. Organisers review cases and decide on them.
type Case struct {
	// ID is stable for the same finding across runs of the analyser on a
	// growing ledger: derived from its kind and what it is about (a
	// project, a network, a device), not from a counter.
	ID       string             `json:"id"`
	Kind     string             `json:"kind"`
	Score    float64            `json:"score"`
	Votes    []string           `json:"votes"`
	Accounts []int64            `json:"accounts"`
	Projects []string           `json:"projects"`
	Signals  map[string]float64 `json:"signals"`
	// Summary says in one sentence, for an organiser, what was found.
	Summary  string          `json:"summary"`
	Timeline []TimelinePoint `json:"timeline"`
}

// TimelinePoint is how many of a case's votes were cast in one interval
// starting at At.
type TimelinePoint struct {
	At    time.Time `json:"at"`
	Votes int       `json:"votes"`
}

// Report is what one run of the analyser finds: a verdict for every vote it
// was given, in input order, and the cases behind the flagged ones.
type Report struct {
	Verdicts []Verdict
	Cases    []Case
}
