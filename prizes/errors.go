package prizes

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/wsisvote/prizes/voting"
)

// The prize lifecycle's error vocabulary. It extends the voting vocabulary,
// which it reuses where the meaning is the same (voting.ErrUnknownEdition,
// ErrUnknownProject, ErrInvalid, ErrUnauthenticated, ErrUnavailable). Adapters
// translate driver errors into these; the API maps each one to an HTTP status
// and a stable code in its one table. Wrap them with %w and name the operation.
var (
	// ErrWrongPhase means the edition is not in a phase that allows the
	// operation. The error is a *PhaseError, which names the current phase.
	ErrWrongPhase = errors.New("wrong phase")
	// ErrEditionExists means an edition with the given id already exists.
	ErrEditionExists = errors.New("edition exists")
	// ErrUnknownCategory means the edition has no category with the given code.
	ErrUnknownCategory = errors.New("unknown category")
	// ErrDuplicateEntry means the organisation already has an entry in the
	// category.
	ErrDuplicateEntry = errors.New("organisation already has an entry in this category")
	// ErrCapReached means nominating would put a category over its cap.
	ErrCapReached = errors.New("nomination cap reached")
	// ErrTieUnresolved means a tie at a cut needs an organiser decision. The
	// error is a *TieError, which lists the ties.
	ErrTieUnresolved = errors.New("tie unresolved")
	// ErrNotReady means a phase cannot close yet: scores are missing, votes
	// are still on their way to the ledger, and the like.
	ErrNotReady = errors.New("not ready")
	// ErrNotAssigned means the juror is not assigned to the category (or to the
	// project's category); it is answered like a missing resource.
	ErrNotAssigned = errors.New("not assigned")
	// ErrConflictOfInterest means the juror declared a conflict with the project.
	ErrConflictOfInterest = errors.New("conflict of interest")
	// ErrFinal means the thing is final: a submitted scorecard, a reviewed or
	// withdrawn entry.
	ErrFinal = errors.New("can no longer change")
	// ErrNotPublished means the edition's results are not published yet.
	ErrNotPublished = errors.New("results not published")
	// ErrBadSignature means a signed results document does not verify.
	ErrBadSignature = errors.New("signature does not verify")
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

// Is makes a *PhaseError match ErrWrongPhase.
func (e *PhaseError) Is(target error) bool { return target == ErrWrongPhase }

// FieldErrors maps a field name to what is wrong with it. It matches
// voting.ErrInvalid, so a caller that only knows the voting vocabulary still
// answers it as a bad request.
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

// Is makes FieldErrors match voting.ErrInvalid.
func (f FieldErrors) Is(target error) bool { return target == voting.ErrInvalid }

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

// Is makes a *TieError match ErrTieUnresolved.
func (e *TieError) Is(target error) bool { return target == ErrTieUnresolved }
