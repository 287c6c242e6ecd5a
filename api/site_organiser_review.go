package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// reviewView is one category's review queue.
type reviewView struct {
	Edition  prizes.Edition
	Category voting.Category
	Queue    prizes.ReviewQueue
	// Open is whether decisions can be taken now (the review phase).
	Open bool
	// Project and Reason are the decision just refused, kept in its form.
	Project, Reason string
	// Files are the entries' files by entry id, nil when the site keeps
	// none; Lang is the reader's language, for their addresses.
	Files map[string][]prizes.File
	Lang  string
	// Exports says the site offers the entries' CSV and ZIP.
	Exports bool
}

// FileURL is the site address of the blob named hash.
func (v reviewView) FileURL(hash string) string { return siteFileURL(v.Lang, v.Edition.ID, hash) }

// Waiting counts the entries that still need a decision.
func (v reviewView) Waiting() int {
	n := 0
	for _, s := range v.Queue.Entries {
		if s.Status == prizes.StatusSubmitted {
			n++
		}
	}
	return n
}

// organiseReview is GET /{lang}/{edition}/organise/review?category=CODE:
// a category's entries with their owners' details, the cap and how many
// are nominated, each with its decision.
func (st *site) organiseReview(c *gin.Context) {
	_, ed, ok := st.organiserEdition(c)
	if !ok {
		return
	}
	st.renderReview(c, http.StatusOK, ed, c.Query("category"), "", "", nil)
}

func (st *site) renderReview(c *gin.Context, status int, ed prizes.Edition, category, project, reason string, errs []formError) {
	if category == "" && len(ed.Categories) > 0 {
		category = ed.Categories[0].Code
	}
	cat, ok := ed.Category(category)
	if !ok {
		st.notFound(c)
		return
	}
	q, err := st.prizes.Review.ReviewQueue(c.Request.Context(), ed.ID, category)
	if err != nil && kindOf(err).code != prizes.ErrWrongPhase.Code {
		st.problem(c, err)
		return
	}
	v := reviewView{Edition: ed, Category: cat, Queue: q, Open: ed.Phase == voting.PhaseReview, Project: project, Reason: reason,
		Lang: c.GetString("prizes.lang")}
	if v.Exports = st.prizes.Files != nil; v.Exports {
		ids := make([]string, len(q.Entries))
		for i, e := range q.Entries {
			ids[i] = e.ID
		}
		if v.Files, err = st.prizes.Files.Store.FilesOf(c.Request.Context(), ed.ID, ids); err != nil {
			st.problem(c, err)
			return
		}
	}
	p := st.organisePage(c, ed, "review", "org.review.title")
	p.Errors = errs
	p.Data = v
	st.render(c, status, "org-review", p)
}

// organiseDecide is POST /{lang}/{edition}/organise/review: one decision,
// nominate or reject with a reason, through the ReviewStore.
func (st *site) organiseDecide(c *gin.Context) {
	actor, ed, ok := st.organiserEdition(c)
	if !ok {
		return
	}
	t := st.i18n.for_(c.GetString("prizes.lang"))
	category := c.PostForm("category")
	d := prizes.ReviewDecision{ProjectID: c.PostForm("project"), Decision: c.PostForm("decision"), Reason: strings.TrimSpace(c.PostForm("reason"))}
	if !st.checkCSRF(c) {
		st.renderReview(c, http.StatusForbidden, ed, category, d.ProjectID, d.Reason, []formError{{Message: t.T("errors.csrf")}})
		return
	}
	if _, err := st.prizes.Review.Review(c.Request.Context(), actor, ed.ID, []prizes.ReviewDecision{d}); err != nil {
		st.logFailure(c, kindOf(err), err)
		errs := fieldErrors(t, err, nil, func(field string) string {
			if strings.HasSuffix(field, ".reason") {
				return t.T("org.review.error.reason")
			}
			return t.T("org.review.error.decision")
		})
		for i := range errs {
			if strings.HasSuffix(errs[i].Field, "-reason") {
				errs[i].Field = "reason-" + d.ProjectID
			} else {
				errs[i].Field = ""
			}
		}
		st.renderReview(c, kindOf(err).status, ed, category, d.ProjectID, d.Reason, errs)
		return
	}
	c.Redirect(http.StatusSeeOther, "/"+c.GetString("prizes.lang")+"/"+ed.ID+"/organise/review?category="+category)
}

