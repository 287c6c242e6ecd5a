package prizes

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/wsisvote/prizes/transparency"
)

// ResultsFormat names the layout of a results document; a reader checks it
// before trusting the fields.
const ResultsFormat = "wsisvote.results/v1"

// Results is the published outcome of an edition: the frozen rules and their
// hash, every nominee's count and the Champions, the jury aggregates and the
// Winners, a digest of the ledger and the head of the audit log. It is signed
// as a whole (see SignResults) and can be recomputed from the ledger and the
// jury scores (BuildResults) by anyone holding them.
type Results struct {
	Format      string          `json:"format"`
	Edition     string          `json:"edition"`
	Name        string          `json:"name"`
	PublishedAt time.Time       `json:"published_at"`
	Rules       json.RawMessage `json:"rules"`
	RulesHash   string          `json:"rules_hash"`
	Ledger      LedgerSummary   `json:"ledger"`
	// Transparency is the vote log's final checkpoint and the root of the
	// tree of final statuses; absent when the edition was run with the log
	// off.
	Transparency *transparency.Summary `json:"transparency,omitempty"`
	AuditHead    AuditHead             `json:"audit_head"`
	// Jurors counts the jurors whose scores went into the results. They
	// appear as J1, J2, ... in the sensitivity reports, in account order.
	Jurors     int              `json:"jurors"`
	Categories []CategoryResult `json:"categories"`
}

// CategoryResult is one category's part of the results.
type CategoryResult struct {
	Code      string            `json:"code"`
	Name      string            `json:"name"`
	Champions CategoryChampions `json:"champions"`
	Jury      CategoryJury      `json:"jury"`
	Winners   []Winner          `json:"winners"`
}

// Winner is one Winner of a category.
type Winner struct {
	ProjectID    string  `json:"project_id"`
	Title        string  `json:"title"`
	Organisation string  `json:"organisation"`
	Country      string  `json:"country"`
	Aggregate    float64 `json:"aggregate"`
}

// ResultsInput is everything results are computed from.
type ResultsInput struct {
	Edition     Edition
	PublishedAt time.Time
	// Nominees are every nominated project with its ledger facts.
	Nominees  []Nominee
	Decisions []TieDecision
	// Scorecards are the submitted scorecards; drafts do not count.
	Scorecards []Scorecard
	Ledger     LedgerSummary
	// Transparency is the log's part of the results, nil without a log.
	Transparency *transparency.Summary
	AuditHead    AuditHead
}

// BuildResults computes an edition's results. It returns an error wrapping
// ErrNotReady when a Champion has no submitted scorecard, and a *TieError
// when a tie at a cut needs an organiser decision; both may come joined.
func BuildResults(in ResultsInput) (Results, error) {
	ed := in.Edition
	champions, err := SelectChampions(ed, in.Nominees, in.Decisions)
	if err != nil {
		return Results{}, fmt.Errorf("build results of %s: Champions: %w", ed.ID, err)
	}
	labels := jurorLabels(in.Scorecards)
	res := Results{
		Format:       ResultsFormat,
		Edition:      ed.ID,
		Name:         ed.Name,
		PublishedAt:  in.PublishedAt.UTC().Truncate(time.Microsecond),
		Rules:        ed.Rules.Canonical(),
		RulesHash:    ed.Rules.Hash(),
		Ledger:       in.Ledger,
		Transparency: in.Transparency,
		AuditHead:    in.AuditHead,
		Jurors:       len(labels),
		Categories:   make([]CategoryResult, 0, len(champions)),
	}
	var errs []error
	var ties []Tie
	for i, cc := range champions {
		cat := ed.Categories[i]
		contenders, cards := juryInputs(cc, in.Scorecards, labels)
		cj, err := JudgeCategory(ed.Rules, cat, contenders, cards, findDecision(in.Decisions, StageWinners, cat.Code))
		var te *TieError
		if errors.As(err, &te) {
			ties = append(ties, te.Ties...)
		}
		if errors.Is(err, ErrNotReady) {
			errs = append(errs, err)
		}
		cr := CategoryResult{Code: cat.Code, Name: cat.Name, Champions: cc, Jury: cj, Winners: []Winner{}}
		for _, s := range cj.Standings {
			if s.Winner {
				cr.Winners = append(cr.Winners, Winner{ProjectID: s.ProjectID, Title: s.Title,
					Organisation: s.Organisation, Country: s.Country, Aggregate: s.Aggregate})
			}
		}
		res.Categories = append(res.Categories, cr)
	}
	if len(ties) > 0 {
		errs = append(errs, &TieError{Ties: ties})
	}
	if len(errs) > 0 {
		return Results{}, fmt.Errorf("build results of %s: %w", ed.ID, errors.Join(errs...))
	}
	return res, nil
}

// jurorLabels gives each juror with a submitted scorecard a pseudonym, J1,
// J2, ... in account id order.
func jurorLabels(cards []Scorecard) map[int64]string {
	var ids []int64
	seen := map[int64]bool{}
	for _, c := range cards {
		if c.Submitted() && !seen[c.JurorID] {
			seen[c.JurorID] = true
			ids = append(ids, c.JurorID)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := make(map[int64]string, len(ids))
	for i, id := range ids {
		out[id] = "J" + strconv.Itoa(i+1)
	}
	return out
}

// juryInputs returns a category's Champions as contenders and their
// submitted scorecards as cards, labelled.
func juryInputs(cc CategoryChampions, scorecards []Scorecard, labels map[int64]string) ([]Contender, []Card) {
	var contenders []Contender
	in := map[string]bool{}
	for _, n := range cc.Nominees {
		if n.Champion {
			in[n.ProjectID] = true
			contenders = append(contenders, Contender{ProjectID: n.ProjectID, Title: n.Title,
				Organisation: n.Organisation, Country: n.Country, Votes: n.Votes})
		}
	}
	var cards []Card
	for _, s := range scorecards {
		if s.Submitted() && in[s.ProjectID] {
			cards = append(cards, Card{Juror: labels[s.JurorID], ProjectID: s.ProjectID, Scores: s.Scores})
		}
	}
	// Cards go in a fixed order, so floating-point sums are taken the same
	// way on every recount.
	sort.Slice(cards, func(i, j int) bool {
		if cards[i].ProjectID != cards[j].ProjectID {
			return cards[i].ProjectID < cards[j].ProjectID
		}
		return cards[i].Juror < cards[j].Juror
	})
	return contenders, cards
}

// Canonical returns the document's canonical JSON, the bytes that are
// signed: this struct's encoding, fields in declaration order, map keys
// sorted, no spaces.
func (r Results) Canonical() ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode results of %s: %w", r.Edition, err)
	}
	return b, nil
}

// ChampionIDs returns every Champion of the results.
func (r Results) ChampionIDs() []string {
	var out []string
	for _, c := range r.Categories {
		out = append(out, c.Champions.Champions()...)
	}
	return out
}

// WinnerIDs returns every Winner of the results.
func (r Results) WinnerIDs() []string {
	var out []string
	for _, c := range r.Categories {
		for _, w := range c.Winners {
			out = append(out, w.ProjectID)
		}
	}
	return out
}
