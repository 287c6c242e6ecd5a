package api

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// The project owners' workspace: their entries in an edition, the entry
// form (saved as a draft while they type, submitted when complete), and
// withdrawal. Every change goes through the SubmissionStore the API's
// owner routes use, as the signed-in account.

// entryFields is the order of the entry form's fields, for its error
// summary.
var entryFields = []string{"category", "title", "summary", "organisation", "country", "stakeholder_type", "links"}

// entryView is what the entry pages show.
type entryView struct {
	Edition prizes.Edition
	// Open is whether entries can be written now (the submission phase).
	Open bool
	prizes.Submission
	// Links are the entry's links with empty slots up to prizes.MaxLinks.
	Links        []string
	Words        int
	Countries    []countryOption
	Stakeholders []string
	// Share is the address of the nominee page, once nominated.
	Share string
	// Saved says the page follows a successful save or submission.
	Saved string
	// Files are the entry's logo and attachments.
	Files fileView
	// Lang is the reader's language, for the addresses of files.
	Lang string
}

// FileURL is the site address of the blob named hash.
func (v entryView) FileURL(hash string) string { return siteFileURL(v.Lang, v.Edition.ID, hash) }

// FilesEnabled reports whether the site keeps entries' files.
func (v entryView) FilesEnabled() bool { return v.Files.Max > 0 }

// countryOption is one country of the form's list, named in the reader's
// language.
type countryOption struct{ Code, Name string }

// New reports whether the entry is not stored yet.
func (v entryView) New() bool { return v.ID == "" }

// Editable reports whether the owner may change the entry now.
func (v entryView) Editable() bool { return v.Open && (v.New() || v.Submission.Editable()) }

// Withdrawable reports whether the owner may withdraw the entry now: it is
// stored, not reviewed yet, and the edition is in submission or review.
func (v entryView) Withdrawable() bool {
	return !v.New() && (v.Status == prizes.StatusDraft || v.Status == prizes.StatusSubmitted) &&
		(v.Edition.Phase == voting.PhaseSubmission || v.Edition.Phase == voting.PhaseReview)
}

// CategoryOf returns the category of the entry's edition with code.
func (v entryView) CategoryOf(code string) voting.Category {
	c, _ := v.Edition.Category(code)
	return c
}

// ownerEntries is GET /{lang}/{edition}/entries: the reader's entries with
// their status, the reason of a rejection and the nominee page's address.
func (st *site) ownerEntries(c *gin.Context) {
	actor, ed, ok := st.roleEdition(c, RoleOwner)
	if !ok {
		return
	}
	ss, err := st.prizes.Submissions.Submissions(c.Request.Context(), actor, ed.ID)
	if err != nil {
		st.problem(c, err)
		return
	}
	views := make([]entryView, len(ss))
	for i, s := range ss {
		views[i] = st.entryViewOf(c, ed, s)
	}
	p := st.newPage(c, "")
	p.Title = p.T("owner.entries.title")
	p.Data = map[string]any{"Edition": ed, "Entries": views, "Open": ed.Phase == voting.PhaseSubmission,
		"Phase": p.T("phase." + string(ed.Phase)), "Done": c.Query("done")}
	st.render(c, http.StatusOK, "owner-entries", p)
}

func (st *site) entryViewOf(c *gin.Context, ed prizes.Edition, s prizes.Submission) entryView {
	v := entryView{Edition: ed, Open: ed.Phase == voting.PhaseSubmission, Submission: s,
		Words: len(strings.Fields(s.Summary)), Stakeholders: prizes.StakeholderTypes()}
	v.Links = append(append([]string(nil), s.Links...), make([]string, max(0, prizes.MaxLinks-len(s.Links)))...)
	switch s.Status {
	case prizes.StatusNominated, prizes.StatusChampion, prizes.StatusWinner:
		v.Share = siteOrigin(c) + "/" + c.GetString("prizes.lang") + "/" + ed.ID + "/p/" + s.ID
	}
	return v
}

