package prizes

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wsisvote/prizes/voting"
)

// Scorecard is one juror's scores for one Champion. It is a draft until it is
// submitted, and final afterwards.
type Scorecard struct {
	JurorID     int64
	ProjectID   string
	Category    string
	Scores      map[string]int
	Comment     string
	UpdatedAt   time.Time
	SubmittedAt time.Time
}

// Submitted reports whether the scorecard is final.
func (s Scorecard) Submitted() bool { return !s.SubmittedAt.IsZero() }

// ScoreDraft is what a juror saves as they go: the scores so far, possibly
// partial, and a comment.
type ScoreDraft struct {
	Scores  map[string]int `json:"scores"`
	Comment string         `json:"comment"`
}

// MaxComment bounds a juror's comment.
const MaxComment = 4000

// CheckScores validates scores against the rubric: known criteria, whole
// numbers from ScoreMin to ScoreMax, and, when complete, every criterion
// scored. It returns FieldErrors keyed "scores.<criterion>".
func (r Rules) CheckScores(scores map[string]int, comment string, complete bool) error {
	f := FieldErrors{}
	for k, v := range scores {
		if _, ok := r.Criterion(k); !ok {
			f["scores."+k] = "is not a criterion of this edition's rubric"
			continue
		}
		if v < ScoreMin || v > ScoreMax {
			f["scores."+k] = fmt.Sprintf("must be a whole number from %d to %d", ScoreMin, ScoreMax)
		}
	}
	if complete {
		for _, c := range r.Rubric {
			if _, ok := scores[c.Key]; !ok {
				f["scores."+c.Key] = "is required to submit"
			}
		}
	}
	if len(comment) > MaxComment {
		f["comment"] = fmt.Sprintf("must be at most %d bytes", MaxComment)
	}
	return f.Err()
}

// weighted returns a scorecard's weighted mean over the rubric.
func (r Rules) weighted(scores map[string]int) float64 {
	var sum, weights float64
	for _, c := range r.Rubric {
		if v, ok := scores[c.Key]; ok {
			sum += c.Weight * float64(v)
			weights += c.Weight
		}
	}
	if weights == 0 {
		return 0
	}
	return sum / weights
}

// Contender is a Champion as the jury ranking sees it.
type Contender struct {
	ProjectID    string
	Title        string
	Organisation string
	Country      string
	Votes        int64
}

// Card is a submitted scorecard as the jury ranking sees it: the juror is a
// label, so the same computation serves the organisers' report (account ids)
// and the published results (pseudonyms).
type Card struct {
	Juror     string
	ProjectID string
	Scores    map[string]int
}

// JuryStanding is one Champion's line in a jury result.
type JuryStanding struct {
	ProjectID    string `json:"project_id"`
	Title        string `json:"title"`
	Organisation string `json:"organisation"`
	Country      string `json:"country"`
	Votes        int64  `json:"votes"`
	Scorecards   int    `json:"scorecards"`
	// Aggregate is the value the Winner is chosen by: RawMean or
	// NormalisedMean, per the rules.
	Aggregate      float64            `json:"aggregate"`
	RawMean        float64            `json:"raw_mean"`
	NormalisedMean float64            `json:"normalised_mean"`
	Criteria       map[string]float64 `json:"criteria"`
	Rank           int                `json:"rank"`
	Tied           bool               `json:"tied,omitempty"`
	SeparatedBy    string             `json:"separated_by,omitempty"`
	Winner         bool               `json:"winner"`
}

// CategoryJury is one category's jury result.
type CategoryJury struct {
	Category    string      `json:"category"`
	Name        string      `json:"name"`
	Aggregation Aggregation `json:"aggregation"`
	// Places is how many Winners the rules ask for.
	Places int `json:"places"`
	// Jurors is how many jurors submitted scorecards in the category.
	Jurors int `json:"jurors"`
	// Margin is the aggregate difference between the last Winner and the
	// first Champion below; nil when none is below.
	Margin      *float64       `json:"margin"`
	ExAequo     bool           `json:"ex_aequo,omitempty"`
	Decision    *TieDecision   `json:"decision,omitempty"`
	Standings   []JuryStanding `json:"standings"`
	Sensitivity Sensitivity    `json:"sensitivity"`
}

// Winners returns the ids of the category's Winners.
func (c CategoryJury) Winners() []string {
	var out []string
	for _, s := range c.Standings {
		if s.Winner {
			out = append(out, s.ProjectID)
		}
	}
	return out
}

