package api_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/identity"
	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	iredis "github.com/wsisvote/prizes/identity/redis"
	"github.com/wsisvote/prizes/identity/smtp"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
	vpostgres "github.com/wsisvote/prizes/voting/postgres"
	vredis "github.com/wsisvote/prizes/voting/redis"
	"github.com/wsisvote/prizes/web"
)

// siteStack is the whole service behind the site on the test stack: the
// catalogue and ledger in PostgreSQL, the vote log in Redis with a flusher
// moving votes to the ledger, sign-in with codes mailed to the test mail
// server, served over HTTP for a real browser.
type siteStack struct {
	url      string
	edition  voting.Edition
	projects []voting.Project
}

// newSiteStack seeds a demo edition with the 18 WSIS categories of four
// nominees each, whose votes need a proof of work,
// in its voting phase, and serves the site with it as the home page. The
// edition closes to votes after closeIn.
func newSiteStack(tb testing.TB, closeIn time.Duration) *siteStack {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	pool := testenv.Postgres(tb)
	pg := vpostgres.New(pool)
	ed, cats, projects := prizes.DemoEdition("demo", 4)
	if err := pg.SeedEdition(ctx, ed, cats, projects); err != nil {
		tb.Fatal(err)
	}
	// Every vote asks for a proof of work, so the tests run the Worker on
	// the vote form as well as on sign-in.
	if _, err := pool.Exec(ctx, `UPDATE editions SET rules = rules || '{"vote_challenge": true}',
		schedule = jsonb_build_object('voting', jsonb_build_object('start', $1::timestamptz, 'end', $2::timestamptz))`,
		time.Now().Add(-time.Hour), time.Now().Add(closeIn)); err != nil {
		tb.Fatal(err)
	}
	snap, err := pg.LoadSnapshot(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	cat := voting.NewCatalogue(snap)
	ed, _ = snap.Edition("demo")

	rc := testenv.Redis(tb)
	prefix := testenv.ID(tb)
	tb.Cleanup(func() { testenv.DeleteRedisKeys(tb, rc, prefix) })
	store, err := vredis.New(ctx, rc, vredis.Options{Prefix: prefix})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(store.Close)
	flusher := &voting.Flusher{Stream: store, Ledger: pg, BatchSize: 100, BatchWait: 10 * time.Millisecond, ClaimIdle: time.Hour}
	done := make(chan struct{})
	go func() { defer close(done); _ = flusher.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })

	svc := &voting.Service{Catalogue: cat, Log: store, Scorer: voting.CountAll{}, Now: time.Now,
		NewID: func() string { return uuid.Must(uuid.NewV7()).String() }, Recorded: pg, SettleWait: time.Second}
	ident := siteIdentity(tb, pool, prefix)
	pub, priv := testKey(tb, 1)
	signer, err := api.NewSigner(testKid, priv, time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	verifier, err := api.NewVerifier(map[string]ed25519.PublicKey{testKid: pub}, time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	h := api.New(api.Config{
		Votes: svc, Catalogue: cat, Tokens: verifier,
		Identity: api.IdentityConfig{SignIn: ident, Accounts: ident, Gate: ident, Issuer: api.NewIssuer(signer)},
		Site:     api.SiteConfig{Name: "WSIS Prizes 2026", Edition: "demo", Key: []byte("site key of the browser tests, 32")},
	})
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	// Browsers keep Secure cookies on plain HTTP for localhost only.
	return &siteStack{url: strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), edition: ed, projects: projects}
}

// siteIdentity is the identity service over the stack's database, so that
// an account's export lists the votes the flusher writes there.
func siteIdentity(tb testing.TB, pool *pgxpool.Pool, prefix string) *identity.Service {
	tb.Helper()
	ctx := context.Background()
	store := ipostgres.New(pool)
	meter, err := iredis.New(ctx, testenv.Redis(tb), iredis.Options{Prefix: prefix + "id:"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(meter.Close)
	host, port := splitAddr(tb, testenv.SMTPAddr(tb))
	mailer, err := smtp.New(smtp.Config{Host: host, Port: port, TLS: smtp.TLSNone, From: "WSIS Prizes <noreply@prizes.example>"})
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := identity.New(ctx, identity.Config{
		Accounts: store, Codes: store, Sessions: store, Secrets: store, Meter: meter, Mailer: mailer,
		Limits: identity.DefaultLimits(), Difficulty: identity.Difficulty{Base: 2000, Max: 2000}, SiteName: "WSIS Prizes",
	})
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

// viewport is a screen size the site is tested at.
type viewport struct {
	name          string
	width, height int64
	mobile        bool
}

var (
	phone   = viewport{"phone", 390, 844, true}
	desktop = viewport{"desktop", 1280, 800, false}
)

// browser is one headless Chromium tab at a viewport, which writes a
// screenshot of the page when its test fails, and of every page it is
// told to when SITE_SCREENSHOTS names a folder (make screenshots).
type browser struct {
	tb   testing.TB
	ctx  context.Context
	base string
	lang string
	vp   viewport
	axe  string
}

func newBrowser(tb testing.TB, base, lang string, vp viewport) *browser {
	tb.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(testenv.Chromium(tb)),
		chromedp.NoSandbox,
		chromedp.Flag("lang", lang),
		chromedp.Flag("accept-lang", lang),
		chromedp.WindowSize(int(vp.width), int(vp.height)),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	b := &browser{tb: tb, ctx: ctx, base: base, lang: lang, vp: vp, axe: testenv.Axe(tb)}
	if b.axe == "" {
		tb.Log("axe-core is not installed (make test installs it with npm): accessibility is not checked")
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			b.screenshot(filepath.Join(os.TempDir(), "site-failure"), "failure")
		}
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	var emulate []chromedp.EmulateViewportOption
	if vp.mobile {
		emulate = append(emulate, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	b.do(chromedp.EmulateViewport(vp.width, vp.height, emulate...))
	return b
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.tb.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.tb.Fatalf("browser (%s, %s): %v", b.lang, b.vp.name, err)
	}
}

// get runs an action that returns a value.
func get[T any](b *browser, a chromedp.Action[T]) T {
	b.tb.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.tb.Fatalf("browser (%s, %s): %v", b.lang, b.vp.name, err)
	}
	return v
}

// open loads a site path and waits for its main content.
func (b *browser) open(path string) {
	b.tb.Helper()
	b.do(chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS("main")))
}

func (b *browser) click(sel, waitFor string) {
	b.tb.Helper()
	b.do(chromedp.Click(chromedp.CSS(sel)), chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

func (b *browser) text(sel string) string {
	b.tb.Helper()
	return strings.TrimSpace(get(b, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)))
}

func (b *browser) attr(sel, name string) string {
	b.tb.Helper()
	return get(b, chromedp.AttributeValue(chromedp.CSS(sel), name)).Value
}

func (b *browser) path() string {
	b.tb.Helper()
	return strings.TrimPrefix(get(b, chromedp.Location()), b.base)
}

// keyboardTo presses Tab from the top of the page until sel has the focus,
// and fails when 40 presses do not reach it.
func (b *browser) keyboardTo(sel string) {
	b.tb.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	for range 40 {
		b.do(chromedp.KeyEvent("\t"))
		if get(b, chromedp.Evaluate[bool](`document.activeElement === document.querySelector(`+"`"+sel+"`"+`)`)) {
			return
		}
	}
	b.tb.Fatalf("%s is not reachable with Tab", sel)
}

// screenshot writes the viewport as dir/NAME-LANG-VIEWPORT.png.
func (b *browser) screenshot(dir, name string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.tb.Log(err)
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.tb.Logf("screenshot: %v", err)
		return
	}
	file := filepath.Join(dir, fmt.Sprintf("%s-%s-%s.png", name, b.lang, b.vp.name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.tb.Log(err)
		return
	}
	if strings.Contains(dir, "site-failure") {
		b.tb.Logf("screenshot of the failure: %s", file)
	}
}

// page checks what every page must hold (its language and direction, one
// h1, no serious or critical accessibility violation) and writes its
// screenshot when asked to.
func (b *browser) page(name string) {
	b.tb.Helper()
	if got := b.attr("html", "lang"); got != b.lang {
		b.tb.Errorf("%s: <html lang=%q>, want %q", name, got, b.lang)
	}
	wantDir := "ltr"
	if b.lang == "ar" {
		wantDir = "rtl"
	}
	if got := b.attr("html", "dir"); got != wantDir {
		b.tb.Errorf("%s: <html dir=%q>, want %q", name, got, wantDir)
	}
	if h1s := get(b, chromedp.Evaluate[int](`document.querySelectorAll('h1').length`)); h1s != 1 {
		b.tb.Errorf("%s: %d h1 elements, want 1", name, h1s)
	}
	b.checkAxe(name)
	if dir := os.Getenv("SITE_SCREENSHOTS"); dir != "" {
		b.screenshot(dir, name)
	}
}

// checkAxe runs axe-core on the page and fails on any serious or critical
// violation.
func (b *browser) checkAxe(name string) {
	b.tb.Helper()
	if b.axe == "" {
		return
	}
	type violation struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  int    `json:"nodes"`
	}
	script := b.axe + `;
		axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
			.filter(v => v.impact === 'serious' || v.impact === 'critical')
			.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length})))`
	for _, v := range get(b, chromedp.Evaluate[[]violation](script, chromedp.EvalAwaitPromise)) {
		b.tb.Errorf("%s (%s, %s): accessibility: %s %s on %d elements: %s", name, b.lang, b.vp.name, v.Impact, v.ID, v.Nodes, v.Help)
	}
}

// message returns a message of the site's catalogue in lang, with its
// template fields removed, to find it on a page.
func message(tb testing.TB, lang, key string) string {
	tb.Helper()
	buf, err := fs.ReadFile(web.Locales(), "locales/messages."+lang+".json")
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(buf, &m); err != nil {
		tb.Fatal(err)
	}
	var s string
	if err := json.Unmarshal(m[key], &s); err != nil {
		tb.Fatalf("message %s %s: %v", lang, key, err)
	}
	return s
}

// TestSite_browser drives the site in Chromium in English and Arabic, at a
// phone's and a desktop's size: an anonymous reader browses the edition, a
// category and a nominee; signs in with the code from the mail server; votes
// after checking the vote; sees the receipt and the vote in "my votes"; and a
// second vote in the same category is refused with a clear message.
func TestSite_browser(t *testing.T) {
	st := newSiteStack(t, 72*time.Hour)
	for _, tc := range []struct {
		lang string
		vp   viewport
	}{{"en", desktop}, {"en", phone}, {"ar", phone}, {"ar", desktop}} {
		t.Run(tc.lang+"-"+tc.vp.name, func(t *testing.T) {
			b := newBrowser(t, st.url, tc.lang, tc.vp)
			cat := st.projects[0].Category

			// Anonymous: the root sends the browser to its language.
			b.open("/")
			if p := b.path(); p != "/"+tc.lang {
				t.Fatalf("the root sent a %s browser to %q", tc.lang, p)
			}
			if got := b.text("h1"); got != st.edition.Name {
				t.Errorf("home h1 = %q, want %q", got, st.edition.Name)
			}
			b.page("home")
			b.click(`a[href$="/c/`+cat+`"]`, ".cards")
			if cards := get(b, chromedp.Evaluate[int](`document.querySelectorAll('.cards > li').length`)); cards != 4 {
				t.Errorf("category page shows %d cards, want 4", cards)
			}
			b.page("category")
			b.click(`.cards > li:first-child h2 a`, ".nominee")
			b.page("nominee")

			// Sign in from the first card's vote button, which comes back
			// to the vote once signed in.
			b.open("/" + tc.lang + "/demo/c/" + cat)
			first := b.attr(`.cards > li:first-child a.button`, "href")
			b.click(`.cards > li:first-child a.button`, "#email")
			b.page("signin")
			email := fmt.Sprintf("voter-%s-%s-%s@example.org", tc.lang, tc.vp.name, testenv.ID(t))
			b.do(chromedp.SendKeys(chromedp.CSS("#email"), email))
			b.click(`form[data-pow] button[type="submit"]`, "#code")
			b.page("code")
			mail := testenv.MailTo(t, email)
			if want := strings.ReplaceAll(message(t, tc.lang, "mail.code.subject"), "{{.Site}}", "WSIS Prizes 2026"); mail.Subject != want {
				t.Errorf("mail subject %q, want %q", mail.Subject, want)
			}
			m := codeInMail.FindStringSubmatch(mail.Text)
			if m == nil {
				t.Fatalf("no code in the mail: %q", mail.Text)
			}
			b.do(chromedp.SendKeys(chromedp.CSS("#code"), m[1]))
			b.click(`main form button[type="submit"]`, ".vote-form")
			if p := b.path(); p != first {
				t.Errorf("after sign-in the browser is at %q, want the vote it asked for, %q", p, first)
			}
			b.page("check")
			if b.attr(".vote-form", "data-pow") != "vote" {
				t.Error("the vote form of an edition with vote_challenge asks for no proof of work")
			}

			// The vote, by keyboard alone: Tab to the confirm button,
			// Enter. Then its receipt, and "my votes".
			b.keyboardTo(`.vote-form button[type="submit"]`)
			b.do(chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS("[data-receipt]")))
			receipt := b.text("[data-receipt]")
			if _, err := uuid.Parse(receipt); err != nil {
				t.Errorf("receipt %q is not a vote id: %v", receipt, err)
			}
			b.page("receipt")
			deadline := time.Now().Add(10 * time.Second)
			for {
				b.open("/" + tc.lang + "/demo/my-votes")
				if get(b, chromedp.Evaluate[bool](`document.querySelector('.votes a[href="`+strings.Replace(first, "/vote/", "/p/", 1)+`"]') !== null`)) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("my votes does not list the vote 10 s after it was cast")
				}
				time.Sleep(200 * time.Millisecond)
			}
			b.page("myvotes")

			// A second vote in the same category is refused, in the
			// reader's language, and nothing else happens.
			b.open("/" + tc.lang + "/demo/c/" + cat)
			other := get(b, chromedp.Evaluate[string](`(() => { const a = [...document.querySelectorAll('.cards h2 a')].map(a => a.getAttribute('href')).find(h => h !== '`+strings.Replace(first, "/vote/", "/p/", 1)+`'); return a.replace('/p/', '/vote/'); })()`))
			b.open(other)
			b.click(`.vote-form button[type="submit"]`, ".error-summary")
			if got, want := b.text(".error-summary li"), message(t, tc.lang, "errors.duplicate_vote"); got != want {
				t.Errorf("second vote in a category says %q, want %q", got, want)
			}
			b.page("refused")

			// Erasure: the account goes, the session with it.
			b.open("/" + tc.lang + "/account")
			b.page("account")
			b.click(`a[href$="/account/erase"]`, ".vote-form")
			b.page("erase")
			b.click(`.vote-form button[type="submit"]`, ".panel-confirm")
			b.page("erased")
			b.open("/" + tc.lang + "/demo/my-votes")
			if p := b.path(); !strings.HasPrefix(p, "/"+tc.lang+"/sign-in") {
				t.Errorf("after erasure my votes is at %q, want the sign-in page", p)
			}
		})
	}
}

// TestSite_browserResults shows the published results in Chromium, in
// English and Arabic at both sizes, with the same checks as every page.
func TestSite_browserResults(t *testing.T) {
	srv := httptest.NewServer(publishedFixture(t).handler)
	t.Cleanup(srv.Close)
	base := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	for _, lang := range []string{"en", "ar"} {
		for _, vp := range []viewport{phone, desktop} {
			t.Run(lang+"-"+vp.name, func(t *testing.T) {
				b := newBrowser(t, base, lang, vp)
				b.open("/" + lang + "/done/results")
				if got := b.text(".winner-title"); got != "Alpha" {
					t.Errorf("winner %q, want Alpha", got)
				}
				b.page("results")
			})
		}
	}
}
