package prizes

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/voting"
)

// Criterion is one line of the jury rubric. Scores are whole numbers from
// ScoreMin to ScoreMax; a criterion counts in proportion to its weight.
type Criterion struct {
	Key    string  `json:"key"`
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
}

// The range of a jury score.
const (
	ScoreMin = 1
	ScoreMax = 10
)

// Aggregation is how jurors' scores make a project's jury result.
type Aggregation string

const (
	// WeightedMean averages each juror's weighted rubric score.
	WeightedMean Aggregation = "weighted_mean"
	// ZScore first normalises each juror's weighted scores within a category
	// to mean 0 and standard deviation 1, so a lenient juror and a severe
	// one weigh the same, then averages.
	ZScore Aggregation = "zscore"
)

// TieBreak is one step of a tie-break chain.
type TieBreak string

// The tie-break steps. A chain is tried in order until the tie is broken.
const (
	// TieVoterCountries prefers the nominee whose counted voters come from
	// more distinct countries (Champions).
	TieVoterCountries TieBreak = "voter_countries"
	// TieEarliestFinal prefers the nominee that reached its final count
	// first (Champions).
	TieEarliestFinal TieBreak = "earliest_final"
	// TiePublicVotes prefers the Champion with more counted votes (Winners).
	TiePublicVotes TieBreak = "public_votes"
	// TieRawMean prefers the higher weighted mean of raw scores, which
	// matters when the edition aggregates z-scores (Winners).
	TieRawMean TieBreak = "raw_mean"
	// TieOrganiser applies the order an organiser decided and recorded. It
	// can only come last.
	TieOrganiser TieBreak = "organiser"
)

// criterionPrefix starts a Winner tie-break on one rubric criterion, as in
// "criterion:impact": the higher mean on that criterion wins.
const criterionPrefix = "criterion:"

// Rules are an edition's settings. The WSIS Prizes values are the defaults.
// The JSON keys one_per and public_tally are shared with the vote path, which
// reads them from the same document.
type Rules struct {
	// OnePer is what a voter may vote for once: "category" gives one vote
	// per voter per category (WSIS), "project" one vote per project.
	OnePer voting.SlotRule `json:"one_per"`
	// PublicTally shows the live tally to everyone while voting is open.
	PublicTally bool `json:"public_tally"`
	// VotesPerCategory is how many different projects a voter may vote for
	// in one category (1 for WSIS); above 1 each project is its own slot.
	VotesPerCategory int `json:"votes_per_category"`
	// VoteChallenge asks every vote to come with a solved proof of work.
	VoteChallenge bool `json:"vote_challenge"`
	// FraudFlagAt is the ingest fraud score (0 to 1) from which a vote is
	// recorded flagged: it still counts, and waits for review. Above 1
	// means never.
	FraudFlagAt float64 `json:"fraud_flag_at"`
	// FraudRejectAt is the score from which a vote is recorded rejected: it
	// does not count. Above 1, the default, means never.
	FraudRejectAt float64 `json:"fraud_reject_at"`
	// CompleteBallot counts a voter's votes only when the voter voted in
	// every category that has nominees.
	CompleteBallot bool `json:"complete_ballot"`
	// NomineesPerCategory caps the nominations in a category.
	NomineesPerCategory int `json:"nominees_per_category"`
	// ChampionsPerCategory is how many nominees per category become
	// Champions by counted votes.
	ChampionsPerCategory int `json:"champions_per_category"`
	// WinnersPerCategory is how many Champions per category the jury makes
	// Winners.
	WinnersPerCategory int `json:"winners_per_category"`
	// Rubric is what jurors score, each criterion from ScoreMin to ScoreMax.
	Rubric []Criterion `json:"rubric"`
	// Aggregation is how jurors' scores are combined.
	Aggregation Aggregation `json:"aggregation"`
	// ChampionTieBreak orders nominees with equal counted votes.
	ChampionTieBreak []TieBreak `json:"champion_tie_break"`
	// WinnerTieBreak orders Champions with equal jury results.
	WinnerTieBreak []TieBreak `json:"winner_tie_break"`
}

// DefaultRubric is the WSIS Prizes evaluation criteria, equally weighted.
func DefaultRubric() []Criterion {
	return []Criterion{
		{Key: "impact", Name: "Impact", Weight: 1},
		{Key: "community_empowerment", Name: "Community empowerment", Weight: 1},
		{Key: "sdg_relevance", Name: "Relevance to the Sustainable Development Goals", Weight: 1},
		{Key: "replicability", Name: "Replicability", Weight: 1},
		{Key: "sustainability", Name: "Sustainability", Weight: 1},
		{Key: "partnerships", Name: "Partnerships", Weight: 1},
	}
}

