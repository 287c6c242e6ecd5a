package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// The settings page: an edition's rules (until voting opens and freezes
// them) and its schedule, each a plain form posted to the site, which
// writes through the same store methods as PATCH /rules and PUT /schedule
// and re-renders the form with the organiser's input and the errors when
// they refuse. Times are entered and shown in UTC.

// scheduleInput is the layout of a datetime-local field.
const scheduleInput = "2006-01-02T15:04"

// ruleNumbers are the whole-number rules of the form, in its order.
var ruleNumbers = []string{"votes_per_category", "nominees_per_category", "champions_per_category", "winners_per_category"}

// ruleFlags are the rules set by a checkbox.
var ruleFlags = []string{"public_tally", "complete_ballot", "vote_challenge"}

// ruleOrder is the order of the rules form's fields, for its error summary.
var ruleOrder = []string{"one_per", "votes_per_category", "nominees_per_category", "champions_per_category",
	"winners_per_category", "public_tally", "complete_ballot", "vote_challenge", "fraud_flag_at", "fraud_reject_at",
	"aggregation", "rubric"}

// windowField is one end of a phase's window on the form.
type windowField struct {
	ID, Value string
}

// windowRow is one phase of the schedule form.
type windowRow struct {
	Phase      voting.Phase
	Start, End windowField
	Current    bool
}

// settingsView is the settings page's data: the edition, and the values
// the forms show (the edition's, or what the organiser sent).
type settingsView struct {
	Edition prizes.Edition
	// Values are the rules form's fields by name, as text.
	Values map[string]string
	// Weights are the rubric's weights by criterion key, as text.
	Weights  map[string]string
	Schedule []windowRow
	// Frozen says the rules can no longer change (voting has opened), and
	// Closed that the schedule cannot either (the edition is published).
	Frozen, Closed bool
	// AskCloseNow shows the confirmation that closes the running phase.
	AskCloseNow bool
	Done        string
}

// settingsRoutes registers the settings page.
func (st *site) settingsRoutes(g *gin.RouterGroup) {
	public := Policy{Public: true}
	st.handle(g, http.MethodGet, "/:edition/organise/settings", public, st.organiseSettings)
	st.handle(g, http.MethodPost, "/:edition/organise/settings/rules", public, st.organiseRules)
	st.handle(g, http.MethodPost, "/:edition/organise/settings/schedule", public, st.organiseSchedule)
}

// settingsOf fills the forms with the edition's settings.
func settingsOf(ed prizes.Edition) settingsView {
	r := ed.Rules
	v := settingsView{Edition: ed, Frozen: !slices.Contains(prizes.ActionUpdateRules.Phases(), ed.Phase),
		Closed: !slices.Contains(prizes.ActionSetSchedule.Phases(), ed.Phase), Values: map[string]string{
			"one_per":                string(r.OnePer),
			"votes_per_category":     strconv.Itoa(r.VotesPerCategory),
			"nominees_per_category":  strconv.Itoa(r.NomineesPerCategory),
			"champions_per_category": strconv.Itoa(r.ChampionsPerCategory),
			"winners_per_category":   strconv.Itoa(r.WinnersPerCategory),
			"fraud_flag_at":          strconv.FormatFloat(r.FraudFlagAt, 'f', -1, 64),
			"fraud_reject_at":        strconv.FormatFloat(r.FraudRejectAt, 'f', -1, 64),
			"aggregation":            string(r.Aggregation),
		}, Weights: map[string]string{}}
	for _, f := range ruleFlags {
		v.Values[f] = ""
	}
	if r.PublicTally {
		v.Values["public_tally"] = "on"
	}
	if r.CompleteBallot {
		v.Values["complete_ballot"] = "on"
	}
	if r.VoteChallenge {
		v.Values["vote_challenge"] = "on"
	}
	for _, c := range r.Rubric {
		v.Weights[c.Key] = strconv.FormatFloat(c.Weight, 'f', -1, 64)
	}
	for _, ph := range prizes.Phases() {
		if ph == voting.PhaseDraft || ph == voting.PhasePublished {
			continue
		}
		w := ed.Schedule[ph]
		row := windowRow{Phase: ph, Current: ph == ed.Phase,
			Start: windowField{ID: fieldID("schedule." + string(ph) + ".start")},
			End:   windowField{ID: fieldID("schedule." + string(ph) + ".end")}}
		if w.Start != nil {
			row.Start.Value = w.Start.UTC().Format(scheduleInput)
		}
		if w.End != nil {
			row.End.Value = w.End.UTC().Format(scheduleInput)
		}
		v.Schedule = append(v.Schedule, row)
	}
	return v
}

