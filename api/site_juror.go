package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// The jurors' workspace: their panel and its projects, each project in
// full with the weighted rubric form (saved as a draft as they go), the
// declaration of a conflict of interest, and the final submission after a
// confirmation. Everything comes from and goes through the JuryStore's
// juror methods, which show a juror their own panel, conflicts and
// scorecards only: a project outside the panel is a 404, as on the API.

// jurorProjectView is one project as its juror sees it, with the page's
// edition and rubric.
type jurorProjectView struct {
	Edition  prizes.Edition
	Category prizes.JurorCategory
	prizes.JurorProject
	Rubric []prizes.Criterion
	// Scores are the form's scores by criterion: the saved draft, or what
	// was just posted.
	Scores  map[string]int
	Comment string
	Range   []int
	// Reason is the conflict reason just posted.
	Reason string
	Done   string
}

// Scoring reports whether the juror may score the project now.
func (v jurorProjectView) Scoring() bool {
	return v.Edition.Phase == voting.PhaseJury && v.Conflict == nil && (v.Scorecard == nil || !v.Scorecard.Submitted())
}

// CanDeclare reports whether the juror may declare a conflict now.
func (v jurorProjectView) CanDeclare() bool {
	return v.Conflict == nil && (v.Scorecard == nil || !v.Scorecard.Submitted()) &&
		prizes.CheckPhase(v.Edition.ID, v.Edition.Phase, prizes.ActionDeclareConflict) == nil
}

// Score returns the form's score of criterion key, 0 when none.
func (v jurorProjectView) Score(key string) int { return v.Scores[key] }

// Weighted is the scorecard's weighted mean over the criteria scored.
func (v jurorProjectView) Weighted() float64 {
	var sum, weights float64
	for _, c := range v.Rubric {
		if s, ok := v.Scores[c.Key]; ok {
			sum += c.Weight * float64(s)
			weights += c.Weight
		}
	}
	if weights == 0 {
		return 0
	}
	return sum / weights
}

// Complete reports whether every criterion has a score.
func (v jurorProjectView) Complete() bool {
	for _, c := range v.Rubric {
		if _, ok := v.Scores[c.Key]; !ok {
			return false
		}
	}
	return true
}

// jurorState is where a juror stands with a project: conflict, submitted,
// draft or to score.
func jurorState(p prizes.JurorProject) string {
	switch {
	case p.Conflict != nil:
		return "conflict"
	case p.Scorecard != nil && p.Scorecard.Submitted():
		return "done"
	case p.Scorecard != nil:
		return "draft"
	}
	return "todo"
}

// jurorView returns the signed-in juror's view of the path's edition.
func (st *site) jurorView(c *gin.Context) (prizes.Actor, prizes.Edition, prizes.JurorView, bool) {
	actor, ok := st.requireRole(c, RoleJuror)
	if !ok {
		return prizes.Actor{}, prizes.Edition{}, prizes.JurorView{}, false
	}
	ed, ok := st.workspaceEdition(c)
	if !ok {
		return prizes.Actor{}, prizes.Edition{}, prizes.JurorView{}, false
	}
	v, err := st.prizes.Jury.JurorView(c.Request.Context(), actor, ed.ID)
	if err != nil {
		st.problem(c, err)
		return prizes.Actor{}, prizes.Edition{}, prizes.JurorView{}, false
	}
	return actor, ed, v, true
}

// jurorPanel is GET /{lang}/{edition}/jury: the juror's categories and
// their projects, each with where the juror stands.
func (st *site) jurorPanel(c *gin.Context) {
	_, ed, v, ok := st.jurorView(c)
	if !ok {
		return
	}
	type row struct {
		prizes.JurorProject
		State string
	}
	type cat struct {
		prizes.JurorCategory
		Rows       []row
		Done, Owed int
	}
	cats := make([]cat, len(v.Categories))
	for i, jc := range v.Categories {
		cats[i].JurorCategory = jc
		for _, p := range jc.Projects {
			s := jurorState(p)
			cats[i].Rows = append(cats[i].Rows, row{JurorProject: p, State: s})
			if s != "conflict" {
				cats[i].Owed++
			}
			if s == "done" {
				cats[i].Done++
			}
		}
	}
	p := st.newPage(c, "")
	p.Title = p.T("juror.panel.title")
	p.Data = map[string]any{"Edition": ed, "Categories": cats, "Scoring": ed.Phase == voting.PhaseJury,
		"Phase": p.T("phase." + string(ed.Phase)), "Done": c.Query("done")}
	st.render(c, http.StatusOK, "juror-panel", p)
}

