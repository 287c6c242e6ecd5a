package prizes

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/wsisvote/prizes/voting"
)

// Edition is one run of a contest as the lifecycle sees it.
type Edition struct {
	ID    string
	Name  string
	Phase voting.Phase
	Rules Rules
	// RulesHash is the hash of the rules frozen when voting opened; empty
	// before that.
	RulesHash string
	// RulesFrozenAt is when voting opened and the rules froze.
	RulesFrozenAt time.Time
	Schedule      Schedule
	Categories    []voting.Category
}

// VotingWindow is the voting window the edition's schedule publishes; its
// bounds are open where the schedule has none.
func (e Edition) VotingWindow() voting.Window {
	var w voting.Window
	if vw, ok := e.Schedule[voting.PhaseVoting]; ok {
		if vw.Start != nil {
			w.Opens = *vw.Start
		}
		if vw.End != nil {
			w.Closes = *vw.End
		}
	}
	return w
}

// Frozen reports whether the rules can no longer change.
func (e Edition) Frozen() bool { return atOrAfter(e.Phase, voting.PhaseVoting) }

// Category returns the edition's category with the given code.
func (e Edition) Category(code string) (voting.Category, bool) {
	for _, c := range e.Categories {
		if c.Code == code {
			return c, true
		}
	}
	return voting.Category{}, false
}

// NewEdition is what an organiser gives to create an edition. Empty
// categories mean the 18 WSIS categories; rules are a patch over the WSIS
// defaults.
type NewEdition struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Categories []voting.Category `json:"categories"`
	// Rules is a JSON object of settings that replace the defaults.
	Rules    json.RawMessage `json:"rules"`
	Schedule Schedule        `json:"schedule"`
}

var (
	editionID    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	categoryCode = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)
)

// Check validates n, fills in the WSIS categories when it has none, and
// returns the edition's rules.
func (n *NewEdition) Check() (Rules, error) {
	f := FieldErrors{}
	n.ID = strings.TrimSpace(n.ID)
	n.Name = strings.TrimSpace(n.Name)
	if !editionID.MatchString(n.ID) {
		f["id"] = "must be 1 to 63 characters from a-z, 0-9 and -, starting with a letter or digit"
	}
	if n.Name == "" || len([]rune(n.Name)) > 200 {
		f["name"] = "must be 1 to 200 characters"
	}
	if len(n.Categories) == 0 {
		n.Categories = WSISCategories()
	}
	if len(n.Categories) > 100 {
		f["categories"] = "must be at most 100"
	}
	seen := map[string]bool{}
	for i, c := range n.Categories {
		key := fmt.Sprintf("categories[%d]", i)
		switch {
		case !categoryCode.MatchString(c.Code):
			f[key+".code"] = "must be 1 to 63 characters from A-Z, a-z, 0-9, _ and -"
		case seen[c.Code]:
			f[key+".code"] = "is used twice"
		}
		seen[c.Code] = true
		if strings.TrimSpace(c.Name) == "" || len([]rune(c.Name)) > 300 {
			f[key+".name"] = "must be 1 to 300 characters"
		}
	}
	if err := n.Schedule.Check(); err != nil {
		for k, v := range err.(FieldErrors) {
			f[k] = v
		}
	}
	rules := DefaultRules()
	if len(n.Rules) > 0 && string(n.Rules) != "null" {
		patched, err := rules.Patch(n.Rules)
		var fe FieldErrors
		switch {
		case errors.As(err, &fe):
			for k, v := range fe {
				f["rules."+k] = v
			}
		case err != nil:
			// The patch is not even an object of known settings.
			f["rules"] = "must be a JSON object of known settings"
		default:
			rules = patched
		}
	}
	return rules, f.Err()
}

// Window is when a phase is planned to run. Either end may be open.
type Window struct {
	Start *time.Time `json:"start,omitempty"`
	End   *time.Time `json:"end,omitempty"`
}

