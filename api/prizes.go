package api

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/transparency"
	"github.com/wsisvote/prizes/voting"
)

// EditionStore keeps editions and their phases. Every method returns
// voting.ErrUnknownEdition for an edition that does not exist and
// kind.ErrUnavailable when the store cannot be reached; changes return a
// *prizes.PhaseError (prizes.ErrWrongPhase) in a phase that does not allow
// them, and change nothing when they fail.
type EditionStore interface {
	// CreateEdition creates an edition in draft. It returns
	// prizes.FieldErrors and prizes.ErrEditionExists.
	CreateEdition(ctx context.Context, actor prizes.Actor, n prizes.NewEdition) (prizes.Edition, error)
	Edition(ctx context.Context, id string) (prizes.Edition, error)
	Editions(ctx context.Context) ([]prizes.Edition, error)
	// UpdateRules applies a JSON object of settings until voting opens. It
	// returns prizes.FieldErrors and kind.ErrInvalid.
	UpdateRules(ctx context.Context, actor prizes.Actor, edition string, patch []byte) (prizes.Edition, error)
	// SetSchedule replaces the phase windows; a window that would close the
	// running phase at once needs closeNow. It returns prizes.FieldErrors.
	SetSchedule(ctx context.Context, actor prizes.Actor, edition string, s prizes.Schedule, closeNow bool) (prizes.Edition, error)
	// Advance moves the edition to its next phase, to. It returns
	// prizes.FieldErrors, prizes.ErrNotReady and a *prizes.TieError.
	Advance(ctx context.Context, actor prizes.Actor, edition string, to voting.Phase) (prizes.Edition, error)
}

// SubmissionStore keeps the owners' entries. Besides the EditionStore
// errors, an entry that is not the actor's is voting.ErrUnknownProject, as
// a missing one is.
type SubmissionStore interface {
	// CreateSubmission creates a draft. It returns prizes.FieldErrors and
	// prizes.ErrDuplicateEntry.
	CreateSubmission(ctx context.Context, actor prizes.Actor, edition string, e prizes.Entry) (prizes.Submission, error)
	// UpdateSubmission replaces a draft's or submitted entry's content. It
	// returns prizes.FieldErrors, prizes.ErrDuplicateEntry and prizes.ErrFinal.
	UpdateSubmission(ctx context.Context, actor prizes.Actor, edition, id string, e prizes.Entry) (prizes.Submission, error)
	// SubmitSubmission submits a complete draft. It returns
	// prizes.FieldErrors and prizes.ErrFinal.
	SubmitSubmission(ctx context.Context, actor prizes.Actor, edition, id string) (prizes.Submission, error)
	// WithdrawSubmission withdraws an unreviewed entry. It returns prizes.ErrFinal.
	WithdrawSubmission(ctx context.Context, actor prizes.Actor, edition, id string) (prizes.Submission, error)
	Submission(ctx context.Context, actor prizes.Actor, edition, id string) (prizes.Submission, error)
	Submissions(ctx context.Context, actor prizes.Actor, edition string) ([]prizes.Submission, error)
}

// ReviewStore is the organisers' review, with the EditionStore errors.
type ReviewStore interface {
	// ReviewQueue lists a category's reviewable entries. It returns
	// voting.ErrUnknownCategory.
	ReviewQueue(ctx context.Context, edition, category string) (prizes.ReviewQueue, error)
	// Review applies decisions, all or none. It returns
	// prizes.FieldErrors, voting.ErrUnknownProject and prizes.ErrCapReached.
	Review(ctx context.Context, actor prizes.Actor, edition string, ds []prizes.ReviewDecision) ([]prizes.Submission, error)
}

// ChampionStore gives the Champion result, with the EditionStore errors.
type ChampionStore interface {
	// PreviewChampions ranks the nominees by the ledger while counting.
	PreviewChampions(ctx context.Context, edition string) (prizes.ChampionsPreview, error)
	// Champions returns the result chosen when counting closed.
	Champions(ctx context.Context, edition string) ([]prizes.CategoryChampions, error)
	// DecideTie records an organiser's order for tied projects. It returns
	// prizes.FieldErrors.
	DecideTie(ctx context.Context, actor prizes.Actor, edition string, d prizes.TieDecision) (prizes.TieDecision, error)
}

// JuryStore keeps the jury's panels, conflicts and scores, with the
// EditionStore errors. A project outside the juror's panel is
// prizes.ErrNotAssigned.
type JuryStore interface {
	// Assign returns prizes.FieldErrors for an unknown category or account.
	Assign(ctx context.Context, actor prizes.Actor, edition string, juror int64, category string) error
	// Unassign returns prizes.ErrNotAssigned when there is no such assignment.
	Unassign(ctx context.Context, actor prizes.Actor, edition string, juror int64, category string) error
	Assignments(ctx context.Context, edition string) ([]prizes.Assignment, error)
	JurorView(ctx context.Context, actor prizes.Actor, edition string) (prizes.JurorView, error)
	// DeclareConflict returns the conflict as stored and whether this call
	// created it; declaring it again returns the first declaration. It
	// returns prizes.FieldErrors without a reason.
	DeclareConflict(ctx context.Context, actor prizes.Actor, edition, project, reason string) (prizes.Conflict, bool, error)
	// SaveScores returns prizes.FieldErrors, prizes.ErrConflictOfInterest
	// and prizes.ErrFinal.
	SaveScores(ctx context.Context, actor prizes.Actor, edition, project string, d prizes.ScoreDraft) (prizes.Scorecard, error)
	// SubmitScores returns prizes.FieldErrors, prizes.ErrConflictOfInterest
	// and prizes.ErrFinal.
	SubmitScores(ctx context.Context, actor prizes.Actor, edition, project string) (prizes.Scorecard, error)
	JuryReport(ctx context.Context, edition string) (prizes.JuryReport, error)
}