// organiseSettings is GET /{lang}/{edition}/organise/settings.
func (st *site) organiseSettings(c *gin.Context) {
	_, ed, ok := st.organiserEdition(c)
	if !ok {
		return
	}
	v := settingsOf(ed)
	v.Done = c.Query("done")
	st.renderSettings(c, http.StatusOK, ed, v, nil)
}

func (st *site) renderSettings(c *gin.Context, status int, ed prizes.Edition, v settingsView, errs []formError) {
	p := st.organisePage(c, ed, "settings", "org.settings.title")
	p.Errors = errs
	p.Data = v
	st.render(c, status, "org-settings", p)
}

// rulesForm reads the rules form into a patch of every setting it holds,
// and the form's values as sent; a number that does not parse is a field
// error.
func rulesForm(c *gin.Context, ed prizes.Edition, v *settingsView) (map[string]any, prizes.FieldErrors) {
	f := prizes.FieldErrors{}
	patch := map[string]any{}
	for _, name := range ruleNumbers {
		s := strings.TrimSpace(c.PostForm(name))
		v.Values[name] = s
		n, err := strconv.Atoi(s)
		if err != nil {
			f[name] = "whole"
			continue
		}
		patch[name] = n
	}
	for _, name := range []string{"fraud_flag_at", "fraud_reject_at"} {
		s := strings.TrimSpace(c.PostForm(name))
		v.Values[name] = s
		x, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
		if err != nil {
			f[name] = "decimal"
			continue
		}
		patch[name] = x
	}
	for _, name := range ruleFlags {
		on := c.PostForm(name) == "on"
		v.Values[name] = map[bool]string{true: "on"}[on]
		patch[name] = on
	}
	for _, name := range []string{"one_per", "aggregation"} {
		v.Values[name] = c.PostForm(name)
		patch[name] = c.PostForm(name)
	}
	rubric := make([]prizes.Criterion, len(ed.Rules.Rubric))
	for i, cr := range ed.Rules.Rubric {
		s := strings.TrimSpace(c.PostForm("weight-" + cr.Key))
		v.Weights[cr.Key] = s
		w, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
		if err != nil {
			f["rubric["+strconv.Itoa(i)+"].weight"] = "decimal"
		}
		rubric[i] = prizes.Criterion{Key: cr.Key, Name: cr.Name, Weight: w}
	}
	patch["rubric"] = rubric
	return patch, f
}

// settingsPost starts a post of the settings page: the organiser, the
// edition, the reader's language and the forms filled with the edition's
// settings; a post without the session's CSRF token is answered here.
func (st *site) settingsPost(c *gin.Context) (prizes.Actor, prizes.Edition, tr, settingsView, bool) {
	actor, ed, ok := st.organiserEdition(c)
	if !ok {
		return prizes.Actor{}, prizes.Edition{}, tr{}, settingsView{}, false
	}
	t := st.i18n.for_(c.GetString("prizes.lang"))
	v := settingsOf(ed)
	if !st.checkCSRF(c) {
		st.renderSettings(c, http.StatusForbidden, ed, v, []formError{{Message: t.T("errors.csrf")}})
		return prizes.Actor{}, prizes.Edition{}, tr{}, settingsView{}, false
	}
	return actor, ed, t, v, true
}