// Sensitivity says how firmly the jury chose: the Winners under raw and
// normalised scores, and with each juror left out in turn. A list of more
// Winners than places means a tie the organiser decision does not cover.
type Sensitivity struct {
	Winners       []string           `json:"winners"`
	Raw           []string           `json:"raw"`
	Normalised    []string           `json:"normalised"`
	MethodMatters bool               `json:"method_changes_winner"`
	LeaveOneOut   []JurorSensitivity `json:"leave_one_out"`
	// Stable means no alternative above changes the Winners.
	Stable bool `json:"stable"`
}

// JurorSensitivity is the outcome with one juror's scorecards left out.
type JurorSensitivity struct {
	Juror   string   `json:"juror"`
	Winners []string `json:"winners"`
	Changed bool     `json:"changed"`
}

// primaryAggregate names the primary value of the jury ranking.
const primaryAggregate = "aggregate"

// round6 rounds a score to six decimals. Aggregates are compared and
// published at this precision, so the order in which floating-point sums
// were taken can never decide a Winner.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// scored is the per-project outcome of one aggregation.
type scored struct {
	raw, normalised float64
	cards           int
	criteria        map[string]float64
}

// aggregate combines cards per project. Normalisation is per juror over the
// cards given (one category's): z = (x - mean) / sd of the juror's weighted
// scores, and 0 when the juror gave every project the same score.
func (r Rules) aggregate(cards []Card) map[string]*scored {
	type jstat struct{ sum, sq, n float64 }
	weighted := make([]float64, len(cards))
	stats := map[string]*jstat{}
	for i, c := range cards {
		weighted[i] = r.weighted(c.Scores)
		s := stats[c.Juror]
		if s == nil {
			s = &jstat{}
			stats[c.Juror] = s
		}
		s.sum += weighted[i]
		s.n++
	}
	for i, c := range cards {
		s := stats[c.Juror]
		d := weighted[i] - s.sum/s.n
		s.sq += d * d
	}
	out := map[string]*scored{}
	for i, c := range cards {
		s := stats[c.Juror]
		z := 0.0
		if sd := math.Sqrt(s.sq / s.n); sd > 1e-12 {
			z = (weighted[i] - s.sum/s.n) / sd
		}
		p := out[c.ProjectID]
		if p == nil {
			p = &scored{criteria: map[string]float64{}}
			out[c.ProjectID] = p
		}
		p.raw += weighted[i]
		p.normalised += z
		p.cards++
		for k, v := range c.Scores {
			p.criteria[k] += float64(v)
		}
	}
	for _, p := range out {
		n := float64(p.cards)
		p.raw, p.normalised = round6(p.raw/n), round6(p.normalised/n)
		for k := range p.criteria {
			p.criteria[k] = round6(p.criteria[k] / n)
		}
	}
	return out
}

func (r Rules) pick(s *scored, method Aggregation) float64 {
	if method == ZScore {
		return s.normalised
	}
	return s.raw
}

// rankJury ranks the contenders that have scores by method and takes the
// Winners. A tie at the cut that the chain leaves open is returned with the
// places above it.
func (r Rules) rankJury(contenders []Contender, agg map[string]*scored, method Aggregation, decision *TieDecision) ([]Placing, int, []string) {
	chain := r.WinnerTieBreak
	var cands []Candidate
	for _, c := range contenders {
		s, ok := agg[c.ProjectID]
		if !ok {
			continue
		}
		cand := Candidate{ID: c.ProjectID, Primary: r.pick(s, method), Steps: make([]float64, len(chain))}
		for j, t := range chain {
			switch {
			case t == TiePublicVotes:
				cand.Steps[j] = float64(c.Votes)
			case t == TieRawMean:
				cand.Steps[j] = s.raw
			case t == TieOrganiser:
				cand.Steps[j] = math.NaN()
				if decision != nil {
					cand.Steps[j] = decisionValue(decision.Order, c.ProjectID)
				}
			case strings.HasPrefix(string(t), criterionPrefix):
				v, ok := s.criteria[strings.TrimPrefix(string(t), criterionPrefix)]
				if !ok {
					v = math.NaN()
				}
				cand.Steps[j] = v
			}
		}
		cands = append(cands, cand)
	}
	placings := Rank(primaryAggregate, stepNames(chain), cands)
	selected, tie := Cut(placings, r.WinnersPerCategory)
	return placings, selected, tie
}

// winnersUnder returns the Winners an aggregation gives, counting an open
// tie at the cut as all its members.
func (r Rules) winnersUnder(contenders []Contender, cards []Card, method Aggregation, decision *TieDecision) []string {
	placings, selected, tie := r.rankJury(contenders, r.aggregate(cards), method, decision)
	var out []string
	for _, p := range placings[:selected] {
		out = append(out, p.ID)
	}
	out = append(out, tie...)
	sort.Strings(out)
	return out
}