// siteOrigin is the scheme and host the reader reached the site by.
func siteOrigin(c *gin.Context) string {
	scheme := "http"
	if c.Request.TLS != nil || (c.GetHeader("X-Forwarded-Proto") == "https" && c.ClientIP() != c.RemoteIP()) {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host
}

// countries lists every country, named and sorted in the reader's
// language.
func countries(p *page) []countryOption {
	codes := prizes.CountryCodes()
	out := make([]countryOption, len(codes))
	for i, code := range codes {
		out[i] = countryOption{Code: code, Name: p.Country(code)}
	}
	col := collate.New(language.Make(p.lang))
	sort.SliceStable(out, func(i, j int) bool { return col.CompareString(out[i].Name, out[j].Name) < 0 })
	return out
}

// ownerNewEntry is GET /{lang}/{edition}/entries/new: the empty form.
func (st *site) ownerNewEntry(c *gin.Context) {
	if _, ok := st.requireRole(c, RoleOwner); !ok {
		return
	}
	ed, ok := st.workspaceEdition(c)
	if !ok {
		return
	}
	v := st.entryViewOf(c, ed, prizes.Submission{Entry: prizes.Entry{Category: c.Query("category")}})
	st.renderEntry(c, http.StatusOK, v, nil)
}

// ownerEntry is GET /{lang}/{edition}/entries/{id}: the form of an entry
// that can still change, or the entry as it stands. Another owner's entry
// is a 404, as on the API.
func (st *site) ownerEntry(c *gin.Context) {
	actor, ed, ok := st.roleEdition(c, RoleOwner)
	if !ok {
		return
	}
	s, err := st.prizes.Submissions.Submission(c.Request.Context(), actor, ed.ID, c.Param("id"))
	if err != nil {
		st.problem(c, err)
		return
	}
	v := st.entryViewOf(c, ed, s)
	v.Saved = c.Query("saved")
	st.renderEntry(c, http.StatusOK, v, nil)
}

func (st *site) renderEntry(c *gin.Context, status int, v entryView, errs []formError) {
	p := st.newPage(c, "")
	switch {
	case v.New():
		p.Title = p.T("owner.entry.new")
	case v.Title != "":
		p.Title = v.Title
	default:
		p.Title = p.T("owner.entry.untitled")
	}
	p.CSRF = st.csrfToken(c)
	p.Errors = errs
	v.Countries = countries(p)
	v.Lang = c.GetString("prizes.lang")
	if st.prizes.Files != nil {
		owner := prizes.Actor{ID: st.visitorOf(c).id, Role: RoleOwner}
		if err := st.entryFiles(c, owner, &v); err != nil {
			st.problem(c, err)
			return
		}
	}
	p.Data = v
	st.render(c, status, "owner-entry", p)
}

// entryOf reads the entry form.
func entryOf(c *gin.Context) prizes.Entry {
	return prizes.Entry{
		Category: c.PostForm("category"), Title: c.PostForm("title"), Summary: c.PostForm("summary"),
		Organisation: c.PostForm("organisation"), Country: c.PostForm("country"),
		Stakeholder: c.PostForm("stakeholder_type"), Links: c.PostFormArray("links"),
	}
}

// entryMessage is the reader's message for a field of the entry form.
func entryMessage(t tr, e prizes.Entry) func(string) string {
	return func(field string) string {
		switch {
		case field == "summary":
			return t.TN("owner.error.summary", len(strings.Fields(e.Summary)),
				"Min", t.Number(prizes.SummaryMinWords), "Max", t.Number(prizes.SummaryMaxWords))
		case field == "title":
			return t.T("owner.error.title", "Max", t.Number(prizes.MaxTitle))
		case field == "organisation":
			return t.T("owner.error.organisation", "Max", t.Number(prizes.MaxOrganisation))
		case strings.HasPrefix(field, "links"):
			return t.T("owner.error.links", "Max", t.Number(prizes.MaxLinks))
		}
		return t.T("owner.error." + field)
	}
}

// entryErrors turns a refused save into the form's errors; a second entry
// of the organisation in the category is said at the organisation.
func entryErrors(t tr, err error, e prizes.Entry) []formError {
	if kindOf(err).code == prizes.ErrDuplicateEntry.Code {
		return []formError{{Field: "organisation", Message: t.T(errorMessageKey(prizes.ErrDuplicateEntry.Code))}}
	}
	return fieldErrors(t, err, entryFields, entryMessage(t, e))
}

// ownerCreateEntry is POST /{lang}/{edition}/entries/new: the first save of
// an entry, as a draft, or straight to submission.
func (st *site) ownerCreateEntry(c *gin.Context) {
	st.saveEntry(c, "")
}

// ownerSaveEntry is POST /{lang}/{edition}/entries/{id}: the entry saved as
// it stands (action=save, and the page's script as the owner types), or
// saved and submitted (action=submit).
func (st *site) ownerSaveEntry(c *gin.Context) {
	st.saveEntry(c, c.Param("id"))
}

func (st *site) saveEntry(c *gin.Context, id string) {
	actor, ed, ok := st.roleEdition(c, RoleOwner)
	if !ok {
		return
	}
	t := st.i18n.for_(c.GetString("prizes.lang"))
	e := entryOf(c)
	v := st.entryViewOf(c, ed, prizes.Submission{ID: id, Edition: ed.ID, Entry: e, Status: prizes.StatusDraft})
	if !st.checkCSRF(c) {
		if wantsJSON(c) {
			autosaved(c, http.StatusForbidden, t.T("errors.csrf"), nil, "")
			return
		}
		st.renderEntry(c, http.StatusForbidden, v, []formError{{Message: t.T("errors.csrf")}})
		return
	}
	ctx := c.Request.Context()
	if id == "" && wantsJSON(c) && strings.TrimSpace(e.Category) == "" {
		// Nothing can be stored before the category is chosen.
		autosaved(c, http.StatusOK, "", nil, "")
		return
	}
	var s prizes.Submission
	var err error
	if id == "" {
		s, err = st.prizes.Submissions.CreateSubmission(ctx, actor, ed.ID, e)
	} else {
		s, err = st.prizes.Submissions.UpdateSubmission(ctx, actor, ed.ID, id, e)
	}
	if err == nil {
		id = s.ID
		v = st.entryViewOf(c, ed, s)
	}
	action := "/" + c.GetString("prizes.lang") + "/" + ed.ID + "/entries/" + id
	if wantsJSON(c) {
		if err != nil {
			st.logFailure(c, kindOf(err), err)
			autosaved(c, kindOf(err).status, t.T("owner.autosave.failed"), entryErrors(t, err, e), "")
			return
		}
		autosaved(c, http.StatusOK, t.T("owner.autosave.saved", "Time", t.Clock(s.UpdatedAt)), nil, action)
		return
	}
	if err == nil && c.PostForm("action") == "submit" {
		s, err = st.prizes.Submissions.SubmitSubmission(ctx, actor, ed.ID, id)
		if err == nil {
			c.Redirect(http.StatusSeeOther, action+"?saved=submitted")
			return
		}
	}
	if err != nil {
		if kindOf(err).status == http.StatusNotFound {
			st.problem(c, err)
			return
		}
		st.logFailure(c, kindOf(err), err)
		st.renderEntry(c, kindOf(err).status, v, entryErrors(t, err, e))
		return
	}
	c.Redirect(http.StatusSeeOther, action+"?saved=draft")
}

// ownerWithdrawEntry is POST /{lang}/{edition}/entries/{id}/withdraw. The
// entry page asks to confirm first: a withdrawn entry cannot come back.
func (st *site) ownerWithdrawEntry(c *gin.Context) {
	actor, ed, ok := st.roleEdition(c, RoleOwner)
	if !ok {
		return
	}
	if !st.checkCSRF(c) {
		st.csrfRefused(c)
		return
	}
	id := c.Param("id")
	if c.PostForm("confirm") != "yes" {
		s, err := st.prizes.Submissions.Submission(c.Request.Context(), actor, ed.ID, id)
		if err != nil {
			st.problem(c, err)
			return
		}
		p := st.newPage(c, "")
		p.Title = p.T("owner.withdraw.title")
		p.CSRF = st.csrfToken(c)
		p.Data = st.entryViewOf(c, ed, s)
		st.render(c, http.StatusOK, "owner-withdraw", p)
		return
	}
	if _, err := st.prizes.Submissions.WithdrawSubmission(c.Request.Context(), actor, ed.ID, id); err != nil {
		st.problem(c, fmt.Errorf("withdraw entry: %w", err))
		return
	}
	c.Redirect(http.StatusSeeOther, "/"+c.GetString("prizes.lang")+"/"+ed.ID+"/entries?done=withdrawn")
}
