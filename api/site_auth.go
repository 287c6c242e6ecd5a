package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/identity"
)

// signInForm is what the sign-in pages show and post back.
type signInForm struct {
	Email, Next string
}

// signInPage is GET /{lang}/sign-in: the email form.
func (st *site) signInPage(c *gin.Context) {
	lang := c.GetString("prizes.lang")
	if st.visitorOf(c).signedIn() {
		c.Redirect(http.StatusSeeOther, localPath(lang, c.Query("next")))
		return
	}
	st.renderSignIn(c, http.StatusOK, "signin", signInForm{Next: localPath(lang, c.Query("next"))}, nil)
}

func (st *site) renderSignIn(c *gin.Context, status int, name string, f signInForm, errs []formError) {
	p := st.newPage(c, "")
	if name == "signin" {
		p.Title = p.T("signin.title")
	} else {
		p.Title = p.T("signin.code.title")
	}
	p.CSRF = st.csrfToken(c)
	p.Errors = errs
	p.Data = f
	st.render(c, status, name, p)
}

// signInEmail is POST /{lang}/sign-in: the address, with the proof of work
// the page's script solved, goes to the identity service, which mails a
// code; the answer is the code form, the same for every address.
func (st *site) signInEmail(c *gin.Context) {
	lang := c.GetString("prizes.lang")
	f := signInForm{Email: strings.TrimSpace(c.PostForm("email")), Next: localPath(lang, c.PostForm("next"))}
	t := st.i18n.for_(lang)
	if !st.checkCSRF(c) {
		st.renderSignIn(c, http.StatusForbidden, "signin", f, []formError{{Field: "email", Message: t.T("errors.csrf")}})
		return
	}
	if f.Email == "" {
		st.renderSignIn(c, http.StatusUnprocessableEntity, "signin", f, []formError{{Field: "email", Message: t.T("errors.email_required")}})
		return
	}
	if st.ident.signIn == nil {
		st.unavailable(c)
		return
	}
	err := st.ident.signIn.RequestCode(c.Request.Context(), identity.CodeRequest{
		Email: f.Email, Solution: c.PostForm("challenge"), Client: identityClient(c, clientAddr(c)),
		Compose: st.codeMail(t)})
	if err != nil {
		k := kindOf(err)
		st.logFailure(c, k, err)
		msg := t.T(errorMessageKey(k.code))
		if kindOf(err).code == codeInvalidRequest {
			msg = t.T("errors.invalid_email")
		}
		st.renderSignIn(c, k.status, "signin", f, []formError{{Field: "email", Message: msg}})
		return
	}
	st.renderSignIn(c, http.StatusOK, "code", f, nil)
}

// codeMail writes the sign-in mail in the reader's language.
func (st *site) codeMail(t tr) func(code string, valid time.Duration) (string, string) {
	name := st.cfg.Name
	if name == "" {
		name = t.T("site.name")
	}
	return func(code string, valid time.Duration) (string, string) {
		data := map[string]any{"Site": name, "Code": code, "Minutes": t.Number(int(valid / time.Minute))}
		return t.plain("mail.code.subject", data), t.plain("mail.code.body", data)
	}
}

// signInCode is POST /{lang}/sign-in/code: the code is exchanged for a
// session, kept in the site's cookies, and the reader goes back to where
// they were.
func (st *site) signInCode(c *gin.Context) {
	lang := c.GetString("prizes.lang")
	f := signInForm{Email: strings.TrimSpace(c.PostForm("email")), Next: localPath(lang, c.PostForm("next"))}
	code := strings.TrimSpace(c.PostForm("code"))
	t := st.i18n.for_(lang)
	if !st.checkCSRF(c) {
		st.renderSignIn(c, http.StatusForbidden, "code", f, []formError{{Field: "code", Message: t.T("errors.csrf")}})
		return
	}
	if code == "" {
		st.renderSignIn(c, http.StatusUnprocessableEntity, "code", f, []formError{{Field: "code", Message: t.T("errors.code_required")}})
		return
	}
	if st.ident.signIn == nil || st.ident.issuer == nil {
		st.unavailable(c)
		return
	}
	sess, err := st.ident.signIn.SignIn(c.Request.Context(), identity.SignInRequest{
		Email: f.Email, Code: code, Client: identityClient(c, clientAddr(c))})
	if err != nil {
		k := kindOf(err)
		st.logFailure(c, k, err)
		msg := t.T(errorMessageKey(k.code))
		if kindOf(err).code == codeInvalidRequest {
			msg = t.T("errors.invalid_code")
		}
		st.renderSignIn(c, k.status, "code", f, []formError{{Field: "code", Message: msg}})
		return
	}
	if _, err := st.startSession(c, sess); err != nil {
		st.problem(c, err)
		return
	}
	st.rememberLanguage(c, sess.Account.ID, lang)
	// A new session gets a new CSRF seed, so no form token from before the
	// sign-in is accepted in it.
	st.newCSRFSeed(c)
	c.Redirect(http.StatusSeeOther, f.Next)
}