// jurorProjectOf finds the path's project on the juror's panel, or answers
// 404 as the API does for a project outside it.
func (st *site) jurorProjectOf(c *gin.Context, ed prizes.Edition, v prizes.JurorView) (jurorProjectView, bool) {
	id := c.Param("project")
	for _, jc := range v.Categories {
		for _, p := range jc.Projects {
			if p.ID == id {
				pv := jurorProjectView{Edition: ed, Category: jc, JurorProject: p, Rubric: v.Rubric, Scores: map[string]int{}}
				for n := prizes.ScoreMin; n <= prizes.ScoreMax; n++ {
					pv.Range = append(pv.Range, n)
				}
				if p.Scorecard != nil {
					for k, s := range p.Scorecard.Scores {
						pv.Scores[k] = s
					}
					pv.Comment = p.Scorecard.Comment
				}
				return pv, true
			}
		}
	}
	st.notFound(c)
	return jurorProjectView{}, false
}

// jurorProject is GET /{lang}/{edition}/jury/{project}: the project in full,
// the conflict declaration and the rubric form.
func (st *site) jurorProject(c *gin.Context) {
	_, ed, v, ok := st.jurorView(c)
	if !ok {
		return
	}
	pv, ok := st.jurorProjectOf(c, ed, v)
	if !ok {
		return
	}
	pv.Done = c.Query("done")
	st.renderJurorProject(c, http.StatusOK, "juror-project", pv, nil)
}

func (st *site) renderJurorProject(c *gin.Context, status int, name string, pv jurorProjectView, errs []formError) {
	p := st.newPage(c, "")
	p.Title = pv.Title
	if name == "juror-confirm" {
		p.Title = p.T("juror.confirm.title")
	}
	p.CSRF = st.csrfToken(c)
	p.Errors = errs
	p.Data = pv
	st.render(c, status, name, p)
}

// scoresForm reads the rubric form: a score per criterion (score-KEY),
// left out when not chosen yet, and the comment.
func scoresForm(c *gin.Context, rubric []prizes.Criterion) (prizes.ScoreDraft, prizes.FieldErrors) {
	d := prizes.ScoreDraft{Scores: map[string]int{}, Comment: c.PostForm("comment")}
	f := prizes.FieldErrors{}
	for _, cr := range rubric {
		raw := strings.TrimSpace(c.PostForm("score-" + cr.Key))
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil {
			f["scores."+cr.Key] = "must be a whole number"
			continue
		}
		d.Scores[cr.Key] = n
	}
	return d, f
}

// jurorMessage is the reader's message for a field of the juror's forms.
func jurorMessage(t tr, p *page, rubric []prizes.Criterion) func(string) string {
	return func(field string) string {
		if key, ok := strings.CutPrefix(field, "scores."); ok {
			name := key
			for _, c := range rubric {
				if c.Key == key {
					name = p.CriterionName(c)
				}
			}
			return t.T("juror.error.score", "Criterion", name, "Min", t.Number(prizes.ScoreMin), "Max", t.Number(prizes.ScoreMax))
		}
		return t.T("juror.error." + field)
	}
}

// jurorSave is POST /{lang}/{edition}/jury/{project}: the scorecard saved
// as a draft (action=save, and the page's script as the juror goes), or
// saved and taken to the confirmation (action=review).
func (st *site) jurorSave(c *gin.Context) {
	actor, ed, v, ok := st.jurorView(c)
	if !ok {
		return
	}
	pv, ok := st.jurorProjectOf(c, ed, v)
	if !ok {
		return
	}
	p := st.newPage(c, "")
	t := p.tr
	d, ferr := scoresForm(c, v.Rubric)
	pv.Scores, pv.Comment = d.Scores, d.Comment
	var err error
	switch {
	case !st.checkCSRF(c):
		err = errCSRF
	case len(ferr) > 0:
		err = ferr
	default:
		_, err = st.prizes.Jury.SaveScores(c.Request.Context(), actor, ed.ID, pv.ID, d)
	}
	self := p.L(ed.ID, "jury", pv.ID)
	if err == nil && c.PostForm("action") == "review" && !pv.Complete() {
		err = missingScores(pv)
	}
	var errs []formError
	if err != nil {
		st.logFailure(c, kindOf(err), err)
		errs = jurorErrors(t, p, err, v.Rubric)
	}
	if wantsJSON(c) {
		if err != nil {
			autosaved(c, statusOf(err), t.T("juror.autosave.failed"), errs, "")
			return
		}
		autosaved(c, http.StatusOK, t.T("owner.autosave.saved", "Time", t.Clock(st.now())), nil, self)
		return
	}
	if err != nil {
		if kindOf(err).status == http.StatusNotFound {
			st.problem(c, err)
			return
		}
		st.renderJurorProject(c, statusOf(err), "juror-project", pv, errs)
		return
	}
	if c.PostForm("action") == "review" {
		c.Redirect(http.StatusSeeOther, self+"/submit")
		return
	}
	c.Redirect(http.StatusSeeOther, self+"?done=saved")
}

