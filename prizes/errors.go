package prizes

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/voting"
)

// The prize lifecycle's own errors, on the project's kinds (see
// internal/kind). Errors whose meaning the vote path already names are the
// vote path's (voting.ErrUnknownEdition, voting.ErrUnknownCategory,
// ErrUnknownProject) or the kinds' own (kind.ErrInvalid, ...). Adapters
// translate driver errors into these; wrap them with %w and name the
// operation.
var (
	// ErrWrongPhase means the edition is not in a phase that allows the
	// operation. The error is a *PhaseError, which names the current phase.
	ErrWrongPhase = kind.New(kind.Conflict, "wrong_phase", "the edition is not in a phase that allows this")
	// ErrEditionExists means an edition with the given id already exists.
	ErrEditionExists = kind.New(kind.Conflict, "edition_exists", "an edition with this id exists")
	// ErrDuplicateEntry means the organisation already has an entry in the
	// category.
	ErrDuplicateEntry = kind.New(kind.Conflict, "duplicate_entry", "this organisation already has an entry in this category")
	// ErrCapReached means nominating would put a category over its cap.
	ErrCapReached = kind.New(kind.Conflict, "nomination_cap", "the category's nomination cap is reached")
	// ErrTieUnresolved means a tie at a cut needs an organiser decision. The
	// error is a *TieError, which lists the ties.
	ErrTieUnresolved = kind.New(kind.Conflict, "tie_unresolved", "a tie at a cut needs an organiser decision")
	// ErrNotReady means a phase cannot close yet: scores are missing, votes
	// are still on their way to the ledger, and the like.
	ErrNotReady = kind.New(kind.Conflict, "not_ready", "the phase cannot close yet")
	// ErrNotAssigned means the juror is not assigned to the category (or to
	// the project's category); it is answered like a missing resource.
	ErrNotAssigned = kind.New(kind.NotFound, "not_assigned", "this is not on your jury panel")
	// ErrConflictOfInterest means the juror declared a conflict with the
	// project.
	ErrConflictOfInterest = kind.New(kind.Forbidden, "conflict_of_interest", "you declared a conflict of interest with this project")
	// ErrFinal means the thing is final: a submitted scorecard, a reviewed or
	// withdrawn entry.
	ErrFinal = kind.New(kind.Conflict, "final", "this can no longer change")
	// ErrNotPublished means the edition's results are not published yet.
	ErrNotPublished = kind.New(kind.NotFound, "not_published", "the results of this edition are not published yet")
	// ErrBadSignature means a signed results document does not verify.
	ErrBadSignature = kind.New(kind.Internal, "bad_signature", "signature does not verify")
)

// PhaseError is a refusal because of the edition's phase. It matches
// ErrWrongPhase.
type PhaseError struct {
	Edition string
	Phase   voting.Phase
	Allowed []voting.Phase
}

func (e *PhaseError) Error() string {
	allowed := make([]string, len(e.Allowed))
	for i, p := range e.Allowed {
		allowed[i] = string(p)
	}
	if len(allowed) == 0 {
		return fmt.Sprintf("edition %s is in phase %s, where this is never allowed", e.Edition, e.Phase)
	}
	return fmt.Sprintf("edition %s is in phase %s; this is allowed in phase %s only", e.Edition, e.Phase, strings.Join(allowed, ", "))
}

// Unwrap makes a *PhaseError match ErrWrongPhase.
func (e *PhaseError) Unwrap() error { return ErrWrongPhase }

// FieldErrors maps a field name to what is wrong with it. It matches
// kind.ErrInvalid.
type FieldErrors map[string]string

func (f FieldErrors) Error() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + f[k]
	}
	return "invalid fields: " + strings.Join(parts, "; ")
}

// Unwrap makes FieldErrors match kind.ErrInvalid.
func (f FieldErrors) Unwrap() error { return kind.ErrInvalid }

// Err returns f as an error, or nil when no field is wrong.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return f
}

// Tie is one tie at a cut that the edition's tie-break chain left open.
type Tie struct {
	Stage    Stage    `json:"stage"`
	Category string   `json:"category"`
	Projects []string `json:"projects"`
}

// TieError lists the ties that need an organiser decision. It matches
// ErrTieUnresolved.
type TieError struct {
	Ties []Tie
}

func (e *TieError) Error() string {
	parts := make([]string, len(e.Ties))
	for i, t := range e.Ties {
		parts[i] = fmt.Sprintf("category %s: projects %s tie at the %s cut", t.Category, strings.Join(t.Projects, ", "), t.Stage.cutName())
	}
	return strings.Join(parts, "; ") + "; an organiser decision is needed"
}

// Unwrap makes a *TieError match ErrTieUnresolved.
func (e *TieError) Unwrap() error { return ErrTieUnresolved }
