package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/kind"
)

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// siteVoter is a signed-in reader of the site in the fixture: their access
// cookie, and the CSRF cookie and token of the last form they were shown.
type siteVoter struct {
	f       *fixture
	cookies map[string]string
	csrf    string
}

func newSiteVoter(tb testing.TB, f *fixture, subject string) *siteVoter {
	tb.Helper()
	return &siteVoter{f: f, cookies: map[string]string{"__Host-access": f.token(tb, subject, "voter")}}
}

func (v *siteVoter) do(tb testing.TB, method, path string, form url.Values) *httptest.ResponseRecorder {
	tb.Helper()
	var parts []string
	for k, val := range v.cookies {
		parts = append(parts, k+"="+val)
	}
	r := request{method: method, path: path, headers: map[string]string{"Cookie": strings.Join(parts, "; ")}}
	if form != nil {
		r.body = form.Encode()
		r.headers["Content-Type"] = "application/x-www-form-urlencoded"
	}
	w := v.f.do(tb, r)
	for _, c := range (&http.Response{Header: w.Header()}).Cookies() {
		if c.MaxAge < 0 {
			delete(v.cookies, c.Name)
			continue
		}
		v.cookies[c.Name] = c.Value
	}
	if m := csrfInput.FindStringSubmatch(w.Body.String()); m != nil {
		v.csrf = m[1]
	}
	return w
}

// vote shows the check page of a project and confirms it.
func (v *siteVoter) vote(tb testing.TB, edition, project string) *httptest.ResponseRecorder {
	tb.Helper()
	path := "/en/" + edition + "/vote/" + project
	if w := v.do(tb, http.MethodGet, path, nil); w.Code != http.StatusOK {
		tb.Fatalf("check page: %d %s", w.Code, w.Body)
	}
	return v.do(tb, http.MethodPost, path, url.Values{"csrf": {v.csrf}})
}

func wantPage(tb testing.TB, w *httptest.ResponseRecorder, status int, texts ...string) {
	tb.Helper()
	if w.Code != status {
		tb.Errorf("status %d, want %d", w.Code, status)
	}
	for _, s := range texts {
		if !strings.Contains(w.Body.String(), s) {
			tb.Errorf("page lacks %q:\n%s", s, w.Body)
		}
	}
}

func TestSite_castVote(t *testing.T) {
	t.Run("receipt", func(t *testing.T) {
		f := newFixture(t, withSite("demo"), withIdentity(t, fakeConfig(&fakeIdentity{})))
		v := newSiteVoter(t, f, "42")
		w := v.vote(t, "demo", "p-c1-a")
		wantPage(t, w, http.StatusOK, "Your vote is recorded", `data-receipt>vote-1<`, `href="/en/demo/check-vote?vote_id=vote-1"`)
		if got := len(f.log.recorded()); got != 1 {
			t.Errorf("%d votes recorded, want 1", got)
		}
	})
	t.Run("second vote in a category", func(t *testing.T) {
		f := newFixture(t, withSite("demo"), withIdentity(t, fakeConfig(&fakeIdentity{})))
		v := newSiteVoter(t, f, "42")
		v.vote(t, "demo", "p-c1-a")
		w := v.vote(t, "demo", "p-c1-b")
		wantPage(t, w, http.StatusConflict, "You have already voted in this category.")
		if strings.Contains(w.Body.String(), `class="vote-form"`) {
			t.Error("a vote refused for good still offers the confirm button")
		}
	})
	t.Run("voting closed", func(t *testing.T) {
		f := newFixture(t, withSite("demo"), withIdentity(t, fakeConfig(&fakeIdentity{})))
		w := newSiteVoter(t, f, "42").vote(t, "closed", "q-c1-a")
		wantPage(t, w, http.StatusForbidden, "Voting is not open for this contest.")
		if got := len(f.log.recorded()); got != 0 {
			t.Errorf("%d votes recorded, want 0", got)
		}
	})
	t.Run("busy, in French", func(t *testing.T) {
		f := newFixture(t, withSite("demo"), withIdentity(t, fakeConfig(&fakeIdentity{})))
		f.log.failWith(kind.ErrUnavailable)
		v := newSiteVoter(t, f, "42")
		v.do(t, http.MethodGet, "/fr/demo/vote/p-c1-a", nil)
		w := v.do(t, http.MethodPost, "/fr/demo/vote/p-c1-a", url.Values{"csrf": {v.csrf}})
		wantPage(t, w, http.StatusServiceUnavailable, "Le service est très sollicité", `class="vote-form"`)
		if w.Header().Get("Retry-After") == "" {
			t.Error("no Retry-After on a busy answer")
		}
	})
	t.Run("no CSRF token", func(t *testing.T) {
		f := newFixture(t, withSite("demo"), withIdentity(t, fakeConfig(&fakeIdentity{})))
		v := newSiteVoter(t, f, "42")
		v.do(t, http.MethodGet, "/en/demo/vote/p-c1-a", nil)
		w := v.do(t, http.MethodPost, "/en/demo/vote/p-c1-a", url.Values{"csrf": {"forged"}})
		wantPage(t, w, http.StatusForbidden, "This form has expired.")
		if got := len(f.log.recorded()); got != 0 {
			t.Errorf("%d votes recorded without a CSRF token, want 0", got)
		}
	})
	t.Run("anonymous", func(t *testing.T) {
		f := newFixture(t, withSite("demo"), withIdentity(t, fakeConfig(&fakeIdentity{})))
		w := f.do(t, request{path: "/en/demo/vote/p-c1-a"})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/en/sign-in?next=%2Fen%2Fdemo%2Fvote%2Fp-c1-a" {
			t.Errorf("anonymous check page: %d to %q", w.Code, w.Header().Get("Location"))
		}
	})
}

