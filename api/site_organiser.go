package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// The organisers' workspace: the editions, each with its rules, schedule
// and phase control (what the next step does, and why it may be refused);
// the review queue; ties to decide; the jury panels with their progress and
// the provisional Winners with the sensitivity report; and the audit log
// with its verification. Every action goes through the stores the API's
// organiser routes use, as the signed-in organiser, and so lands in the
// audit log as it does from the API.

// organiserRoutes registers the organisers' pages of the stores the server
// has.
func (st *site) organiserRoutes(g *gin.RouterGroup) {
	public := Policy{Public: true}
	cfg := st.prizes
	st.handle(g, http.MethodGet, "/organise", public, st.organiseEditions)
	st.handle(g, http.MethodPost, "/organise", public, st.organiseCreate)
	st.handle(g, http.MethodGet, "/:edition/organise", public, st.organiseEdition)
	st.handle(g, http.MethodPost, "/:edition/organise/phase", public, st.organiseAdvance)
	st.settingsRoutes(g)
	if cfg.Review != nil {
		st.handle(g, http.MethodGet, "/:edition/organise/review", public, st.organiseReview)
		st.handle(g, http.MethodPost, "/:edition/organise/review", public, st.organiseDecide)
	}
	if cfg.Champions != nil {
		st.handle(g, http.MethodGet, "/:edition/organise/ties", public, st.organiseTies)
		st.handle(g, http.MethodPost, "/:edition/organise/ties", public, st.organiseDecideTie)
		st.handle(g, http.MethodGet, "/:edition/organise/champions", public, st.organiseChampions)
	}
	if cfg.Jury != nil {
		st.handle(g, http.MethodGet, "/:edition/organise/jury", public, st.organiseJury)
		st.handle(g, http.MethodPost, "/:edition/organise/jury", public, st.organiseAssign)
	}
	if cfg.Fraud != nil {
		st.handle(g, http.MethodGet, "/:edition/organise/fraud", public, st.organiseFraud)
		st.handle(g, http.MethodGet, "/:edition/organise/fraud/:id", public, st.organiseFraudCase)
		st.handle(g, http.MethodPost, "/:edition/organise/fraud/:id", public, st.organiseFraudDecide)
	}
	if cfg.Audit != nil {
		st.handle(g, http.MethodGet, "/:edition/organise/audit", public, st.organiseAudit)
	}
	if cfg.Activity != nil {
		st.handle(g, http.MethodGet, "/:edition/organise/dashboard", public, st.organiseDashboard)
	}
	st.invitationRoutes(g)
}

// organiserEdition checks the reader is an organiser and returns them
// with the path's edition.
func (st *site) organiserEdition(c *gin.Context) (prizes.Actor, prizes.Edition, bool) {
	return st.roleEdition(c, RoleOrganiser)
}

// roleEdition checks the reader holds role and returns them, as the
// stores' actor in that role, with the path's edition; it answers the
// reader itself when either is missing.
func (st *site) roleEdition(c *gin.Context, role string) (prizes.Actor, prizes.Edition, bool) {
	actor, ok := st.requireRole(c, role)
	if !ok {
		return prizes.Actor{}, prizes.Edition{}, false
	}
	ed, ok := st.workspaceEdition(c)
	return actor, ed, ok
}

// organisePage starts an organiser's page of ed, with the workspace's
// navigation marked at section.
func (st *site) organisePage(c *gin.Context, ed prizes.Edition, section, title string) *page {
	p := st.newPage(c, "")
	p.Title = p.T(title)
	p.CSRF = st.csrfToken(c)
	p.Section = section
	return p
}

// editionsView is the editions page's data: every edition, and the new
// edition form with what the organiser sent.
type editionsView struct {
	Editions   []prizes.Edition
	Categories []voting.Category
	ID, Name   string
	// Chosen are the codes of the categories ticked.
	Chosen map[string]bool
}

// organiseEditions is GET /{lang}/organise: every edition with its phase,
// and the form that starts a new one.
func (st *site) organiseEditions(c *gin.Context) {
	if _, ok := st.requireRole(c, RoleOrganiser); !ok {
		return
	}
	v := editionsView{Categories: prizes.WSISCategories(), Chosen: map[string]bool{}}
	for _, cat := range v.Categories {
		v.Chosen[cat.Code] = true
	}
	st.renderEditions(c, http.StatusOK, v, nil)
}

func (st *site) renderEditions(c *gin.Context, status int, v editionsView, errs []formError) {
	eds, err := st.prizes.Editions.Editions(c.Request.Context())
	if err != nil {
		st.problem(c, err)
		return
	}
	v.Editions = eds
	p := st.newPage(c, "")
	p.Title = p.T("org.editions.title")
	p.CSRF = st.csrfToken(c)
	p.Errors = errs
	p.Data = v
	st.render(c, status, "org-editions", p)
}

