package prizes

import (
	"slices"

	"github.com/wsisvote/prizes/voting"
)

// Phases lists an edition's phases in order.
func Phases() []voting.Phase {
	return []voting.Phase{
		voting.PhaseDraft, voting.PhaseSubmission, voting.PhaseReview, voting.PhaseVoting,
		voting.PhaseCounting, voting.PhaseJury, voting.PhasePublished,
	}
}

// NextPhase returns the phase after p; there is none after published.
func NextPhase(p voting.Phase) (voting.Phase, bool) {
	all := Phases()
	i := slices.Index(all, p)
	if i < 0 || i == len(all)-1 {
		return "", false
	}
	return all[i+1], true
}

// ValidPhase reports whether p is one of the phases.
func ValidPhase(p voting.Phase) bool { return slices.Contains(Phases(), p) }

// after reports whether phase p comes at or after q.
func atOrAfter(p, q voting.Phase) bool {
	return slices.Index(Phases(), p) >= slices.Index(Phases(), q)
}

// Action is an operation of the lifecycle. Each one is allowed in some phases
// only, and organiser and juror actions are written to the audit log under
// their name.
type Action string

// The lifecycle's actions.
const (
	ActionCreateEdition   Action = "edition.create"
	ActionUpdateRules     Action = "edition.rules"
	ActionSetSchedule     Action = "edition.schedule"
	ActionAdvance         Action = "edition.advance"
	ActionCreateEntry     Action = "entry.create"
	ActionEditEntry       Action = "entry.edit"
	ActionSubmitEntry     Action = "entry.submit"
	ActionWithdrawEntry   Action = "entry.withdraw"
	ActionReviewQueue     Action = "review.queue"
	ActionReview          Action = "review.decide"
	ActionPreviewChampion Action = "champions.preview"
	ActionReadChampions   Action = "champions.read"
	ActionDecideTie       Action = "tie.decide"
	ActionAssignJuror     Action = "jury.assign"
	ActionUnassignJuror   Action = "jury.unassign"
	ActionDeclareConflict Action = "jury.conflict"
	ActionSaveScores      Action = "jury.scores.save"
	ActionSubmitScores    Action = "jury.scores.submit"
	ActionJuryReport      Action = "jury.report"
	ActionFraudAnalyze    Action = "fraud.analyze"
	ActionFraudDecide     Action = "fraud.decide"

	// ActionFreezeRules freezes the rules of an edition seeded straight
	// into voting or later, which never opened voting; an organiser's
	// freeze is part of ActionAdvance.
	ActionFreezeRules Action = "edition.rules.freeze"
)

// Phases returns the phases in which a is allowed. Advancing is allowed in
// every phase but the last; which phase it may go to is NextPhase's answer.
func (a Action) Phases() []voting.Phase {
	const (
		draft, submission, review = voting.PhaseDraft, voting.PhaseSubmission, voting.PhaseReview
		vote, counting, jury      = voting.PhaseVoting, voting.PhaseCounting, voting.PhaseJury
	)
	switch a {
	case ActionCreateEdition:
		return nil
	case ActionFreezeRules:
		return []voting.Phase{vote, counting, jury, voting.PhasePublished}
	case ActionUpdateRules:
		// The rules freeze when voting opens.
		return []voting.Phase{draft, submission, review}
	case ActionSetSchedule, ActionAdvance, ActionAssignJuror, ActionInvite, ActionGrantRole:
		return []voting.Phase{draft, submission, review, vote, counting, jury}
	case ActionRevokeInvite:
		return []voting.Phase{draft, submission, review, vote, counting, jury, voting.PhasePublished}
	case ActionCreateEntry, ActionEditEntry, ActionSubmitEntry:
		return []voting.Phase{submission}
	case ActionWithdrawEntry:
		// An owner may pull an entry until it has been reviewed.
		return []voting.Phase{submission, review}
	case ActionReviewQueue:
		return []voting.Phase{submission, review}
	case ActionReview:
		return []voting.Phase{review}
	case ActionPreviewChampion:
		return []voting.Phase{counting}
	case ActionReadChampions:
		return []voting.Phase{jury, voting.PhasePublished}
	case ActionDecideTie:
		// Champion ties are decided while counting, Winner ties during the
		// jury phase; Stage.Phase says which.
		return []voting.Phase{counting, jury}
	case ActionUnassignJuror:
		// Once scoring has started a juror's assignment is part of the record.
		return []voting.Phase{draft, submission, review, vote, counting}
	case ActionDeclareConflict:
		return []voting.Phase{vote, counting, jury}
	case ActionSaveScores, ActionSubmitScores:
		return []voting.Phase{jury}
	case ActionJuryReport:
		return []voting.Phase{jury, voting.PhasePublished}
	case ActionFraudAnalyze, ActionFraudDecide:
		// Fraud review runs from the first vote until the results are
		// signed; published statuses are final.
		return []voting.Phase{vote, counting, jury}
	}
	return nil
}

// CheckPhase returns a *PhaseError when edition, in phase current, does not
// allow a.
func CheckPhase(edition string, current voting.Phase, a Action) error {
	allowed := a.Phases()
	if slices.Contains(allowed, current) {
		return nil
	}
	return &PhaseError{Edition: edition, Phase: current, Allowed: allowed}
}

// Stage is a cut of the contest: the Champions chosen by public vote, or the
// Winners chosen by the jury.
type Stage string

// The stages.
const (
	StageChampions Stage = "champions"
	StageWinners   Stage = "winners"
)

// Valid reports whether s is a known stage.
func (s Stage) Valid() bool { return s == StageChampions || s == StageWinners }

// Phase is the phase in which ties of stage s are decided.
func (s Stage) Phase() voting.Phase {
	if s == StageWinners {
		return voting.PhaseJury
	}
	return voting.PhaseCounting
}

func (s Stage) cutName() string {
	if s == StageWinners {
		return "Winner"
	}
	return "Champion"
}