// tieView is one tie to decide, with its nominees' titles.
type tieView struct {
	prizes.Tie
	Titles map[string]string
	// Places are the positions to fill, 1 to len(Projects).
	Places []int
}

// organiseTies is GET /{lang}/{edition}/organise/ties: the ties at a cut
// that need an organiser's decision, the Champion ties while counting and
// the Winner ties during the jury phase, each with the ranking behind it.
func (st *site) organiseTies(c *gin.Context) {
	_, ed, ok := st.organiserEdition(c)
	if !ok {
		return
	}
	st.renderTies(c, http.StatusOK, ed, nil)
}

func (st *site) renderTies(c *gin.Context, status int, ed prizes.Edition, errs []formError) {
	ctx := c.Request.Context()
	var ties []tieView
	var cats []prizes.CategoryChampions
	switch ed.Phase {
	case voting.PhaseCounting:
		pv, err := st.prizes.Champions.PreviewChampions(ctx, ed.ID)
		if err != nil {
			st.problem(c, err)
			return
		}
		cats = pv.Categories
		for _, tie := range pv.Ties {
			ties = append(ties, tieView{Tie: tie})
		}
	case voting.PhaseJury:
		if st.prizes.Jury != nil {
			rep, err := st.prizes.Jury.JuryReport(ctx, ed.ID)
			if err != nil {
				st.problem(c, err)
				return
			}
			for _, rc := range rep.Categories {
				if ids := rc.Result.TieAtCut(); ids != nil {
					ties = append(ties, tieView{Tie: prizes.Tie{Stage: prizes.StageWinners, Category: rc.Result.Category, Projects: ids}})
				}
			}
		}
		var err error
		if cats, err = st.prizes.Champions.Champions(ctx, ed.ID); err != nil {
			st.problem(c, err)
			return
		}
	}
	titles := map[string]string{}
	for _, cc := range cats {
		for _, n := range cc.Nominees {
			titles[n.ProjectID] = n.Title
		}
	}
	for i := range ties {
		ties[i].Titles = titles
		for n := range ties[i].Projects {
			ties[i].Places = append(ties[i].Places, n+1)
		}
	}
	p := st.organisePage(c, ed, "ties", "org.ties.title")
	p.Errors = errs
	p.Data = map[string]any{"Edition": ed, "Ties": ties, "Categories": cats, "Done": c.Query("done")}
	st.render(c, status, "org-ties", p)
}

// organiseDecideTie is POST /{lang}/{edition}/organise/ties: the order of
// a tie's projects, best first (place-1, place-2, ...), with the reason.
func (st *site) organiseDecideTie(c *gin.Context) {
	actor, ed, ok := st.organiserEdition(c)
	if !ok {
		return
	}
	t := st.i18n.for_(c.GetString("prizes.lang"))
	if !st.checkCSRF(c) {
		st.renderTies(c, http.StatusForbidden, ed, []formError{{Message: t.T("errors.csrf")}})
		return
	}
	d := prizes.TieDecision{Stage: prizes.Stage(c.PostForm("stage")), Category: c.PostForm("category"), Reason: c.PostForm("reason")}
	for i := 1; ; i++ {
		id, ok := c.GetPostForm("place-" + strconv.Itoa(i))
		if !ok {
			break
		}
		d.Order = append(d.Order, id)
	}
	if _, err := st.prizes.Champions.DecideTie(c.Request.Context(), actor, ed.ID, d); err != nil {
		st.logFailure(c, kindOf(err), err)
		errs := fieldErrors(t, err, []string{"order", "reason"}, func(field string) string {
			return t.T("org.ties.error." + strings.SplitN(field, "[", 2)[0])
		})
		for i := range errs {
			if errs[i].Field == "reason" {
				errs[i].Field = "reason-" + d.Category
			} else {
				errs[i].Field = ""
			}
		}
		st.renderTies(c, kindOf(err).status, ed, errs)
		return
	}
	c.Redirect(http.StatusSeeOther, "/"+c.GetString("prizes.lang")+"/"+ed.ID+"/organise/ties?done="+d.Category)
}

// organiseJury is GET /{lang}/{edition}/organise/jury: the panels, the
// form to assign a juror, and in the jury phase each panel's progress and
// the provisional Winners with the reasoning and the sensitivity report.
func (st *site) organiseJury(c *gin.Context) {
	_, ed, ok := st.organiserEdition(c)
	if !ok {
		return
	}
	st.renderJury(c, http.StatusOK, ed, "", "", nil)
}

