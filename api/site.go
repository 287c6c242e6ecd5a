package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/web"
)

// SiteConfig configures the public site: the pages voters read and vote on,
// in the six UN languages, served beside the API by the same handler. The
// site is served when Key is set.
type SiteConfig struct {
	// Name is the site's name in every page's header, for example
	// "WSIS Prizes 2026".
	Name string
	// Edition is the edition the site's home page opens; with none, the
	// home page lists every edition.
	Edition string
	// Accent and AccentDark are the edition's colours as CSS hex colours
	// (#rrggbb): the accent for buttons and links, the dark one for the
	// header. Empty means the defaults; a value that is not a hex colour
	// is refused by Validate.
	Accent, AccentDark string
	// Key keys the site's CSRF tokens. Every node of a deployment must have
	// the same key, or a form rendered by one node is refused by another.
	Key []byte
	// Results, when set, serves the results pages of published editions;
	// prizes/postgres.Store is one.
	Results ResultStore
	// Languages, when set, records the language a reader signs in in, which
	// their mail is then written in; notify/postgres.Outbox is one.
	Languages LanguageStore
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Default colours of the site: a calm UN-like blue on white.
const (
	defaultAccent     = "#0b5cad"
	defaultAccentDark = "#0a2e52"
)

var hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// validate reports what is wrong with the site's configuration.
func (sc SiteConfig) validate() error {
	var errs []error
	for _, c := range []string{sc.Accent, sc.AccentDark} {
		if c != "" && !hexColour.MatchString(c) {
			errs = append(errs, fmt.Errorf("site colour %q is not a #rrggbb colour", c))
		}
	}
	if sc.Key != nil && len(sc.Key) < 16 {
		errs = append(errs, errors.New("site key must be at least 16 bytes"))
	}
	return errors.Join(errs...)
}

// site is the public site: its parsed pages, its fingerprinted assets and
// its message catalogues.
type site struct {
	*server
	cfg   SiteConfig
	now   func() time.Time
	pages map[string]*template.Template
	i18n  *catalogue
	// css and js are the one stylesheet and the one script, with the paths
	// that name them by a hash of their content, so they are cached for a
	// year and a new release is fetched at once.
	css, js         asset
	powJS, workerJS asset
}

// asset is a static file served from memory.
type asset struct {
	path        string
	contentType string
	body        []byte
	// gz is body compressed with gzip once, at start.
	gz []byte
}

// newAsset names body by the first 12 hex digits of its SHA-256 under
// /static/, as name.HASH.ext.
func newAsset(name, ext, contentType string, body []byte) asset {
	sum := sha256.Sum256(body)
	return asset{path: "/static/" + name + "." + hex.EncodeToString(sum[:6]) + "." + ext, contentType: contentType,
		body: body, gz: gzipped(body)}
}

// siteCSP is the content security policy of the site's pages: scripts,
// styles, workers and fetches from this origin only, nothing inline, forms
// posted here only, and never framed.
var siteCSP = []string{"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; worker-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"}

// newSite parses the site's templates and catalogues and builds its assets.
func newSite(s *server, cfg SiteConfig) (*site, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	st := &site{server: s, cfg: cfg, now: cfg.Now, pages: map[string]*template.Template{}}
	if st.now == nil {
		st.now = time.Now
	}
	var err error
	if st.i18n, err = loadCatalogue(web.Locales()); err != nil {
		return nil, err
	}
	if err := st.buildAssets(); err != nil {
		return nil, err
	}
	if err := st.parsePages(); err != nil {
		return nil, err
	}
	return st, nil
}

func (st *site) buildAssets() error {
	css, err := fs.ReadFile(web.Static(), "static/site.css")
	if err != nil {
		return fmt.Errorf("site stylesheet: %w", err)
	}
	accent, dark := st.cfg.Accent, st.cfg.AccentDark
	if accent == "" {
		accent = defaultAccent
	}
	if dark == "" {
		dark = defaultAccentDark
	}
	// The edition's colours are written into the stylesheet itself, so the
	// pages need no inline style and the content security policy stays strict.
	css = bytes.Replace(css, []byte(defaultAccentDark), []byte(dark), -1)
	css = bytes.Replace(css, []byte(defaultAccent), []byte(accent), -1)
	js, err := fs.ReadFile(web.Static(), "static/site.js")
	if err != nil {
		return fmt.Errorf("site script: %w", err)
	}
	worker, err := fs.ReadFile(web.Static(), "static/pow-worker.js")
	if err != nil {
		return fmt.Errorf("site worker: %w", err)
	}
	st.css = newAsset("site", "css", "text/css; charset=utf-8", css)
	st.js = newAsset("site", "js", "text/javascript; charset=utf-8", js)
	st.powJS = newAsset("pow", "js", "text/javascript; charset=utf-8", web.PowJS())
	st.workerJS = newAsset("pow-worker", "js", "text/javascript; charset=utf-8", worker)
	return nil
}

// parsePages parses every page template with the layout it fills.
func (st *site) parsePages() error {
	names, err := fs.Glob(web.Templates(), "templates/*.html")
	if err != nil {
		return err
	}
	funcs := template.FuncMap{
		"int":        func(n int64) int { return int(n) },
		"inc":        func(n int) int { return n + 1 },
		"paragraphs": paragraphs,
		"replace":    strings.ReplaceAll,
		"deref":      func(f *float64) float64 { return *f },
		"derefInt":   func(n *int64) int64 { return *n },
		// orgnav gives the organisers' navigation its page and edition.
		"orgnav": func(p *page, ed any) map[string]any { return map[string]any{"P": p, "E": ed} },
		// vote gives the vote button partial its page, nominee and ballot.
		"vote": func(p *page, n nomineeView, b ballotView) map[string]any {
			return map[string]any{"P": p, "N": n, "B": b}
		},
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(web.Templates(), "templates/layout.html", n)
		if err != nil {
			return fmt.Errorf("parse page %s: %w", base, err)
		}
		st.pages[base] = t
	}
	return nil
}

// siteRoutes registers the site's pages under each language's prefix, the
// assets, and the root, which sends a browser to its language.
func (s *server) siteRoutes(e *gin.Engine, cfg SiteConfig) error {
	st, err := newSite(s, cfg)
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	s.site = st
	e.NoRoute(s.noRoute)
	public := Policy{Public: true}
	root := e.Group("/", st.headers)
	s.handle(root, http.MethodGet, "/", public, st.root)
	for _, a := range []*asset{&st.css, &st.js, &st.powJS, &st.workerJS} {
		s.handle(root, http.MethodGet, a.path, public, st.serveAsset(a))
	}
	for _, lang := range web.Languages() {
		g := e.Group("/"+lang, st.headers, st.language(lang))
		s.handle(g, http.MethodGet, "", public, st.home)
		s.handle(g, http.MethodGet, "/sign-in", public, st.signInPage)
		s.handle(g, http.MethodPost, "/sign-in", public, st.signInEmail)
		s.handle(g, http.MethodPost, "/sign-in/code", public, st.signInCode)
		s.handle(g, http.MethodPost, "/sign-out", public, st.signOut)
		s.handle(g, http.MethodGet, "/account", public, st.account)
		s.handle(g, http.MethodGet, "/account/data", public, st.accountData)
		s.handle(g, http.MethodGet, "/account/erase", public, st.eraseCheck)
		s.handle(g, http.MethodPost, "/account/erase", public, st.erase)
		s.handle(g, http.MethodGet, "/:edition", public, st.editionHome)
		s.handle(g, http.MethodGet, "/:edition/c/:category", public, st.categoryPage)
		s.handle(g, http.MethodGet, "/:edition/p/:project", public, st.nomineePage)
		s.handle(g, http.MethodGet, "/:edition/vote/:project", public, st.checkVote)
		s.handle(g, http.MethodPost, "/:edition/vote/:project", public, st.castVote)
		s.handle(g, http.MethodGet, "/:edition/my-votes", public, st.myVotes)
		s.handle(g, http.MethodGet, "/:edition/check-vote", public, st.checkMyVote)
		s.handle(g, http.MethodGet, "/:edition/results", public, st.results)
		s.handle(g, http.MethodGet, "/:edition/tally", public, st.liveTally)
		st.workspaceRoutes(g)
	}
	return nil
}

// headers sets the site's content security policy in place of the API's,
// which allows nothing at all, and keeps pages out of shared caches unless
// a handler says otherwise.
func (st *site) headers(c *gin.Context) {
	h := c.Writer.Header()
	h["Content-Security-Policy"] = siteCSP
	h["Referrer-Policy"] = sameOriginReferrer
	c.Next()
}

var sameOriginReferrer = []string{"same-origin"}

// serveAsset answers a fingerprinted asset, cached for a year: its path
// changes whenever its content does.
func (st *site) serveAsset(a *asset) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
		writeBody(c, http.StatusOK, a.contentType, a.body, a.gz)
	}
}

