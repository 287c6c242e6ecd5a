package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/prizes"
)

// The organisers' fraud review: the cases the analyser found, open ones
// first, with the projects whose votes were invalidated; one case with its
// signals, timeline, evidence and decisions; and the decision, invalidate
// or clear with a reason, through the FraudStore the API's fraud routes
// use. Nothing of it is ever shown to a voter.

// fraudCaseView is one case's page.
type fraudCaseView struct {
	Edition prizes.Edition
	antifraud.CaseFile
	// Most is the largest interval of the timeline, its chart's scale.
	Most int
	// Open is whether a decision can be recorded now.
	Open             bool
	Decision, Reason string
	Done             string
}

// VoteCount counts the case's votes over their statuses.
func (v fraudCaseView) VoteCount() int64 {
	var n int64
	for _, c := range v.Statuses {
		n += c
	}
	return n
}

// organiseFraud is GET /{lang}/{edition}/organise/fraud.
func (st *site) organiseFraud(c *gin.Context) {
	_, ed, ok := st.organiserEdition(c)
	if !ok {
		return
	}
	list, err := st.prizes.Fraud.Cases(c.Request.Context(), ed.ID)
	if err != nil {
		st.problem(c, err)
		return
	}
	views := make([]fraudCaseView, len(list.Cases))
	for i, cf := range list.Cases {
		views[i] = fraudCaseView{Edition: ed, CaseFile: cf}
	}
	titles := map[string]string{}
	if len(list.Projects) > 0 && st.catalogue != nil {
		snap := st.catalogue.Snapshot()
		for _, pr := range list.Projects {
			if p, ok := snap.Project(ed.ID, pr.ProjectID); ok {
				titles[pr.ProjectID] = p.Title
			}
		}
	}
	p := st.organisePage(c, ed, "fraud", "org.fraud.title")
	p.Data = map[string]any{"Edition": ed, "Cases": views, "Projects": list.Projects, "Titles": titles}
	st.render(c, http.StatusOK, "org-fraud", p)
}

// organiseFraudCase is GET /{lang}/{edition}/organise/fraud/{id}.
func (st *site) organiseFraudCase(c *gin.Context) {
	_, ed, ok := st.organiserEdition(c)
	if !ok {
		return
	}
	st.renderFraudCase(c, http.StatusOK, ed, "", "", nil)
}

func (st *site) renderFraudCase(c *gin.Context, status int, ed prizes.Edition, decision, reason string, errs []formError) {
	cf, err := st.prizes.Fraud.Case(c.Request.Context(), ed.ID, c.Param("id"))
	if err != nil {
		st.problem(c, err)
		return
	}
	v := fraudCaseView{Edition: ed, CaseFile: cf, Decision: decision, Reason: reason,
		Open: prizes.CheckPhase(ed.ID, ed.Phase, prizes.ActionFraudDecide) == nil, Done: c.Query("done")}
	for _, pt := range cf.Timeline {
		v.Most = max(v.Most, pt.Votes)
	}
	p := st.organisePage(c, ed, "fraud", "org.fraud.case")
	p.Errors = errs
	p.Data = v
	st.render(c, status, "org-fraud-case", p)
}

// organiseFraudDecide is POST /{lang}/{edition}/organise/fraud/{id}: the
// decision, invalidate or clear, with its reason.
func (st *site) organiseFraudDecide(c *gin.Context) {
	actor, ed, ok := st.organiserEdition(c)
	if !ok {
		return
	}
	t := st.i18n.for_(c.GetString("prizes.lang"))
	req := antifraud.DecisionRequest{Decision: c.PostForm("decision"), Reason: strings.TrimSpace(c.PostForm("reason"))}
	if !st.checkCSRF(c) {
		st.renderFraudCase(c, http.StatusForbidden, ed, req.Decision, req.Reason, []formError{{Message: t.T("errors.csrf")}})
		return
	}
	if _, err := st.prizes.Fraud.Decide(c.Request.Context(), actor, ed.ID, c.Param("id"), req); err != nil {
		st.logFailure(c, kindOf(err), err)
		if kindOf(err).status == http.StatusNotFound {
			st.problem(c, err)
			return
		}
		errs := fieldErrors(t, err, []string{"decision", "reason"}, func(field string) string {
			return t.T("org.fraud.error." + field)
		})
		st.renderFraudCase(c, kindOf(err).status, ed, req.Decision, req.Reason, errs)
		return
	}
	c.Redirect(http.StatusSeeOther, "/"+c.GetString("prizes.lang")+"/"+ed.ID+"/organise/fraud/"+c.Param("id")+"?done=1")
}
