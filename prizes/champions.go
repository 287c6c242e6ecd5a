package prizes

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Nominee is a nominated project with what the ledger says about it.
type Nominee struct {
	ProjectID    string
	Category     string
	Title        string
	Organisation string
	Country      string
	// Votes is the number of counted votes.
	Votes int64
	// VoterCountries is how many distinct countries its counted voters
	// come from.
	VoterCountries int64
	// FinalCountAt is when its last counted vote was cast, so when it
	// reached its final count; zero without votes.
	FinalCountAt time.Time
	// Invalidated is how many of its votes fraud review took out of the
	// count, and InvalidatedReasons how many of those carry each reason
	// code.
	Invalidated        int64
	InvalidatedReasons map[string]int64
}

// TieDecision is an organiser's order for projects tied at a cut, recorded
// with a reason. It is applied by the "organiser" tie-break step, and only to
// a tie whose projects it all lists.
type TieDecision struct {
	Stage     Stage     `json:"stage"`
	Category  string    `json:"category"`
	Order     []string  `json:"order"`
	Reason    string    `json:"reason"`
	DecidedBy int64     `json:"-"`
	DecidedAt time.Time `json:"decided_at"`
}

// Check validates d against ed.
func (d TieDecision) Check(ed Edition) error {
	f := FieldErrors{}
	if !d.Stage.Valid() {
		f["stage"] = `must be "champions" or "winners"`
	}
	if _, ok := ed.Category(d.Category); !ok {
		f["category"] = fmt.Sprintf("edition %s has no category %q", ed.ID, d.Category)
	}
	if len(d.Order) < 2 || len(d.Order) > 1000 {
		f["order"] = "must list 2 to 1000 projects, best first"
	}
	seen := map[string]bool{}
	for _, id := range d.Order {
		if seen[id] {
			f["order"] = fmt.Sprintf("lists %s twice", id)
		}
		seen[id] = true
	}
	if r := strings.TrimSpace(d.Reason); r == "" || len(r) > 2000 {
		f["reason"] = "must be 1 to 2000 characters: the decision is recorded with it"
	}
	return f.Err()
}

// NomineeStanding is one nominee's line in a Champion result.
type NomineeStanding struct {
	ProjectID      string     `json:"project_id"`
	Title          string     `json:"title"`
	Organisation   string     `json:"organisation"`
	Country        string     `json:"country"`
	Votes          int64      `json:"votes"`
	VoterCountries int64      `json:"voter_countries"`
	FinalCountAt   *time.Time `json:"final_count_at"`
	Rank           int        `json:"rank"`
	Tied           bool       `json:"tied,omitempty"`
	SeparatedBy    string     `json:"separated_by,omitempty"`
	Champion       bool       `json:"champion"`
	// Invalidated counts the votes fraud review took out of the count,
	// InvalidatedReasons them by reason code (a vote with several reasons
	// counts under each), and DisqualificationReview flags a nominee most of
	// whose votes were invalidated (MostlyInvalidated). All three are left
	// out for a nominee without invalidated votes.
	Invalidated            int64            `json:"invalidated,omitempty"`
	InvalidatedReasons     map[string]int64 `json:"invalidated_reasons,omitempty"`
	DisqualificationReview bool             `json:"disqualification_review,omitempty"`
}

// CategoryChampions is one category's Champion result: every nominee's count
// and place, and the margin at the cut.
type CategoryChampions struct {
	Category string `json:"category"`
	Name     string `json:"name"`
	// Places is how many Champions the rules ask for.
	Places int `json:"places"`
	// Margin is the difference in votes between the last Champion and the
	// first nominee below the cut; nil when no nominee is below it. A zero
	// margin means a tie-break step decided, as SeparatedBy says.
	Margin *int64 `json:"margin"`
	// ExAequo means a tie at the cut that the chain could not break and the
	// rules leave to no organiser: every tied nominee is a Champion.
	ExAequo bool `json:"ex_aequo,omitempty"`
	// Decision is the organiser decision the ranking used, if any.
	Decision *TieDecision      `json:"decision,omitempty"`
	Nominees []NomineeStanding `json:"nominees"`
}

// Champions returns the ids of the category's Champions.
func (c CategoryChampions) Champions() []string {
	var out []string
	for _, n := range c.Nominees {
		if n.Champion {
			out = append(out, n.ProjectID)
		}
	}
	return out
}