// JudgeCategory ranks a category's Champions by their jury aggregate and
// takes the Winners, with the sensitivity report. Every contender needs at
// least one card: otherwise it returns the result over those that have one
// and an error wrapping ErrNotReady. A tie at the cut that needs an
// organiser decision gives a *TieError, with the result still filled in.
func JudgeCategory(r Rules, cat voting.Category, contenders []Contender, cards []Card, decision *TieDecision) (CategoryJury, error) {
	if decision != nil {
		d := *decision
		d.DecidedAt = d.DecidedAt.UTC()
		decision = &d
	}
	agg := r.aggregate(cards)
	cj := CategoryJury{Category: cat.Code, Name: cat.Name, Aggregation: r.Aggregation, Places: r.WinnersPerCategory}
	jurors := map[string]bool{}
	for _, c := range cards {
		jurors[c.Juror] = true
	}
	cj.Jurors = len(jurors)
	var missing []string
	for _, c := range contenders {
		if _, ok := agg[c.ProjectID]; !ok {
			missing = append(missing, c.ProjectID)
		}
	}
	placings, selected, tie := r.rankJury(contenders, agg, r.Aggregation, decision)
	var err error
	if tie != nil {
		if hasOrganiser(r.WinnerTieBreak) {
			err = &TieError{Ties: []Tie{{Stage: StageWinners, Category: cat.Code, Projects: tie}}}
		} else {
			selected += len(tie)
			cj.ExAequo = true
		}
	}
	byID := map[string]Contender{}
	for _, c := range contenders {
		byID[c.ProjectID] = c
	}
	for i, p := range placings {
		c, s := byID[p.ID], agg[p.ID]
		cj.Standings = append(cj.Standings, JuryStanding{
			ProjectID: c.ProjectID, Title: c.Title, Organisation: c.Organisation, Country: c.Country,
			Votes: c.Votes, Scorecards: s.cards,
			Aggregate: r.pick(s, r.Aggregation), RawMean: s.raw, NormalisedMean: s.normalised, Criteria: s.criteria,
			Rank: p.Rank, Tied: p.Tied, SeparatedBy: p.SeparatedBy, Winner: i < selected,
		})
		if p.SeparatedBy == string(TieOrganiser) {
			cj.Decision = decision
		}
	}
	if cj.Standings == nil {
		cj.Standings = []JuryStanding{}
	}
	if (tie == nil || cj.ExAequo) && selected > 0 && selected < len(cj.Standings) {
		m := round6(cj.Standings[selected-1].Aggregate - cj.Standings[selected].Aggregate)
		cj.Margin = &m
	}
	cj.Sensitivity = r.sensitivity(contenders, cards, cj.Winners(), decision)
	if len(missing) > 0 {
		nr := fmt.Errorf("category %s: %s %s no submitted scorecard: %w", cat.Code, strings.Join(missing, ", "),
			map[bool]string{true: "has", false: "have"}[len(missing) == 1], ErrNotReady)
		if err != nil {
			return cj, fmt.Errorf("%w; %w", nr, err)
		}
		return cj, nr
	}
	return cj, err
}

func (r Rules) sensitivity(contenders []Contender, cards []Card, winners []string, decision *TieDecision) Sensitivity {
	w := slices.Clone(winners)
	sort.Strings(w)
	if w == nil {
		w = []string{}
	}
	s := Sensitivity{
		Winners:     w,
		Raw:         nonNil(r.winnersUnder(contenders, cards, WeightedMean, decision)),
		Normalised:  nonNil(r.winnersUnder(contenders, cards, ZScore, decision)),
		LeaveOneOut: []JurorSensitivity{},
	}
	s.MethodMatters = !slices.Equal(s.Raw, s.Normalised)
	s.Stable = !s.MethodMatters && slices.Equal(s.Raw, w)
	var jurors []string
	for _, c := range cards {
		if !slices.Contains(jurors, c.Juror) {
			jurors = append(jurors, c.Juror)
		}
	}
	sort.Strings(jurors)
	for _, j := range jurors {
		var rest []Card
		for _, c := range cards {
			if c.Juror != j {
				rest = append(rest, c)
			}
		}
		lw := nonNil(r.winnersUnder(contenders, rest, r.Aggregation, decision))
		js := JurorSensitivity{Juror: j, Winners: lw, Changed: !slices.Equal(lw, w)}
		if js.Changed {
			s.Stable = false
		}
		s.LeaveOneOut = append(s.LeaveOneOut, js)
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