// ResultStore gives published results.
type ResultStore interface {
	// Results returns the signed results; prizes.ErrNotPublished before
	// publication, voting.ErrUnknownEdition, kind.ErrUnavailable.
	Results(ctx context.Context, edition string) (prizes.SignedResults, error)
}

// LedgerFileStore writes a published edition's anonymised ledger file.
type LedgerFileStore interface {
	// WriteLedger writes the file to w (transparency.Line per vote). It
	// returns prizes.ErrNotPublished before publication,
	// transparency.ErrNoCheckpoint for an edition run without the log,
	// voting.ErrUnknownEdition and kind.ErrUnavailable.
	WriteLedger(ctx context.Context, edition string, w io.Writer) error
}

// TransparencyLog serves the vote log's checkpoints and proofs
// (transparency.Log is one).
type TransparencyLog interface {
	// Checkpoint returns the checkpoint of that size, or the latest when
	// size is 0; transparency.ErrNoCheckpoint when there is none.
	Checkpoint(ctx context.Context, edition string, size uint64) (transparency.Checkpoint, error)
	// Inclusion proves a vote is in the log at a checkpoint (the latest when
	// size is 0). It returns transparency.ErrUnknownVote,
	// transparency.ErrNoCheckpoint and kind.ErrUnavailable.
	Inclusion(ctx context.Context, edition, voteID string, size uint64) (transparency.InclusionProof, error)
	// Consistency proves the log at checkpoint to extends the log at
	// checkpoint from. It returns transparency.ErrBadRange,
	// transparency.ErrNoCheckpoint and kind.ErrUnavailable.
	Consistency(ctx context.Context, edition string, from, to uint64) (transparency.ConsistencyProof, error)
}

// AuditStore reads the audit log.
type AuditStore interface {
	// AuditLog returns up to limit entries after sequence number after. It
	// returns voting.ErrUnknownEdition and kind.ErrUnavailable.
	AuditLog(ctx context.Context, edition string, after int64, limit int) ([]prizes.AuditEntry, error)
	// VerifyAudit checks the whole chain. It returns
	// voting.ErrUnknownEdition and kind.ErrUnavailable.
	VerifyAudit(ctx context.Context, edition string) (prizes.AuditReport, error)
}

// PrizesConfig holds the dependencies of the prize lifecycle routes
// (editions, submissions, review, Champions, jury, results, audit, fraud
// review). A nil store leaves its routes out; prizes/postgres.Store is all
// of them but Fraud.
type PrizesConfig struct {
	Editions    EditionStore
	Submissions SubmissionStore
	Review      ReviewStore
	Champions   ChampionStore
	Jury        JuryStore
	Results     ResultStore
	// Ledger serves the anonymised ledger file of published editions.
	Ledger LedgerFileStore
	// Log serves the transparency log's checkpoints and proofs.
	Log   TransparencyLog
	Audit AuditStore
	// Fraud serves fraud review (antifraud/postgres.Store is one).
	Fraud FraudStore
	// Activity serves the organisers' live dashboard.
	Activity ActivityStore
	// Invitations serves invitations to the organiser and juror roles.
	Invitations InvitationStore
	// Files serves entries' logos and attachments, and the organisers'
	// exports of entries with their files.
	Files *prizes.Files
}

// lifecycle serves the prize lifecycle routes.
type lifecycle struct {
	*server
	cfg PrizesConfig
}

