package voting

import "time"

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
	// VotesPerCategory lets a voter vote for up to this many different
	// projects in one category; 0 and 1 mean one vote per category (WSIS).
	VotesPerCategory int `json:"votes_per_category,omitempty"`
	// FraudFlagAt is the ingest fraud score (0 to 1) from which a vote is
	// recorded flagged: it counts until a review invalidates it. A value
	// above 1 means never; 0 means DefaultFraudFlagAt.
	FraudFlagAt float64 `json:"fraud_flag_at,omitempty"`
	// FraudRejectAt is the score from which a vote is recorded rejected: it
	// never counts. A value above 1 (the default) means never; 0 means
	// DefaultFraudRejectAt.
	FraudRejectAt float64 `json:"fraud_reject_at,omitempty"`
}

// The default fraud thresholds. Ingest flags a vote only on the combined
// evidence of at least two signals, and rejects none: a flagged vote still
// counts, so an honest crowd that looks like a farm loses nothing while it
// is reviewed, and a rejected vote would be missing from the public live
// tally, which tells whoever cast it that it was caught.
const (
	DefaultFraudFlagAt   = 0.6
	DefaultFraudRejectAt = 2
)

// DefaultRules returns the WSIS rules: one vote per category, live tally
// hidden from all but organisers while voting (so that no one votes for
// whoever leads), votes flagged from a fraud score of 0.6 and never
// rejected at ingest.
func DefaultRules() Rules {
	return Rules{OnePer: OnePerCategory, PublicTally: false, VotesPerCategory: 1,
		FraudFlagAt: DefaultFraudFlagAt, FraudRejectAt: DefaultFraudRejectAt}
}

// FraudStatus maps a fraud score in [0,1] to the status a vote is recorded
// with under r: rejected from FraudRejectAt, flagged from FraudFlagAt,
// counted below both. A threshold above 1 is never reached.
func (r Rules) FraudStatus(score float64) Status {
	flag, reject := r.FraudFlagAt, r.FraudRejectAt
	if flag <= 0 {
		flag = DefaultFraudFlagAt
	}
	if reject <= 0 {
		reject = DefaultFraudRejectAt
	}
	switch {
	case reject <= 1 && score >= reject:
		return StatusRejected
	case flag <= 1 && score >= flag:
		return StatusFlagged
	}
	return StatusCounted
}

// Edition is one run of a contest.
type Edition struct {
	ID    string
	Name  string
	Phase Phase
	Rules Rules
	// Window is the voting window the edition's schedule publishes. The
	// phase says whether votes are taken at all; the window bounds them to
	// the millisecond on the hot store's clock.
	Window Window
}

// Window is when votes are taken: from Opens (inclusive) until Closes
// (exclusive). A zero bound is open.
type Window struct {
	Opens, Closes time.Time
}

// Contains reports whether t falls inside w.
func (w Window) Contains(t time.Time) bool {
	return (w.Opens.IsZero() || !t.Before(w.Opens)) && (w.Closes.IsZero() || t.Before(w.Closes))
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
	// Summary and Links are the entry as its owner wrote it, shown on the
	// ballot; the vote path does not read them.
	Summary string
	Links   []string
	// Logo is the thumbnail of the entry's logo; its Hash is empty when the
	// entry has none.
	Logo      Image
	Nominated bool
}

// Image is a picture in the blob store, by the SHA-256 of its bytes, with
// its size in pixels.
type Image struct {
	Hash          string
	Width, Height int
}

// CategoryCap is how many votes a voter may cast in one category beyond the
// one slot rule, or 0 when the slot rule alone decides.
func (r Rules) CategoryCap() int {
	if r.VotesPerCategory > 1 {
		return r.VotesPerCategory
	}
	return 0
}

// Slot returns the ballot slot a vote for p fills under rules r. With several
// votes per category each project is its own slot, and the category cap
// bounds how many a voter fills.
func (r Rules) Slot(p Project) string {
	if r.OnePer == OnePerProject || r.VotesPerCategory > 1 {
		return p.ID
	}
	return p.Category
}