// TestSite_myVotes: a vote cast from a nominee's page, then "my votes" with
// the reader's vote in one category and the other left to vote in, linked
// to its page; once every category has a vote, nothing is said to be left.
func TestSite_myVotes(t *testing.T) {
	id := &fakeIdentity{}
	f := newFixture(t, withSite("demo"), withIdentity(t, fakeConfig(id)))
	v := newSiteVoter(t, f, "42")
	wantPage(t, v.do(t, http.MethodGet, "/en/demo/p/p-c2-a", nil), http.StatusOK, `href="/en/demo/vote/p-c2-a"`)
	wantPage(t, v.vote(t, "demo", "p-c2-a"), http.StatusOK, "Your vote is recorded")
	if rec := f.log.recorded(); len(rec) != 1 || rec[0].ProjectID != "p-c2-a" || rec[0].Category != "C2" {
		t.Fatalf("recorded %+v, want one vote for p-c2-a in C2", rec)
	}
	record := func(project, category string) {
		id.mu.Lock()
		defer id.mu.Unlock()
		id.votes = append(id.votes, identity.ExportedVote{Edition: "demo", Project: project, Category: category, CastAt: t0})
	}
	record("p-c2-a", "C2")
	w := v.do(t, http.MethodGet, "/en/demo/my-votes", nil)
	wantPage(t, w, http.StatusOK, "You have voted in 1 category.", "1 category left to vote in.", `href="/en/demo/p/p-c2-a"`)
	notVoted := regexp.MustCompile(`<a href="/en/demo/c/(C\d)">[^<]*</a></th>\s*<td><span class="muted">Not voted yet</span>`)
	if m := notVoted.FindAllStringSubmatch(w.Body.String(), -1); len(m) != 1 || m[0][1] != "C1" {
		t.Errorf("categories shown as not voted in, linked: %v; want C1 alone", m)
	}

	wantPage(t, v.vote(t, "demo", "p-c1-b"), http.StatusOK, "Your vote is recorded")
	record("p-c1-b", "C1")
	w = v.do(t, http.MethodGet, "/en/demo/my-votes", nil)
	wantPage(t, w, http.StatusOK, "You have voted in 2 categories.", `href="/en/demo/p/p-c1-b"`, `href="/en/demo/p/p-c2-a"`)
	if strings.Contains(w.Body.String(), "left to vote in") || notVoted.MatchString(w.Body.String()) {
		t.Error("my votes says a category is left after a vote in each")
	}
}

func TestSite_cookies(t *testing.T) {
	f := newFixture(t, withSite("demo"), withIdentity(t, fakeConfig(&fakeIdentity{})))
	w := f.do(t, request{path: "/en/sign-in"})
	cookies := (&http.Response{Header: w.Header()}).Cookies()
	if len(cookies) == 0 {
		t.Fatal("the sign-in form set no cookie")
	}
	for _, c := range cookies {
		if !strings.HasPrefix(c.Name, "__Host-") || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
			t.Errorf("cookie %s: %+v", c.Name, c)
		}
	}
}

