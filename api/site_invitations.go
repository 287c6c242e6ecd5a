package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/web"
)

// The invitation pages: organisers invite an address to the organiser role
// or to a jury panel, list the invitations and revoke them
// (/{lang}/organise/invitations); the invitee opens the link of the mail,
// signs in with the invited address (the sign-in brings them back), and
// accepts (/{lang}/invitations/{token}). Both call the store the API's
// invitation routes use.

// LanguageStore records the language of an account's mail.
type LanguageStore interface {
	// SetLanguage records lang as the account's language. It returns
	// kind.ErrUnavailable when the store cannot be reached.
	SetLanguage(ctx context.Context, account int64, lang string) error
}

// rememberLanguage records the language the reader signed in in, so that
// the contest's mail to them is written in it; a failure only costs the
// mail its language, and is logged.
func (st *site) rememberLanguage(c *gin.Context, account int64, lang string) {
	if st.cfg.Languages == nil || account == 0 {
		return
	}
	if err := st.cfg.Languages.SetLanguage(c.Request.Context(), account, lang); err != nil {
		st.logFailure(c, kindOf(err), err)
	}
}

// invitationRoutes registers the invitation pages when the server has an
// invitation store.
func (st *site) invitationRoutes(g *gin.RouterGroup) {
	if st.prizes.Invitations == nil || st.prizes.Editions == nil {
		return
	}
	public := Policy{Public: true}
	st.handle(g, http.MethodGet, "/organise/invitations", public, st.organiseInvitations)
	st.handle(g, http.MethodPost, "/organise/invitations", public, st.organiseInvite)
	st.handle(g, http.MethodPost, "/organise/invitations/:id/revoke", public, st.organiseRevokeInvitation)
	st.handle(g, http.MethodGet, "/invitations/:token", public, st.invitationPage)
	st.handle(g, http.MethodPost, "/invitations/:token", public, st.invitationAccept)
}

// inviteForm is the organiser's invitation form as typed.
type inviteForm struct {
	Email, Role, Panel, Language string
}

// panelOption is one edition's category in the form's list of panels.
type panelOption struct {
	Value, Edition, Category string
}

// renderInvitations renders the organisers' invitation page.
func (st *site) renderInvitations(c *gin.Context, status int, f inviteForm, errs []formError) {
	ctx := c.Request.Context()
	eds, err := st.prizes.Editions.Editions(ctx)
	if err != nil {
		st.problem(c, err)
		return
	}
	invs, err := st.prizes.Invitations.Invitations(ctx, 200)
	if err != nil {
		st.problem(c, err)
		return
	}
	var panels []panelOption
	for _, ed := range eds {
		for _, cat := range ed.Categories {
			panels = append(panels, panelOption{Value: ed.ID + "/" + cat.Code, Edition: ed.Name, Category: cat.Code + " · " + cat.Name})
		}
	}
	p := st.newPage(c, "")
	p.Title = p.T("inv.org.title")
	p.CSRF = st.csrfToken(c)
	p.Errors = errs
	if f.Role == "" {
		f.Role = identity.RoleJuror
	}
	if f.Language == "" {
		f.Language = p.Lang()
	}
	langs := make([]langLink, 0, len(web.Languages()))
	for _, l := range web.Languages() {
		langs = append(langs, langLink{Code: l, Name: st.i18n.for_(l).T("lang.name"), Current: l == f.Language})
	}
	p.Data = map[string]any{"Form": f, "Panels": panels, "Invitations": invs, "Languages": langs, "Done": c.Query("done")}
	st.render(c, status, "org-invitations", p)
}

// organiseInvitations is GET /{lang}/organise/invitations.
func (st *site) organiseInvitations(c *gin.Context) {
	if _, ok := st.requireRole(c, RoleOrganiser); !ok {
		return
	}
	st.renderInvitations(c, http.StatusOK, inviteForm{}, nil)
}

