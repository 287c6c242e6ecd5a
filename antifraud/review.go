package antifraud

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
)

// Review errors, on the project's kinds (see internal/kind). Stores wrap
// them with the operation. A malformed decision is prizes.FieldErrors,
// a decision outside the phases that allow it a *prizes.PhaseError.
var (
	// ErrUnknownCase means the edition has no case with the given id.
	ErrUnknownCase = kind.New(kind.NotFound, "unknown_case", "this edition has no fraud case with this id")
	// ErrSameDecision means the case already stands as the decision asks:
	// invalidating an invalidated case, clearing a cleared one.
	ErrSameDecision = kind.New(kind.Conflict, "already_decided", "the case already stands as this decision asks")
)

// CaseState is where a case stands in review: open until an organiser
// decides, then the state of the latest decision.
type CaseState string

// The states of a case.
const (
	CaseOpen        CaseState = "open"
	CaseInvalidated CaseState = "invalidated"
	CaseCleared     CaseState = "cleared"
)

// The decisions an organiser makes on a case. Invalidate takes its votes
// out of the count; clear puts them back as they were recorded. Either may
// follow the other: every change is reversible and on record.
const (
	DecisionInvalidate = "invalidate"
	DecisionClear      = "clear"
)

// StateAfter returns the state a case has after decision d.
func StateAfter(d string) CaseState {
	if d == DecisionInvalidate {
		return CaseInvalidated
	}
	return CaseCleared
}

// maxReason bounds the reason of a decision, which the audit log keeps.
const maxReason = 2000

// DecisionRequest is what an organiser asks of a case.
type DecisionRequest struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// Check validates r: a known decision and a reason of 1 to 2000
// characters, which is recorded with it.
func (r DecisionRequest) Check() error {
	f := prizes.FieldErrors{}
	if r.Decision != DecisionInvalidate && r.Decision != DecisionClear {
		f["decision"] = `must be "invalidate" or "clear"`
	}
	if s := strings.TrimSpace(r.Reason); s == "" || utf8.RuneCountInString(s) > maxReason {
		f["reason"] = fmt.Sprintf("must be 1 to %d characters: the decision is recorded with it", maxReason)
	}
	return f.Err()
}

// Decision is one recorded decision on a case.
type Decision struct {
	ID        int64     `json:"id"`
	Case      string    `json:"case_id"`
	Decision  string    `json:"decision"`
	Reason    string    `json:"reason"`
	DecidedBy int64     `json:"decided_by"`
	DecidedAt time.Time `json:"decided_at"`
	// Votes is how many votes changed status.
	Votes int `json:"votes"`
	// Deltas is how far the decision moved each project's count of votes
	// that count: negative for an invalidation, positive for a clearing.
	Deltas map[string]int64 `json:"deltas"`
	// TallyPending is set when the live tally could not be adjusted after
	// the decision was recorded; it is adjusted by a later attempt (see
	// LiveTally). The recorded decision and the ledger are not affected.
	TallyPending bool `json:"live_tally_pending,omitempty"`
}

// CaseFile is a stored case with where it stands in review.
type CaseFile struct {
	Case
	Edition   string    `json:"edition"`
	State     CaseState `json:"state"`
	FoundAt   time.Time `json:"found_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Statuses counts the case's votes by their status in the ledger.
	Statuses map[string]int64 `json:"statuses"`
	// Decisions are the case's decisions, oldest first (in a single case's
	// view only).
	Decisions []Decision `json:"decisions,omitempty"`
	// Evidence is the case's votes with their account facts, in cast
	// order, at most MaxEvidence of them (in a single case's view only).
	Evidence []EvidenceVote `json:"evidence,omitempty"`
}

// MaxEvidence is the most votes a case's view lists; Statuses counts them
// all.
const MaxEvidence = 10000

// EvidenceVote is one vote of a case as an organiser reviews it: an export
// line with the vote's status and reasons in the ledger.
type EvidenceVote struct {
	Vote
	Status  string   `json:"status"`
	Reasons []string `json:"reasons"`
}

// ProjectReview is one project's votes that count and votes invalidated by
// review. A project whose support is mostly invalidated is flagged for an
// organiser's disqualification decision (prizes.MostlyInvalidated).
type ProjectReview struct {
	ProjectID   string `json:"project_id"`
	Category    string `json:"category"`
	Counted     int64  `json:"counted"`
	Invalidated int64  `json:"invalidated"`
	// Reasons counts the invalidated votes by reason code; a vote with
	// several reasons counts under each.
	Reasons                map[string]int64 `json:"reasons"`
	DisqualificationReview bool             `json:"disqualification_review"`
}

// CaseList is the organisers' view of an edition's review: every case, and
// every project with invalidated votes.
type CaseList struct {
	Edition  string          `json:"edition"`
	Cases    []CaseFile      `json:"cases"`
	Projects []ProjectReview `json:"projects"`
}

// Stored is what storing an analysis changed.
type Stored struct {
	// New and Updated count the cases added and the open cases whose
	// findings changed; cases already decided are left as they are.
	New     int `json:"new"`
	Updated int `json:"updated"`
	Decided int `json:"decided"`
	// Flagged counts the votes moved from counted to flagged.
	Flagged int `json:"flagged"`
	// Unknown counts vote ids of the report that the edition's ledger does
	// not hold (an analysis of another ledger, or of an altered export).
	Unknown int `json:"unknown"`
}

// LiveTally adjusts the live counters that are a view of the ledger, so that
// a decision's effect shows in the live tally as it does in the ledger.
type LiveTally interface {
	// AdjustTally adds each delta to its project's live count in edition.
	// It is idempotent under key: a second call with the same key changes
	// nothing. It returns an error wrapping kind.ErrUnavailable when the
	// counters cannot be reached, and then may or may not have applied the
	// deltas (a later call with the same key settles it).
	AdjustTally(ctx context.Context, edition, key string, deltas map[string]int64) error
}