// missingScores is the refusal to go on to submission with criteria left
// unscored: the draft is saved, and the form says which.
func missingScores(pv jurorProjectView) error {
	f := prizes.FieldErrors{}
	for _, c := range pv.Rubric {
		if _, ok := pv.Scores[c.Key]; !ok {
			f["scores."+c.Key] = "is required to submit"
		}
	}
	return f
}

// errCSRF is a form whose CSRF token does not match.
var errCSRF = &csrfError{}

type csrfError struct{}

func (*csrfError) Error() string { return "csrf token does not match" }

// statusOf is the status of a refused form.
func statusOf(err error) int {
	if err == errCSRF {
		return http.StatusForbidden
	}
	return kindOf(err).status
}

func jurorErrors(t tr, p *page, err error, rubric []prizes.Criterion) []formError {
	if err == errCSRF {
		return []formError{{Message: t.T("errors.csrf")}}
	}
	order := []string{"reason"}
	for _, c := range rubric {
		order = append(order, "scores."+c.Key)
	}
	return fieldErrors(t, err, append(order, "comment"), jurorMessage(t, p, rubric))
}

// jurorConflict is POST /{lang}/{edition}/jury/{project}/conflict: the
// juror declares a conflict of interest with the project, with a reason,
// and will not score it.
func (st *site) jurorConflict(c *gin.Context) {
	actor, ed, v, ok := st.jurorView(c)
	if !ok {
		return
	}
	pv, ok := st.jurorProjectOf(c, ed, v)
	if !ok {
		return
	}
	p := st.newPage(c, "")
	pv.Reason = c.PostForm("reason")
	var err error
	if !st.checkCSRF(c) {
		err = errCSRF
	} else {
		_, _, err = st.prizes.Jury.DeclareConflict(c.Request.Context(), actor, ed.ID, pv.ID, pv.Reason)
	}
	if err != nil {
		if kindOf(err).status == http.StatusNotFound {
			st.problem(c, err)
			return
		}
		st.logFailure(c, kindOf(err), err)
		st.renderJurorProject(c, statusOf(err), "juror-project", pv, jurorErrors(p.tr, p, err, v.Rubric))
		return
	}
	c.Redirect(http.StatusSeeOther, p.L(ed.ID, "jury", pv.ID)+"?done=conflict")
}

// jurorConfirm is GET /{lang}/{edition}/jury/{project}/submit: the
// scorecard to check before it is submitted for good.
func (st *site) jurorConfirm(c *gin.Context) {
	_, ed, v, ok := st.jurorView(c)
	if !ok {
		return
	}
	pv, ok := st.jurorProjectOf(c, ed, v)
	if !ok {
		return
	}
	if !pv.Scoring() || !pv.Complete() {
		c.Redirect(http.StatusSeeOther, "/"+c.GetString("prizes.lang")+"/"+ed.ID+"/jury/"+pv.ID)
		return
	}
	st.renderJurorProject(c, http.StatusOK, "juror-confirm", pv, nil)
}

// jurorSubmit is POST /{lang}/{edition}/jury/{project}/submit: the
// scorecard submitted; it cannot change afterwards.
func (st *site) jurorSubmit(c *gin.Context) {
	actor, ed, v, ok := st.jurorView(c)
	if !ok {
		return
	}
	pv, ok := st.jurorProjectOf(c, ed, v)
	if !ok {
		return
	}
	if !st.checkCSRF(c) {
		st.csrfRefused(c)
		return
	}
	if _, err := st.prizes.Jury.SubmitScores(c.Request.Context(), actor, ed.ID, pv.ID); err != nil {
		p := st.newPage(c, "")
		st.logFailure(c, kindOf(err), err)
		if kindOf(err).status == http.StatusNotFound {
			st.problem(c, err)
			return
		}
		st.renderJurorProject(c, statusOf(err), "juror-project", pv, jurorErrors(p.tr, p, err, v.Rubric))
		return
	}
	c.Redirect(http.StatusSeeOther, "/"+c.GetString("prizes.lang")+"/"+ed.ID+"/jury?done=submitted")
}

// CriterionName returns a rubric criterion's name in the reader's language
// when the catalogue has one and the edition kept its English name.
func (p *page) CriterionName(c prizes.Criterion) string {
	key := "rubric." + c.Key
	if p.en.T(key) != c.Name {
		return c.Name
	}
	return p.T(key)
}

// Decimal formats x with up to two decimals in the reader's language.
func (p *page) Decimal(x float64) string {
	return p.tr.decimal(x)
}