// organiseInvite is POST /{lang}/organise/invitations: the invitation is
// created and its mail queued, or the form comes back with what is wrong.
func (st *site) organiseInvite(c *gin.Context) {
	actor, ok := st.requireRole(c, RoleOrganiser)
	if !ok {
		return
	}
	t := st.i18n.for_(c.GetString("prizes.lang"))
	f := inviteForm{Email: strings.TrimSpace(c.PostForm("email")), Role: c.PostForm("role"), Panel: c.PostForm("panel"),
		Language: c.PostForm("language")}
	if !st.checkCSRF(c) {
		st.renderInvitations(c, http.StatusForbidden, f, []formError{{Message: t.T("errors.csrf")}})
		return
	}
	n := prizes.NewInvitation{Email: f.Email, Role: f.Role, Language: f.Language}
	if f.Role == identity.RoleJuror {
		n.Edition, n.Category, _ = strings.Cut(f.Panel, "/")
	}
	if _, _, err := st.prizes.Invitations.CreateInvitation(c.Request.Context(), actor, n, web.Languages()); err != nil {
		st.logFailure(c, kindOf(err), err)
		errs := fieldErrors(t, err, []string{"email", "role", "edition", "category", "language"}, func(field string) string {
			switch field {
			case "email":
				return t.T("inv.error.email")
			case "edition", "category":
				return t.T("inv.error.panel")
			case "language":
				return t.T("inv.error.language")
			}
			return t.T("inv.error.role")
		})
		for i := range errs {
			if errs[i].Field == "edition" || errs[i].Field == "category" {
				errs[i].Field = "panel"
			}
		}
		st.renderInvitations(c, kindOf(err).status, f, errs)
		return
	}
	c.Redirect(http.StatusSeeOther, "/"+c.GetString("prizes.lang")+"/organise/invitations?done=invited")
}

// organiseRevokeInvitation is POST /{lang}/organise/invitations/{id}/revoke.
func (st *site) organiseRevokeInvitation(c *gin.Context) {
	actor, ok := st.requireRole(c, RoleOrganiser)
	if !ok {
		return
	}
	t := st.i18n.for_(c.GetString("prizes.lang"))
	if !st.checkCSRF(c) {
		st.renderInvitations(c, http.StatusForbidden, inviteForm{}, []formError{{Message: t.T("errors.csrf")}})
		return
	}
	if _, err := st.prizes.Invitations.RevokeInvitation(c.Request.Context(), actor, c.Param("id")); err != nil {
		st.logFailure(c, kindOf(err), err)
		st.renderInvitations(c, kindOf(err).status, inviteForm{}, []formError{{Message: t.T(errorMessageKey(kindOf(err).code))}})
		return
	}
	c.Redirect(http.StatusSeeOther, "/"+c.GetString("prizes.lang")+"/organise/invitations?done=revoked")
}

// renderInvitation renders the invitee's page: what the invitation grants
// and an Accept button while it can be accepted, or why it cannot.
func (st *site) renderInvitation(c *gin.Context, status int, inv prizes.Invitation, accepted bool, errs []formError) {
	p := st.newPage(c, "")
	p.Title = p.T("inv.page.title")
	p.CSRF = st.csrfToken(c)
	p.Errors = errs
	refusal := ""
	if err := inv.Usable(st.now()); err != nil && !accepted {
		refusal = errorMessageKey(kindOf(err).code)
	}
	p.Data = map[string]any{"Invitation": inv, "Token": c.Param("token"), "Accepted": accepted, "Refusal": refusal,
		"Role": p.T("mail.role." + inv.Role)}
	st.render(c, status, "invitation", p)
}

// invitationPage is GET /{lang}/invitations/{token}: a reader who is not
// signed in is sent to sign in and brought back here.
func (st *site) invitationPage(c *gin.Context) {
	if _, ok := st.requireSignIn(c); !ok {
		return
	}
	inv, err := st.prizes.Invitations.InvitationByToken(c.Request.Context(), c.Param("token"))
	if err != nil {
		st.problem(c, err)
		return
	}
	st.renderInvitation(c, http.StatusOK, inv, false, nil)
}

// invitationAccept is POST /{lang}/invitations/{token}: the signed-in
// reader accepts, and the page says what they were granted, or why not.
func (st *site) invitationAccept(c *gin.Context) {
	v, ok := st.requireSignIn(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	token := c.Param("token")
	inv, err := st.prizes.Invitations.InvitationByToken(ctx, token)
	if err != nil {
		st.problem(c, err)
		return
	}
	t := st.i18n.for_(c.GetString("prizes.lang"))
	if !st.checkCSRF(c) {
		st.renderInvitation(c, http.StatusForbidden, inv, false, []formError{{Message: t.T("errors.csrf")}})
		return
	}
	got, err := st.prizes.Invitations.AcceptInvitation(ctx, v.id, token)
	if err != nil {
		st.logFailure(c, kindOf(err), err)
		st.renderInvitation(c, kindOf(err).status, inv, false, []formError{{Message: t.T(errorMessageKey(kindOf(err).code))}})
		return
	}
	st.renderInvitation(c, http.StatusOK, got, true, nil)
}