// organiseRules is POST /{lang}/{edition}/organise/settings/rules.
func (st *site) organiseRules(c *gin.Context) {
	actor, ed, t, v, ok := st.settingsPost(c)
	if !ok {
		return
	}
	patch, f := rulesForm(c, ed, &v)
	var err error = f.Err()
	if err == nil {
		var body []byte
		if body, err = json.Marshal(patch); err == nil {
			_, err = st.prizes.Editions.UpdateRules(c.Request.Context(), actor, ed.ID, body)
		}
	}
	if err != nil {
		st.logFailure(c, kindOf(err), err)
		if kindOf(err).status == http.StatusNotFound {
			st.problem(c, err)
			return
		}
		errs := fieldErrors(t, err, ruleOrder, func(field string) string { return t.T(ruleMessage(field, f)) })
		st.renderSettings(c, kindOf(err).status, ed, v, errs)
		return
	}
	c.Redirect(http.StatusSeeOther, "/"+c.GetString("prizes.lang")+"/"+ed.ID+"/organise/settings?done=rules")
}

// ruleMessage is the catalogue key of a rules field's error: the form's
// own parse errors (in parsed) say what the field must look like, the
// store's say what the value must be.
func ruleMessage(field string, parsed prizes.FieldErrors) string {
	if kind, ok := parsed[field]; ok {
		return "org.settings.error." + kind
	}
	if strings.HasPrefix(field, "rubric") {
		return "org.settings.error.rubric"
	}
	return "org.settings.error." + field
}

// organiseSchedule is POST /{lang}/{edition}/organise/settings/schedule.
// A window that would close the running phase at once is refused until the
// organiser ticks the confirmation the refusal shows.
func (st *site) organiseSchedule(c *gin.Context) {
	actor, ed, t, v, ok := st.settingsPost(c)
	if !ok {
		return
	}
	sched := prizes.Schedule{}
	f := prizes.FieldErrors{}
	for i, row := range v.Schedule {
		var w prizes.Window
		for _, end := range []struct {
			field *windowField
			name  string
			to    **time.Time
		}{{&v.Schedule[i].Start, "start", &w.Start}, {&v.Schedule[i].End, "end", &w.End}} {
			s := strings.TrimSpace(c.PostForm(end.field.ID))
			end.field.Value = s
			if s == "" {
				continue
			}
			at, err := time.ParseInLocation(scheduleInput, s, time.UTC)
			if err != nil {
				f["schedule."+string(row.Phase)+"."+end.name] = "time"
				continue
			}
			*end.to = &at
		}
		if w.Start != nil || w.End != nil {
			sched[row.Phase] = w
		}
	}
	closeNow := c.PostForm("close_now") == "on"
	var err error = f.Err()
	if err == nil {
		_, err = st.prizes.Editions.SetSchedule(c.Request.Context(), actor, ed.ID, sched, closeNow)
	}
	if err != nil {
		st.logFailure(c, kindOf(err), err)
		if kindOf(err).status == http.StatusNotFound {
			st.problem(c, err)
			return
		}
		var order []string
		for _, row := range v.Schedule {
			order = append(order, "schedule."+string(row.Phase))
		}
		var refused prizes.FieldErrors
		errors.As(err, &refused)
		errs := fieldErrors(t, err, order, func(field string) string {
			key := scheduleMessage(field, f, refused[field])
			if key == "org.settings.error.closenow" {
				v.AskCloseNow = true
			}
			return t.T(key)
		})
		st.renderSettings(c, kindOf(err).status, ed, v, errs)
		return
	}
	c.Redirect(http.StatusSeeOther, "/"+c.GetString("prizes.lang")+"/"+ed.ID+"/organise/settings?done=schedule")
}

// scheduleMessage is the catalogue key of a schedule field's error, from
// the form's parse errors or from the store's message for the field.
func scheduleMessage(field string, parsed prizes.FieldErrors, refused string) string {
	switch {
	case parsed[field] != "":
		return "org.settings.error.time"
	case strings.Contains(refused, "close_now"):
		return "org.settings.error.closenow"
	case strings.Contains(refused, "years"):
		return "org.settings.error.year"
	}
	return "org.settings.error.window"
}
