package api

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/wsisvote/prizes/voting"
)

// page is what every template gets: the reader's language, the site's
// assets, who is signed in, and the page's own data.
type page struct {
	tr
	Name     string
	CSS, JS  string
	Worker   string
	Pow      string
	Title    string
	Langs    []langLink
	SignedIn bool
	CSRF     string
	Errors   []formError
	Edition  string
	Data     any
	// Section is the part of a workspace the page is, for its navigation.
	Section string
	// claims are the signed-in reader's, for the workspaces' links.
	claims Claims
	// en is the English catalogue, the language editions are written in.
	en tr
}

// langLink is one entry of the language switcher.
type langLink struct {
	Code, Name, URL string
	Current         bool
}

// formError is one line of a form's error summary: the message, and the id
// of the field it is about ("" for the form as a whole).
type formError struct {
	Field, Message string
}

// Home returns the path of the reader's home page.
func (p *page) Home() string { return "/" + p.lang }

// L returns a site path in the reader's language: L "sign-in" is
// /en/sign-in.
func (p *page) L(parts ...string) string {
	return "/" + p.lang + "/" + strings.Join(parts, "/")
}

// Has reports whether the signed-in reader holds role, for the links to
// the workspaces.
func (p *page) Has(role string) bool { return hasRole(p.claims, role) }

// Lang is the reader's language.
func (p *page) Lang() string { return p.lang }

// FieldError returns the error of one field, for the message next to it.
func (p *page) FieldError(field string) string {
	for _, e := range p.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// language remembers the language of the path the reader is on.
func (st *site) language(lang string) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set("prizes.lang", lang)
		if ck, err := c.Cookie(langCookie); err != nil || ck != lang {
			http.SetCookie(c.Writer, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
				Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		}
		c.Next()
	}
}

// newPage starts the data of a page in the reader's language.
func (st *site) newPage(c *gin.Context, title string) *page {
	lang := c.GetString("prizes.lang")
	t := st.i18n.for_(lang)
	v := st.visitorOf(c)
	p := &page{tr: t, en: st.i18n.for_("en"), Name: st.cfg.Name, CSS: st.css.path, JS: st.js.path, Worker: st.workerJS.path, Pow: st.powJS.path,
		Title: title, SignedIn: v.signedIn(), Edition: c.Param("edition")}
	if p.Name == "" {
		p.Name = t.T("site.name")
	}
	if p.Edition == "" {
		p.Edition = st.cfg.Edition
	}
	if v.signedIn() {
		p.CSRF = st.csrfToken(c)
		p.claims = v.claims
	}
	rest := strings.TrimPrefix(c.Request.URL.Path, "/"+lang)
	if c.Request.Method != http.MethodGet || strings.HasPrefix(rest, "/sign-in") {
		rest = ""
	}
	for _, l := range st.i18n.langs {
		p.Langs = append(p.Langs, langLink{Code: l, Name: st.i18n.for_(l).T("lang.name"), URL: "/" + l + rest, Current: l == lang})
	}
	return p
}

// Country returns the name of a country (ISO 3166 code) in the reader's
// language, or the code when it is not one.
func (p *page) Country(code string) string {
	r, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	if n := display.Regions(language.MustParse(p.lang)).Name(r); n != "" {
		return n
	}
	return code
}

// CategoryName returns the name of a category in the reader's language when
// the catalogue has one, else as the edition names it.
//
// The catalogue names the WSIS categories. An edition that kept a WSIS
// category's English name gets the translation; one that renamed it keeps
// its own name in every language.
func (p *page) CategoryName(c voting.Category) string {
	key := "category." + c.Code
	if p.en.T(key) != c.Name {
		return c.Name
	}
	return p.T(key)
}

// notFound answers the site's 404 page.
func (st *site) notFound(c *gin.Context) {
	p := st.newPage(c, "")
	p.Title = p.T("error.notfound.title")
	st.render(c, http.StatusNotFound, "notfound", p)
}

// problem answers a page that says what went wrong, for errors with no form
// to show them on.
func (st *site) problem(c *gin.Context, err error) {
	k := kindOf(err)
	st.logFailure(c, k, err)
	if k.status == http.StatusNotFound {
		st.notFound(c)
		return
	}
	p := st.newPage(c, "")
	p.Title = p.T("error.title")
	p.Errors = []formError{{Message: p.T(errorMessageKey(k.code))}}
	st.render(c, k.status, "problem", p)
}

// unavailable answers a page saying the service is busy, for a part of the
// service this node was started without.
func (st *site) unavailable(c *gin.Context) {
	p := st.newPage(c, "")
	p.Title = p.T("error.title")
	p.Errors = []formError{{Message: p.T(errorMessageKey(codeUnavailable))}}
	c.Header("Retry-After", "1")
	st.render(c, http.StatusServiceUnavailable, "problem", p)
}

// Codes of the API's error table (see kindOf) that the site acts on. They
// are a contract with clients, so they do not change.
const (
	codeInvalidRequest = "invalid_request"
	codeInvalidRefresh = "invalid_refresh_token"
	codeUnavailable    = "unavailable"
	codeNotFound       = "not_found"
)

// logFailure logs a server-side failure, as the API's fail does.
func (st *site) logFailure(c *gin.Context, k errorKind, err error) {
	if k.status >= http.StatusInternalServerError {
		st.log.ErrorContext(c.Request.Context(), "site request failed", "route", c.FullPath(), "status", k.status, "err", err.Error())
	}
	if k.status == http.StatusServiceUnavailable {
		c.Header("Retry-After", "1")
	}
}

// requireSignIn sends a reader who is not signed in to the sign-in page,
// which brings them back here afterwards. It reports whether the page may
// go ahead.
func (st *site) requireSignIn(c *gin.Context) (visitor, bool) {
	v := st.visitorOf(c)
	if v.signedIn() {
		return v, true
	}
	lang := c.GetString("prizes.lang")
	c.Redirect(http.StatusSeeOther, "/"+lang+"/sign-in?next="+url.QueryEscape(c.Request.URL.RequestURI()))
	c.Abort()
	return visitor{}, false
}

// localPath returns next when it is a path on this site in lang, else the
// language's home page, so a sign-in link cannot send a reader elsewhere.
func localPath(lang, next string) string {
	if strings.HasPrefix(next, "/"+lang+"/") && !strings.Contains(next, "//") && !strings.Contains(next, `\`) {
		return next
	}
	return "/" + lang
}

// editionOf returns the edition of the path, or answers 404.
func (st *site) editionOf(c *gin.Context) (voting.Edition, *voting.Snapshot, bool) {
	snap := st.catalogue.Snapshot()
	ed, ok := snap.Edition(c.Param("edition"))
	if !ok {
		st.notFound(c)
		return voting.Edition{}, nil, false
	}
	return ed, snap, true
}

// cacheCatalogue lets a page that holds no personal data be cached briefly
// by browsers and shared caches; a signed-in reader's pages are never cached.
func cacheCatalogue(c *gin.Context, v visitor) {
	c.Header("Vary", "Cookie")
	// A response that sets a cookie (the remembered language, a renewed
	// session) is for this reader alone.
	if v.signedIn() || len(c.Writer.Header()["Set-Cookie"]) > 0 {
		c.Header("Cache-Control", "private, no-store")
		return
	}
	c.Header("Cache-Control", "public, max-age=60")
}

// nowIn is the clock of the site.
func (st *site) nowIn() time.Time { return st.now() }