// ChampionsPreview is the Champion result as it stands while counting: the
// ranking, and the ties that still need an organiser decision.
type ChampionsPreview struct {
	Categories []CategoryChampions
	Ties       []Tie
	// Window is the voting window the votes were counted in, and
	// OutsideWindow how many votes that would count were cast outside it
	// and count nowhere.
	Window        WindowBounds
	OutsideWindow int64
}

// primaryVotes names the primary value of the Champion ranking.
const primaryVotes = "votes"

// SelectChampions ranks each category's nominees by counted votes, breaks
// ties with the edition's chain and takes the top ChampionsPerCategory. When
// a tie at a cut needs an organiser decision it still returns every category
// (with the nominees above the tie marked), and a *TieError listing the ties.
func SelectChampions(ed Edition, nominees []Nominee, decisions []TieDecision) ([]CategoryChampions, error) {
	chain := ed.Rules.ChampionTieBreak
	byCat := map[string][]Nominee{}
	for _, n := range nominees {
		byCat[n.Category] = append(byCat[n.Category], n)
	}
	var ties []Tie
	out := make([]CategoryChampions, 0, len(ed.Categories))
	for _, cat := range ed.Categories {
		ns := byCat[cat.Code]
		decision := findDecision(decisions, StageChampions, cat.Code)
		cands := make([]Candidate, len(ns))
		byID := make(map[string]Nominee, len(ns))
		for i, n := range ns {
			byID[n.ProjectID] = n
			c := Candidate{ID: n.ProjectID, Primary: float64(n.Votes), Steps: make([]float64, len(chain))}
			for j, t := range chain {
				switch t {
				case TieVoterCountries:
					c.Steps[j] = float64(n.VoterCountries)
				case TieEarliestFinal:
					// Earlier is better; microseconds fit a float64
					// exactly for any date of this era.
					c.Steps[j] = -float64(n.FinalCountAt.UnixMicro())
				case TieOrganiser:
					c.Steps[j] = math.NaN()
					if decision != nil {
						c.Steps[j] = decisionValue(decision.Order, n.ProjectID)
					}
				}
			}
			cands[i] = c
		}
		placings := Rank(primaryVotes, stepNames(chain), cands)
		k := ed.Rules.ChampionsPerCategory
		selected, tie := Cut(placings, k)
		cc := CategoryChampions{Category: cat.Code, Name: cat.Name, Places: k, Nominees: make([]NomineeStanding, len(placings))}
		if tie != nil {
			if hasOrganiser(chain) {
				ties = append(ties, Tie{Stage: StageChampions, Category: cat.Code, Projects: tie})
			} else {
				selected += len(tie)
				cc.ExAequo = true
			}
		}
		for i, p := range placings {
			n := byID[p.ID]
			s := NomineeStanding{
				ProjectID: n.ProjectID, Title: n.Title, Organisation: n.Organisation, Country: n.Country,
				Votes: n.Votes, VoterCountries: n.VoterCountries,
				Rank: p.Rank, Tied: p.Tied, SeparatedBy: p.SeparatedBy, Champion: i < selected,
			}
			if n.Invalidated > 0 {
				s.Invalidated, s.InvalidatedReasons = n.Invalidated, n.InvalidatedReasons
				s.DisqualificationReview = MostlyInvalidated(n.Votes, n.Invalidated)
			}
			if !n.FinalCountAt.IsZero() {
				t := n.FinalCountAt.UTC()
				s.FinalCountAt = &t
			}
			if p.SeparatedBy == string(TieOrganiser) {
				cc.Decision = decision
			}
			cc.Nominees[i] = s
		}
		if tie == nil || !hasOrganiser(chain) {
			if selected < len(placings) && selected > 0 {
				m := cc.Nominees[selected-1].Votes - cc.Nominees[selected].Votes
				cc.Margin = &m
			}
		}
		out = append(out, cc)
	}
	if len(ties) > 0 {
		return out, &TieError{Ties: ties}
	}
	return out, nil
}

func findDecision(ds []TieDecision, stage Stage, category string) *TieDecision {
	for i := range ds {
		if ds[i].Stage == stage && ds[i].Category == category {
			d := ds[i]
			d.DecidedAt = d.DecidedAt.UTC()
			return &d
		}
	}
	return nil
}