// root is GET /: a redirect to the home page in the reader's language, the
// one they last chose or else the best match of Accept-Language.
func (st *site) root(c *gin.Context) {
	lang := ""
	if ck, err := c.Cookie(langCookie); err == nil && st.i18n.has(ck) {
		lang = ck
	}
	if lang == "" {
		lang = st.i18n.match(c.GetHeader("Accept-Language"))
	}
	c.Header("Vary", "Accept-Language, Cookie")
	c.Header("Cache-Control", "private, no-cache")
	c.Redirect(http.StatusSeeOther, "/"+lang)
}

// render writes page name with status. Rendering goes to a buffer first, so
// a template failure answers a clean 500 rather than half a page.
func (st *site) render(c *gin.Context, status int, name string, p *page) {
	t, ok := st.pages[name]
	if !ok {
		st.internalError(c, fmt.Errorf("render: no page %q", name))
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		st.internalError(c, fmt.Errorf("render page %s: %w", name, err))
		return
	}
	if c.Writer.Header().Get("Cache-Control") == "" {
		c.Header("Cache-Control", "no-store")
	}
	writeBody(c, status, "text/html; charset=utf-8", buf.Bytes(), nil)
}

// internalError logs err and answers a plain page, without the templates
// that may be what failed.
func (st *site) internalError(c *gin.Context, err error) {
	st.log.LogAttrs(c.Request.Context(), slog.LevelError, "site page failed",
		slog.String("route", c.FullPath()), slog.String("err", err.Error()))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("internal error\n"))
	c.Abort()
}

// noRoute answers a path no route serves: the site's page in a language's
// part of the site, the API's JSON error everywhere else.
func (s *server) noRoute(c *gin.Context) {
	if s.site != nil {
		for _, lang := range web.Languages() {
			if p := c.Request.URL.Path; p == "/"+lang || strings.HasPrefix(p, "/"+lang+"/") {
				c.Set("prizes.lang", lang)
				c.Writer.Header()["Content-Security-Policy"] = siteCSP
				s.site.notFound(c)
				return
			}
		}
	}
	// The API's own answer to an unknown path, as its NoRoute handler
	// writes it; this handler takes that one's place.
	c.AbortWithStatusJSON(http.StatusNotFound, errorBody{Error: errorDetail{Code: codeNotFound, Message: "no such resource"}})
}