// panelView is one category's panel.
type panelView struct {
	Category voting.Category
	Jurors   []int64
	Report   *prizes.JuryReportCategory
}

func (st *site) renderJury(c *gin.Context, status int, ed prizes.Edition, juror, category string, errs []formError) {
	ctx := c.Request.Context()
	as, err := st.prizes.Jury.Assignments(ctx, ed.ID)
	if err != nil {
		st.problem(c, err)
		return
	}
	panels := make([]panelView, len(ed.Categories))
	idx := map[string]int{}
	for i, cat := range ed.Categories {
		panels[i].Category = cat
		idx[cat.Code] = i
	}
	for _, a := range as {
		if i, ok := idx[a.Category]; ok {
			panels[i].Jurors = append(panels[i].Jurors, a.JurorID)
		}
	}
	if prizes.CheckPhase(ed.ID, ed.Phase, prizes.ActionJuryReport) == nil {
		rep, err := st.prizes.Jury.JuryReport(ctx, ed.ID)
		if err != nil {
			st.problem(c, err)
			return
		}
		for i := range rep.Categories {
			if j, ok := idx[rep.Categories[i].Progress.Category]; ok {
				panels[j].Report = &rep.Categories[i]
			}
		}
	}
	p := st.organisePage(c, ed, "jury", "org.jury.title")
	p.Errors = errs
	p.Data = map[string]any{"Edition": ed, "Panels": panels, "Juror": juror, "Category": category,
		"CanAssign": prizes.CheckPhase(ed.ID, ed.Phase, prizes.ActionAssignJuror) == nil, "Done": c.Query("done")}
	st.render(c, status, "org-jury", p)
}

// organiseAssign is POST /{lang}/{edition}/organise/jury: a juror, by
// account number, assigned to a category's panel.
func (st *site) organiseAssign(c *gin.Context) {
	actor, ed, ok := st.organiserEdition(c)
	if !ok {
		return
	}
	t := st.i18n.for_(c.GetString("prizes.lang"))
	juror, category := strings.TrimSpace(c.PostForm("juror")), c.PostForm("category")
	if !st.checkCSRF(c) {
		st.renderJury(c, http.StatusForbidden, ed, juror, category, []formError{{Message: t.T("errors.csrf")}})
		return
	}
	id, err := strconv.ParseInt(juror, 10, 64)
	if err != nil || id <= 0 {
		st.renderJury(c, http.StatusUnprocessableEntity, ed, juror, category, []formError{{Field: "juror", Message: t.T("org.jury.error.juror")}})
		return
	}
	if err := st.prizes.Jury.Assign(c.Request.Context(), actor, ed.ID, id, category); err != nil {
		st.logFailure(c, kindOf(err), err)
		errs := fieldErrors(t, err, []string{"category", "juror"}, func(field string) string {
			if field == "category" {
				return t.T("org.jury.error.category")
			}
			return t.T("org.jury.error.juror")
		})
		for i := range errs {
			if errs[i].Field != "category" {
				errs[i].Field = "juror"
			}
		}
		st.renderJury(c, kindOf(err).status, ed, juror, category, errs)
		return
	}
	c.Redirect(http.StatusSeeOther, "/"+c.GetString("prizes.lang")+"/"+ed.ID+"/organise/jury?done=assigned")
}

// organiseAudit is GET /{lang}/{edition}/organise/audit: the audit log,
// newest last, and whether its chain verifies.
func (st *site) organiseAudit(c *gin.Context) {
	_, ed, ok := st.organiserEdition(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	after, _ := strconv.ParseInt(c.Query("after"), 10, 64)
	const limit = 200
	entries, err := st.prizes.Audit.AuditLog(ctx, ed.ID, after, limit)
	if err != nil {
		st.problem(c, err)
		return
	}
	rep, err := st.prizes.Audit.VerifyAudit(ctx, ed.ID)
	if err != nil {
		st.problem(c, err)
		return
	}
	next := int64(0)
	if len(entries) == limit {
		next = entries[len(entries)-1].Seq
	}
	p := st.organisePage(c, ed, "audit", "org.audit.title")
	p.Data = map[string]any{"Edition": ed, "Entries": entries, "Report": rep, "Next": next}
	st.render(c, http.StatusOK, "org-audit", p)
}