// Schedule gives phases their time windows. The draft and published phases
// have none: an edition starts in draft and stays published.
type Schedule map[voting.Phase]Window

// The years a window may start or end in. A contest is planned months
// ahead, not centuries: a time outside these years is a slip of the
// keyboard (year 1, 20260), and one that would either close a phase at once
// or never close it, so it is refused rather than kept.
const (
	FirstScheduleYear = 2000
	LastScheduleYear  = 2999
)

// Check validates the windows: known phases, start before end, times in
// the years FirstScheduleYear to LastScheduleYear, and windows in phase
// order without overlap. It returns FieldErrors or nil, keyed
// "schedule.<phase>" or, for one end, "schedule.<phase>.start" and
// "schedule.<phase>.end".
func (s Schedule) Check() error {
	f := FieldErrors{}
	var last time.Time
	var lastPhase voting.Phase
	for _, p := range Phases() {
		w, ok := s[p]
		if !ok {
			continue
		}
		key := "schedule." + string(p)
		if p == voting.PhaseDraft || p == voting.PhasePublished {
			f[key] = "this phase has no window"
			continue
		}
		absurd := false
		for end, t := range map[string]*time.Time{"start": w.Start, "end": w.End} {
			if t != nil && (t.Year() < FirstScheduleYear || t.Year() > LastScheduleYear) {
				f[key+"."+end] = fmt.Sprintf("must be a time in the years %d to %d", FirstScheduleYear, LastScheduleYear)
				absurd = true
			}
		}
		if absurd {
			continue
		}
		if w.Start != nil && w.End != nil && !w.Start.Before(*w.End) {
			f[key] = "start must be before end"
			continue
		}
		for _, t := range []*time.Time{w.Start, w.End} {
			if t == nil {
				continue
			}
			if !last.IsZero() && t.Before(last) {
				f[key] = fmt.Sprintf("must not begin before the %s window ends", lastPhase)
			}
			last, lastPhase = *t, p
		}
	}
	for p := range s {
		if !ValidPhase(p) {
			f["schedule."+string(p)] = "is not a phase"
		}
	}
	return f.Err()
}

// CheckChange validates s as the schedule replacing old while the edition
// is in phase current, at now. Besides what Check validates, it refuses to
// end the running phase by the back door: a new end of the current phase's
// window, or a new start of the next phase's, at or before now would have
// the scheduler close the phase at once. That takes closeNow, the
// organiser's confirmation that the phase is to close now. A time that is
// already past but unchanged from old is kept as it is. It returns
// FieldErrors or nil.
func (s Schedule) CheckChange(old Schedule, current voting.Phase, now time.Time, closeNow bool) error {
	if err := s.Check(); err != nil {
		return err
	}
	if closeNow {
		return nil
	}
	f := FieldErrors{}
	moved := func(t, was *time.Time) bool {
		return t != nil && !now.Before(*t) && (was == nil || !t.Equal(*was))
	}
	msg := fmt.Sprintf(`is not after now, which would close the %s phase at once; send "close_now": true to close it now`, current)
	if moved(s[current].End, old[current].End) {
		f["schedule."+string(current)+".end"] = msg
	}
	if next, ok := NextPhase(current); ok && moved(s[next].Start, old[next].Start) {
		f["schedule."+string(next)+".start"] = msg
	}
	return f.Err()
}

// Due reports whether, by the schedule, an edition in phase current should
// have moved on at now: the current phase's window has ended, or the next
// phase's window has begun.
func (s Schedule) Due(current voting.Phase, now time.Time) bool {
	next, ok := NextPhase(current)
	if !ok {
		return false
	}
	if w, ok := s[current]; ok && w.End != nil && !now.Before(*w.End) {
		return true
	}
	if w, ok := s[next]; ok && w.Start != nil && !now.Before(*w.Start) {
		return true
	}
	return false
}