// organiseCreate is POST /{lang}/organise: a new edition in draft, with
// the WSIS rules and the categories ticked, through the store the API's
// POST /editions uses. Its settings page comes next.
func (st *site) organiseCreate(c *gin.Context) {
	actor, ok := st.requireRole(c, RoleOrganiser)
	if !ok {
		return
	}
	t := st.i18n.for_(c.GetString("prizes.lang"))
	v := editionsView{Categories: prizes.WSISCategories(), Chosen: map[string]bool{},
		ID: strings.TrimSpace(c.PostForm("id")), Name: strings.TrimSpace(c.PostForm("name"))}
	if !st.checkCSRF(c) {
		st.renderEditions(c, http.StatusForbidden, v, []formError{{Message: t.T("errors.csrf")}})
		return
	}
	n := prizes.NewEdition{ID: v.ID, Name: v.Name}
	for _, code := range c.PostFormArray("category") {
		v.Chosen[code] = true
	}
	for _, cat := range v.Categories {
		if v.Chosen[cat.Code] {
			n.Categories = append(n.Categories, cat)
		}
	}
	var err error
	if len(n.Categories) == 0 {
		err = prizes.FieldErrors{"categories": "none chosen"}
	} else {
		_, err = st.prizes.Editions.CreateEdition(c.Request.Context(), actor, n)
	}
	if err != nil {
		st.logFailure(c, kindOf(err), err)
		errs := fieldErrors(t, err, []string{"id", "name", "categories"}, func(field string) string {
			return t.T("org.new.error." + strings.SplitN(field, "[", 2)[0])
		})
		st.renderEditions(c, kindOf(err).status, v, errs)
		return
	}
	c.Redirect(http.StatusSeeOther, "/"+c.GetString("prizes.lang")+"/"+n.ID+"/organise/settings?done=created")
}

// phaseStep is the phase control: the step from the current phase to the
// next, what it does and what can refuse it.
type phaseStep struct {
	From, To voting.Phase
	// Does and Refused are message keys.
	Does, Refused string
}

func stepOf(ed prizes.Edition) (phaseStep, bool) {
	to, ok := prizes.NextPhase(ed.Phase)
	if !ok {
		return phaseStep{}, false
	}
	return phaseStep{From: ed.Phase, To: to, Does: "org.step." + string(to) + ".does", Refused: "org.step." + string(to) + ".refused"}, true
}

// scheduleRow is one phase's window.
type scheduleRow struct {
	Phase      voting.Phase
	Start, End *time.Time
	Current    bool
}

// organiseEdition is GET /{lang}/{edition}/organise: the edition's rules,
// schedule and phase control.
func (st *site) organiseEdition(c *gin.Context) {
	_, ed, ok := st.organiserEdition(c)
	if !ok {
		return
	}
	st.renderEdition(c, http.StatusOK, ed, nil)
}

func (st *site) renderEdition(c *gin.Context, status int, ed prizes.Edition, errs []formError) {
	p := st.organisePage(c, ed, "edition", "org.edition.title")
	p.Errors = errs
	var rows []scheduleRow
	for _, ph := range prizes.Phases() {
		w, ok := ed.Schedule[ph]
		if !ok && ph != ed.Phase {
			continue
		}
		rows = append(rows, scheduleRow{Phase: ph, Start: w.Start, End: w.End, Current: ph == ed.Phase})
	}
	step, hasStep := stepOf(ed)
	p.Data = map[string]any{"Edition": ed, "Schedule": rows, "Step": step, "HasStep": hasStep,
		"Done": c.Query("done"), "Published": ed.Phase == voting.PhasePublished}
	st.render(c, status, "org-edition", p)
}

// organiseAdvance is POST /{lang}/{edition}/organise/phase with to: the
// edition moves to its next phase, through the store the API's phase
// route uses. A refusal is said at the top of the edition's page, whose
// phase control says when the step is refused; a tie sends the reader to
// the ties.
func (st *site) organiseAdvance(c *gin.Context) {
	actor, ed, ok := st.organiserEdition(c)
	if !ok {
		return
	}
	t := st.i18n.for_(c.GetString("prizes.lang"))
	if !st.checkCSRF(c) {
		st.renderEdition(c, http.StatusForbidden, ed, []formError{{Message: t.T("errors.csrf")}})
		return
	}
	to := voting.Phase(c.PostForm("to"))
	next, err := st.prizes.Editions.Advance(c.Request.Context(), actor, ed.ID, to)
	if err != nil {
		st.logFailure(c, kindOf(err), err)
		if kindOf(err).status == http.StatusNotFound {
			st.problem(c, err)
			return
		}
		errs := []formError{{Message: t.T(errorMessageKey(kindOf(err).code))}}
		var tie *prizes.TieError
		var phase *prizes.PhaseError
		switch {
		case errors.As(err, &tie):
			errs = []formError{{Message: t.TN("org.step.ties", len(tie.Ties))}}
		case errors.As(err, &phase):
			errs = []formError{{Message: t.T("org.step.stale", "Phase", t.T("org.phase."+string(phase.Phase)))}}
		}
		if cur, err := st.prizes.Editions.Edition(c.Request.Context(), ed.ID); err == nil {
			ed = cur
		}
		st.renderEdition(c, kindOf(err).status, ed, errs)
		return
	}
	c.Redirect(http.StatusSeeOther, "/"+c.GetString("prizes.lang")+"/"+next.ID+"/organise?done="+string(next.Phase))
}