// DefaultRules returns the WSIS Prizes rules: one vote per category, live
// tally public, 20 nominees, 5 Champions and 1 Winner per category, and the
// vote path's default fraud thresholds.
func DefaultRules() Rules {
	v := voting.DefaultRules()
	return Rules{
		OnePer:               v.OnePer,
		PublicTally:          v.PublicTally,
		VotesPerCategory:     1,
		FraudFlagAt:          v.FraudFlagAt,
		FraudRejectAt:        v.FraudRejectAt,
		NomineesPerCategory:  20,
		ChampionsPerCategory: 5,
		WinnersPerCategory:   1,
		Rubric:               DefaultRubric(),
		Aggregation:          WeightedMean,
		ChampionTieBreak:     []TieBreak{TieVoterCountries, TieEarliestFinal, TieOrganiser},
		WinnerTieBreak:       []TieBreak{TiePublicVotes, TieOrganiser},
	}
}

// Voting returns the part of r the vote path enforces.
func (r Rules) Voting() voting.Rules {
	return voting.Rules{OnePer: r.OnePer, PublicTally: r.PublicTally,
		VoteChallenge: r.VoteChallenge, VotesPerCategory: r.VotesPerCategory,
		FraudFlagAt: r.FraudFlagAt, FraudRejectAt: r.FraudRejectAt}
}

// ParseRules reads a stored rules document over the defaults, so a document
// written before a setting existed gets the setting's default. Unknown keys
// are ignored: the document is shared with the vote path.
func ParseRules(doc []byte) (Rules, error) {
	r := DefaultRules()
	if len(bytes.TrimSpace(doc)) == 0 {
		return r, nil
	}
	keys, err := topKeys(doc)
	if err != nil {
		return Rules{}, fmt.Errorf("parse rules: %w", err)
	}
	r.clearListed(keys)
	if err := json.Unmarshal(doc, &r); err != nil {
		return Rules{}, fmt.Errorf("parse rules: %w", err)
	}
	return r, nil
}

// Patch returns r with the settings in patch, a JSON object of rules keys,
// replacing its own, and checks the result. Unknown keys are refused, and
// every error wraps kind.ErrInvalid.
func (r Rules) Patch(patch []byte) (Rules, error) {
	keys, err := topKeys(patch)
	if err != nil {
		return Rules{}, fmt.Errorf("patch rules: %s: %w", err, kind.ErrInvalid)
	}
	out := r.clone()
	out.clearListed(keys)
	dec := json.NewDecoder(bytes.NewReader(patch))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return Rules{}, fmt.Errorf("patch rules: %s: %w", strings.TrimPrefix(err.Error(), "json: "), kind.ErrInvalid)
	}
	if err := out.Validate(); err != nil {
		return Rules{}, fmt.Errorf("patch rules: %w", err)
	}
	return out, nil
}

// clearListed empties the list settings a document is about to set, since
// decoding a JSON array into a Go slice reuses the old elements and would
// keep fields the new ones leave out.
func (r *Rules) clearListed(keys map[string]bool) {
	if keys["rubric"] {
		r.Rubric = nil
	}
	if keys["champion_tie_break"] {
		r.ChampionTieBreak = nil
	}
	if keys["winner_tie_break"] {
		r.WinnerTieBreak = nil
	}
}

func (r Rules) clone() Rules {
	r.Rubric = slices.Clone(r.Rubric)
	r.ChampionTieBreak = slices.Clone(r.ChampionTieBreak)
	r.WinnerTieBreak = slices.Clone(r.WinnerTieBreak)
	return r
}

func topKeys(doc []byte) (map[string]bool, error) {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(&m); err != nil {
		return nil, errors.New("rules must be a JSON object")
	}
	if m == nil {
		return nil, errors.New("rules must be a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the rules object")
	}
	keys := make(map[string]bool, len(m))
	for k := range m {
		keys[k] = true
	}
	return keys, nil
}

var criterionKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// Validate checks every setting and returns FieldErrors keyed by setting.
func (r Rules) Validate() error {
	f := FieldErrors{}
	if r.OnePer != voting.OnePerCategory && r.OnePer != voting.OnePerProject {
		f["one_per"] = `must be "category" or "project"`
	}
	if r.VotesPerCategory < 1 || r.VotesPerCategory > r.NomineesPerCategory {
		f["votes_per_category"] = "must be from 1 to nominees_per_category"
	}
	if !(r.FraudFlagAt > 0) {
		f["fraud_flag_at"] = "must be more than 0 (above 1 means never)"
	}
	if !(r.FraudRejectAt > 0) {
		f["fraud_reject_at"] = "must be more than 0 (above 1 means never)"
	} else if r.FraudRejectAt <= 1 && r.FraudFlagAt > r.FraudRejectAt {
		f["fraud_flag_at"] = "must be at most fraud_reject_at"
	}
	if r.ChampionsPerCategory < 1 || r.ChampionsPerCategory > 100 {
		f["champions_per_category"] = "must be from 1 to 100"
	}
	if r.WinnersPerCategory < 1 || r.WinnersPerCategory > r.ChampionsPerCategory {
		f["winners_per_category"] = "must be from 1 to champions_per_category"
	}
	if r.NomineesPerCategory < r.ChampionsPerCategory || r.NomineesPerCategory > 1000 {
		f["nominees_per_category"] = "must be from champions_per_category to 1000"
	}
	if r.Aggregation != WeightedMean && r.Aggregation != ZScore {
		f["aggregation"] = `must be "weighted_mean" or "zscore"`
	}
	if len(r.Rubric) == 0 || len(r.Rubric) > 20 {
		f["rubric"] = "must have 1 to 20 criteria"
	}
	seen := map[string]bool{}
	for i, c := range r.Rubric {
		switch {
		case !criterionKey.MatchString(c.Key):
			f[fmt.Sprintf("rubric[%d].key", i)] = "must be 1 to 32 characters from a-z, 0-9 and _, starting with a letter"
		case seen[c.Key]:
			f[fmt.Sprintf("rubric[%d].key", i)] = "is used twice"
		}
		seen[c.Key] = true
		if strings.TrimSpace(c.Name) == "" || len(c.Name) > 200 {
			f[fmt.Sprintf("rubric[%d].name", i)] = "must be 1 to 200 characters"
		}
		if !(c.Weight > 0 && c.Weight <= 100) {
			f[fmt.Sprintf("rubric[%d].weight", i)] = "must be more than 0 and at most 100"
		}
	}
	if msg := checkChain(r.ChampionTieBreak, func(t TieBreak) bool {
		return t == TieVoterCountries || t == TieEarliestFinal
	}); msg != "" {
		f["champion_tie_break"] = msg
	}
	if msg := checkChain(r.WinnerTieBreak, func(t TieBreak) bool {
		if k, ok := strings.CutPrefix(string(t), criterionPrefix); ok {
			return seen[k]
		}
		return t == TiePublicVotes || t == TieRawMean
	}); msg != "" {
		f["winner_tie_break"] = msg
	}
	return f.Err()
}

func checkChain(chain []TieBreak, known func(TieBreak) bool) string {
	seen := map[TieBreak]bool{}
	for i, t := range chain {
		switch {
		case seen[t]:
			return fmt.Sprintf("%q is listed twice", t)
		case t == TieOrganiser && i != len(chain)-1:
			return `"organiser" can only be the last step`
		case t != TieOrganiser && !known(t):
			return fmt.Sprintf("%q is not a tie-break step here", t)
		}
		seen[t] = true
	}
	return ""
}

// Canonical returns the rules' canonical JSON: the encoding of this struct,
// keys in declaration order, no spaces. The rules hash is taken over it.
func (r Rules) Canonical() []byte {
	r = r.clone()
	if r.Rubric == nil {
		r.Rubric = []Criterion{}
	}
	if r.ChampionTieBreak == nil {
		r.ChampionTieBreak = []TieBreak{}
	}
	if r.WinnerTieBreak == nil {
		r.WinnerTieBreak = []TieBreak{}
	}
	b, err := json.Marshal(r)
	if err != nil {
		// Rules hold only strings, numbers and booleans; a failure here
		// is a bug, not an input problem.
		panic(fmt.Sprintf("encode rules: %v", err))
	}
	return b
}

// Hash returns "sha256:" and the hex SHA-256 of the canonical rules.
func (r Rules) Hash() string { return HashBytes(r.Canonical()) }

// HashBytes returns "sha256:" and the hex SHA-256 of b.
func HashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Criterion returns the rubric criterion with the given key.
func (r Rules) Criterion(key string) (Criterion, bool) {
	for _, c := range r.Rubric {
		if c.Key == key {
			return c, true
		}
	}
	return Criterion{}, false
}

// hasOrganiser reports whether a chain ends with an organiser decision.
func hasOrganiser(chain []TieBreak) bool {
	return len(chain) > 0 && chain[len(chain)-1] == TieOrganiser
}
