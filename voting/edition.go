package voting

// Phase is where an edition stands in its lifecycle.
type Phase string

// The phases of an edition, in order.
const (
	PhaseDraft      Phase = "draft"
	PhaseSubmission Phase = "submission"
	PhaseReview     Phase = "review"
	PhaseVoting     Phase = "voting"
	PhaseCounting   Phase = "counting"
	PhaseJury       Phase = "jury"
	PhasePublished  Phase = "published"
)

// SlotRule says what a voter may vote for once.
type SlotRule string

const (
	// OnePerCategory lets a voter vote once in each category (the WSIS rule).
	OnePerCategory SlotRule = "category"
	// OnePerProject lets a voter vote once for each project.
	OnePerProject SlotRule = "project"
)

// Rules are the settings of an edition that the vote path enforces. The
// defaults are the WSIS Prizes rules.
type Rules struct {
	OnePer      SlotRule `json:"one_per"`
	PublicTally bool     `json:"public_tally"`
	// VoteChallenge asks every vote to come with a solved proof-of-work
	// challenge, for an edition under attack or of high stakes.
	VoteChallenge bool `json:"vote_challenge"`
}

// DefaultRules returns the WSIS rules: one vote per category, live tally public.
func DefaultRules() Rules { return Rules{OnePer: OnePerCategory, PublicTally: true} }

// Edition is one run of a contest.
type Edition struct {
	ID    string
	Name  string
	Phase Phase
	Rules Rules
}

// Category is one prize category of an edition.
type Category struct {
	Code string
	Name string
}

// Project is an entry as the vote path sees it.
type Project struct {
	ID           string
	Edition      string
	Category     string
	Title        string
	Organisation string
	Country      string
	Nominated    bool
}

// Slot returns the ballot slot a vote for p fills under rules r.
func (r Rules) Slot(p Project) string {
	if r.OnePer == OnePerProject {
		return p.ID
	}
	return p.Category
}