// signOut is POST /{lang}/sign-out: the session's refresh family is revoked
// and its cookies dropped.
func (st *site) signOut(c *gin.Context) {
	lang := c.GetString("prizes.lang")
	if !st.checkCSRF(c) {
		st.csrfRefused(c)
		return
	}
	if refresh, err := c.Cookie(refreshCookie); err == nil && refresh != "" && st.ident.signIn != nil {
		if err := st.ident.signIn.SignOut(c.Request.Context(), refresh); err != nil && kindOf(err).code != codeInvalidRefresh {
			st.problem(c, err)
			return
		}
	}
	st.forgetSession(c)
	st.newCSRFSeed(c)
	c.Redirect(http.StatusSeeOther, "/"+lang+"/account?signed-out=1")
}

// account is GET /{lang}/account: the signed-in account, or a note that the
// reader is signed out.
func (st *site) account(c *gin.Context) {
	p := st.newPage(c, "")
	p.Title = p.T("account.title")
	v := st.visitorOf(c)
	if !v.signedIn() {
		if c.Query("signed-out") != "" {
			st.render(c, http.StatusOK, "signedout", p)
			return
		}
		st.requireSignIn(c)
		return
	}
	if st.ident.accounts == nil {
		st.unavailable(c)
		return
	}
	a, _, err := st.ident.accounts.Account(c.Request.Context(), v.id)
	if err != nil {
		st.problem(c, err)
		return
	}
	p.Data = map[string]any{"Email": a.Email, "ID": v.id, "Since": p.Date(a.CreatedAt), "Editions": st.catalogue.Snapshot().Editions()}
	st.render(c, http.StatusOK, "account", p)
}

// accountData is GET /{lang}/account/data: everything stored about the
// account as a JSON download, the same document as GET /api/v1/me/data.
func (st *site) accountData(c *gin.Context) {
	v, ok := st.requireSignIn(c)
	if !ok {
		return
	}
	if st.ident.accounts == nil {
		st.unavailable(c)
		return
	}
	c.Set(claimsKey, v.claims)
	c.Header("Cache-Control", "no-store")
	st.myData(c)
}

// eraseCheck is GET /{lang}/account/erase: what erasure removes and keeps,
// before the reader confirms it.
func (st *site) eraseCheck(c *gin.Context) {
	if _, ok := st.requireSignIn(c); !ok {
		return
	}
	p := st.newPage(c, "")
	p.Title = p.T("account.erase.title")
	p.CSRF = st.csrfToken(c)
	st.render(c, http.StatusOK, "erase", p)
}

// erase is POST /{lang}/account/erase: the account's personal data and
// sessions go; its votes stay in the ledger under an id that no longer
// leads to anyone.
func (st *site) erase(c *gin.Context) {
	v, ok := st.requireSignIn(c)
	if !ok {
		return
	}
	if !st.checkCSRF(c) {
		st.csrfRefused(c)
		return
	}
	if st.ident.accounts == nil {
		st.unavailable(c)
		return
	}
	if err := st.ident.accounts.Erase(c.Request.Context(), v.id); err != nil {
		st.problem(c, err)
		return
	}
	st.forgetSession(c)
	st.newCSRFSeed(c)
	p := st.newPage(c, "")
	p.Title = p.T("account.erased.title")
	st.render(c, http.StatusOK, "erased", p)
}