// prizesRoutes registers the prize lifecycle routes on v1. Which phase each
// route is allowed in is the stores' rule (prizes.Action.Phases); which role
// may call it is the policy here.
func (s *server) prizesRoutes(v1 *gin.RouterGroup, cfg PrizesConfig) {
	l := &lifecycle{server: s, cfg: cfg}
	organiser := Policy{Roles: []string{RoleOrganiser}}
	owner := Policy{Roles: []string{RoleOwner}}
	juror := Policy{Roles: []string{RoleJuror}}
	public := Policy{Public: true}
	const e = "/editions/:edition"
	if cfg.Editions != nil {
		s.handle(v1, http.MethodGet, "/editions", public, l.listEditions)
		s.handle(v1, http.MethodPost, "/editions", organiser, l.createEdition)
		s.handle(v1, http.MethodGet, e, public, l.getEdition)
		s.handle(v1, http.MethodPatch, e+"/rules", organiser, l.updateRules)
		s.handle(v1, http.MethodPut, e+"/schedule", organiser, l.setSchedule)
		s.handle(v1, http.MethodPost, e+"/phase", organiser, l.advance)
	}
	if cfg.Submissions != nil {
		s.handle(v1, http.MethodGet, e+"/submissions", owner, l.listSubmissions)
		s.handle(v1, http.MethodPost, e+"/submissions", owner, l.createSubmission)
		s.handle(v1, http.MethodGet, e+"/submissions/:id", owner, l.getSubmission)
		s.handle(v1, http.MethodPut, e+"/submissions/:id", owner, l.updateSubmission)
		s.handle(v1, http.MethodPost, e+"/submissions/:id/submit", owner, l.submitSubmission)
		s.handle(v1, http.MethodPost, e+"/submissions/:id/withdraw", owner, l.withdrawSubmission)
	}
	if cfg.Review != nil {
		s.handle(v1, http.MethodGet, e+"/review", organiser, l.reviewQueue)
		s.handle(v1, http.MethodPost, e+"/review", organiser, l.review)
	}
	if cfg.Champions != nil {
		s.handle(v1, http.MethodGet, e+"/champions", public, l.champions)
		s.handle(v1, http.MethodGet, e+"/champions/preview", organiser, l.previewChampions)
		s.handle(v1, http.MethodPost, e+"/ties", organiser, l.decideTie)
	}
	if cfg.Jury != nil {
		s.handle(v1, http.MethodGet, e+"/jury/assignments", organiser, l.assignments)
		s.handle(v1, http.MethodPut, e+"/jury/assignments", organiser, l.assign)
		s.handle(v1, http.MethodDelete, e+"/jury/assignments/:juror/:category", organiser, l.unassign)
		s.handle(v1, http.MethodGet, e+"/jury/report", organiser, l.juryReport)
		s.handle(v1, http.MethodGet, e+"/jury/me", juror, l.jurorView)
		s.handle(v1, http.MethodPost, e+"/jury/conflicts", juror, l.declareConflict)
		s.handle(v1, http.MethodPut, e+"/jury/scores/:project", juror, l.saveScores)
		s.handle(v1, http.MethodPost, e+"/jury/scores/:project/submit", juror, l.submitScores)
	}
	if cfg.Results != nil {
		s.handle(v1, http.MethodGet, e+"/results", public, l.results)
		s.handle(v1, http.MethodGet, e+"/results.csv", public, l.resultsCSV)
	}
	if cfg.Ledger != nil {
		s.handle(v1, http.MethodGet, e+"/ledger.jsonl", public, l.ledgerFile)
	}
	if cfg.Log != nil {
		s.handle(v1, http.MethodGet, e+"/log/checkpoint", public, l.checkpoint)
		s.handle(v1, http.MethodGet, e+"/log/proof/inclusion", public, l.inclusionProof)
		s.handle(v1, http.MethodGet, e+"/log/proof/consistency", public, l.consistencyProof)
	}
	if cfg.Audit != nil {
		s.handle(v1, http.MethodGet, e+"/audit", organiser, l.auditLog)
		s.handle(v1, http.MethodGet, e+"/audit/verify", organiser, l.verifyAudit)
	}
	if cfg.Fraud != nil {
		l.fraudRoutes(v1, organiser)
	}
	if cfg.Activity != nil && cfg.Editions != nil {
		s.handle(v1, http.MethodGet, e+"/activity", organiser, l.activity)
	}
	if cfg.Invitations != nil {
		l.invitationRoutes(v1, organiser)
	}
	if cfg.Files != nil {
		l.fileRoutes(v1, owner, organiser, public)
	}
}

// actorOf returns the caller of a role route as the domain knows it: the
// token's subject is the account id in decimal, and the role is the one of
// the route's roles the token carries, which is what the audit log records.
func (l *lifecycle) actorOf(c *gin.Context) (prizes.Actor, error) {
	claims := claimsOf(c)
	id, ok := claims.AccountID()
	if !ok {
		return prizes.Actor{}, fmt.Errorf("token subject %q is not an account id: %w", claims.Subject, kind.ErrUnauthenticated)
	}
	role := claims.Role
	for _, r := range l.policies[c.Request.Method+" "+c.FullPath()].Roles {
		if hasRole(claims, r) {
			role = r
			break
		}
	}
	return prizes.Actor{ID: id, Role: role}, nil
}

// maxLifecycleBody bounds the body of a lifecycle request; the largest is a
// bulk review of a category or two.
const maxLifecycleBody = 256 << 10

// act runs a role route's work with its actor, answering the error or the
// value. status is the success status.
func act[T any](l *lifecycle, c *gin.Context, status int, fn func(ctx context.Context, a prizes.Actor) (T, error), render func(T) any) {
	a, err := l.actorOf(c)
	if err != nil {
		l.fail(c, err)
		return
	}
	v, err := fn(c.Request.Context(), a)
	if err != nil {
		l.fail(c, err)
		return
	}
	c.JSON(status, render(v))
}