func TestSite_language(t *testing.T) {
	f := newFixture(t, withSite("demo"), withIdentity(t, fakeConfig(&fakeIdentity{})))
	for accept, want := range map[string]string{
		"ar-EG,ar;q=0.9,en;q=0.5": "/ar", "zh-CN": "/zh", "ru": "/ru", "es-419": "/es", "fr-CH, de;q=0.5": "/fr",
		"de-DE": "/en", "": "/en",
	} {
		w := f.do(t, request{path: "/", headers: map[string]string{"Accept-Language": accept}})
		if got := w.Header().Get("Location"); w.Code != http.StatusSeeOther || got != want {
			t.Errorf("Accept-Language %q: %d to %q, want %s", accept, w.Code, got, want)
		}
	}
	w := f.do(t, request{path: "/", headers: map[string]string{"Accept-Language": "en", "Cookie": "__Host-lang=ru"}})
	if got := w.Header().Get("Location"); got != "/ru" {
		t.Errorf("with the language cookie ru, / sends to %q", got)
	}
	w = f.do(t, request{path: "/ar/demo/c/C1"})
	wantPage(t, w, http.StatusOK, `<html lang="ar" dir="rtl">`)
}

func TestSite_account(t *testing.T) {
	f := newFixture(t, withSite("demo"), withIdentity(t, fakeConfig(&fakeIdentity{})))
	v := newSiteVoter(t, f, "42")
	w := v.do(t, http.MethodGet, "/en/account/data", nil)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") ||
		!strings.Contains(w.Header().Get("Content-Disposition"), "attachment") {
		t.Errorf("data download: %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Header().Get("Content-Disposition"))
	}
	wantPage(t, v.do(t, http.MethodGet, "/en/account/erase", nil), http.StatusOK, "Erasing cannot be undone.")
	w = v.do(t, http.MethodPost, "/en/account/erase", url.Values{"csrf": {v.csrf}})
	wantPage(t, w, http.StatusOK, "Your account is erased")
	for _, c := range (&http.Response{Header: w.Header()}).Cookies() {
		if (c.Name == "__Host-access" || c.Name == "__Host-refresh") && c.MaxAge >= 0 {
			t.Errorf("cookie %s kept after erasure", c.Name)
		}
	}
	anon := f.do(t, request{path: "/en/account/data"})
	if anon.Code != http.StatusSeeOther {
		t.Errorf("anonymous data download: %d, want a redirect to sign-in", anon.Code)
	}
}

func TestSite_signInNext(t *testing.T) {
	fake := &fakeIdentity{session: identity.Session{Account: identity.Account{ID: 7}, Refresh: "r1", RefreshExpires: t0.Add(time.Hour)}}
	for next, want := range map[string]string{
		"/en/demo/c/C1":         "/en/demo/c/C1",
		"//evil.example/en/":    "/en",
		"https://evil.example/": "/en",
		"/en/\\evil.example":    "/en",
		"/fr/demo":              "/en",
	} {
		f := newFixture(t, withSite("demo"), withIdentity(t, fakeConfig(fake)))
		v := &siteVoter{f: f, cookies: map[string]string{}}
		v.do(t, http.MethodGet, "/en/sign-in", nil)
		w := v.do(t, http.MethodPost, "/en/sign-in/code", url.Values{"csrf": {v.csrf}, "email": {"a@example.org"}, "code": {"123456"}, "next": {next}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != want {
			t.Errorf("next %q: %d to %q, want %q", next, w.Code, w.Header().Get("Location"), want)
		}
		if v.cookies["__Host-access"] == "" || v.cookies["__Host-refresh"] != "r1" {
			t.Errorf("next %q: session cookies %v", next, v.cookies)
		}
	}
}

func TestSite_signInRefused(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		want   string
	}{
		{identity.ErrChallengeRequired, http.StatusPreconditionRequired, "which needs JavaScript"},
		{identity.ErrDisposableEmail, http.StatusUnprocessableEntity, "Disposable email addresses cannot be used."},
		{fmt.Errorf("parse email: %w", kind.ErrInvalid), http.StatusUnprocessableEntity, "Enter an email address in the right format"},
		{&kind.RateLimitError{Limit: "code-ip", RetryAfter: time.Minute}, http.StatusTooManyRequests, "Too many attempts."},
		{kind.ErrUnavailable, http.StatusServiceUnavailable, "The service is very busy right now"},
	} {
		f := newFixture(t, withSite("demo"), withIdentity(t, fakeConfig(&fakeIdentity{err: tc.err})))
		v := &siteVoter{f: f, cookies: map[string]string{}}
		v.do(t, http.MethodGet, "/en/sign-in", nil)
		w := v.do(t, http.MethodPost, "/en/sign-in", url.Values{"csrf": {v.csrf}, "email": {"a@example.org"}})
		wantPage(t, w, tc.status, tc.want, `value="a@example.org"`, `href="#email"`)
	}
}
