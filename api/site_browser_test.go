package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/web"
)

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
	tb testing.TB
	// tab is the tab's context, and ctx the same with the deadline of the
	// test's steps, so that the failure screenshot is taken after a step
	// ran out of time.
	tab  context.Context
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
	tab, cancelCtx := chromedp.NewContext(actx)
	// The browser starts on the tab's own context, which has no deadline:
	// a browser started under the steps' deadline would stop with it,
	// and take the tab of the failure screenshot along.
	if err := chromedp.Do(tab); err != nil {
		cancelCtx()
		cancelAlloc()
		tb.Fatalf("start the browser: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(tab, 2*time.Minute)
	b := &browser{tb: tb, tab: tab, ctx: ctx, base: base, lang: lang, vp: vp, axe: testenv.Axe(tb)}
	if b.axe == "" {
		tb.Log("axe-core is not installed (make test installs it with npm): accessibility is not checked")
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			b.failureScreenshot()
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
		if b.focused(sel) {
			return
		}
	}
	b.tb.Fatalf("%s is not reachable with Tab", sel)
}

// focused reports whether the element sel has the focus.
func (b *browser) focused(sel string) bool {
	b.tb.Helper()
	return get(b, chromedp.Evaluate[bool](`document.activeElement === document.querySelector(`+"`"+sel+"`"+`)`))
}

// screenshot writes the viewport as dir/NAME-LANG-VIEWPORT.png.
func (b *browser) screenshot(dir, name string) {
	if _, err := b.capture(b.ctx, dir, fmt.Sprintf("%s-%s-%s.png", name, b.lang, b.vp.name)); err != nil {
		b.tb.Logf("screenshot: %v", err)
	}
}

// failureScreenshot writes the page the failed test left the tab on to
// site-failures/TEST.png in the system's temporary folder, where it stays
// after the test, and logs its path and the page's address. It has its own
// deadline, so a test that failed because a step ran out of time still
// gets its screenshot.
func (b *browser) failureScreenshot() {
	ctx, cancel := context.WithTimeout(b.tab, 15*time.Second)
	defer cancel()
	name := strings.NewReplacer("/", "_", " ", "_").Replace(b.tb.Name()) + ".png"
	file, err := b.capture(ctx, filepath.Join(os.TempDir(), "site-failures"), name)
	if err != nil {
		b.tb.Logf("screenshot of the failure: %v", err)
		return
	}
	url, _ := chromedp.Run(ctx, chromedp.Location())
	b.tb.Logf("screenshot of the failure (%s, %s, at %s): %s", b.lang, b.vp.name, url, file)
}

// capture writes a PNG of the viewport as dir/file and returns its path.
func (b *browser) capture(ctx context.Context, dir, file string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, file)
	return path, os.WriteFile(path, png, 0o644)
}

// page checks what every page must hold, as check does, and writes its
// screenshot when asked to.
func (b *browser) page(name string) {
	b.tb.Helper()
	b.check(name)
	if dir := os.Getenv("SITE_SCREENSHOTS"); dir != "" {
		b.screenshot(dir, name)
	}
}

// check checks what every page must hold: what static checks, and no
// serious or critical accessibility violation.
func (b *browser) check(name string) {
	b.tb.Helper()
	b.static(name)
	b.checkAxe(name)
}

// static checks a page's language and direction and its one h1. It runs
// with JavaScript off in the page too, where axe-core's promise never
// settles.
func (b *browser) static(name string) {
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
	m := map[string]json.RawMessage{}
	for _, name := range web.LocaleFiles(lang) {
		buf, err := fs.ReadFile(web.Locales(), name)
		if err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal(buf, &m); err != nil {
			tb.Fatal(err)
		}
	}
	var s string
	if err := json.Unmarshal(m[key], &s); err != nil {
		tb.Fatalf("message %s %s: %v", lang, key, err)
	}
	return s
}

// TestSite_browser drives the site in Chromium in English and Arabic, at a
// phone's and a desktop's size. An anonymous reader browses the edition, a
// category and a nominee; signs in by keyboard alone with the code from the
// mail server;
// votes in one category from its page, after checking the vote, and in
// another from a nominee's page; sees the receipts, and in "my votes" both
// votes and every category left, each linked; a second vote in a category
// is refused with a clear message; the account is erased. Then the edition
// is counted, judged and published, and the results page shows each
// category's Winner and the votes the readers cast.
func TestSite_browser(t *testing.T) {
	st := newSiteStack(t, 72*time.Hour)
	sizes := []struct {
		lang string
		vp   viewport
	}{{"en", desktop}, {"en", phone}, {"ar", phone}, {"ar", desktop}}
	cat, cat2 := st.categories[0].Code, st.categories[len(st.categories)-1].Code
	for _, tc := range sizes {
		t.Run(tc.lang+"-"+tc.vp.name, func(t *testing.T) {
			b := newBrowser(t, st.url, tc.lang, tc.vp)

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
			// Sign-in by keyboard alone: Tab to the field, type, Enter.
			b.keyboardTo("#email")
			b.do(chromedp.KeyEvent(email), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS("#code")))
			b.page("code")
			mail := testenv.MailTo(t, email)
			if want := strings.ReplaceAll(message(t, tc.lang, "mail.code.subject"), "{{.Site}}", "WSIS Prizes 2026"); mail.Subject != want {
				t.Errorf("mail subject %q, want %q", mail.Subject, want)
			}
			m := codeInMail.FindStringSubmatch(mail.Text)
			if m == nil {
				t.Fatalf("no code in the mail: %q", mail.Text)
			}
			b.keyboardTo("#code")
			b.do(chromedp.KeyEvent(m[1]), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(".vote-form")))
			if p := b.path(); p != first {
				t.Errorf("after sign-in the browser is at %q, want the vote it asked for, %q", p, first)
			}
			b.page("check")
			if b.attr(".vote-form", "data-pow") != "vote" {
				t.Error("the vote form of an edition with vote_challenge asks for no proof of work")
			}

			// The vote, by keyboard alone: Tab to the confirm button,
			// Enter. Then its receipt.
			b.keyboardTo(`.vote-form button[type="submit"]`)
			b.do(chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS("[data-receipt]")))
			receipt := b.text("[data-receipt]")
			if _, err := uuid.Parse(receipt); err != nil {
				t.Errorf("receipt %q is not a vote id: %v", receipt, err)
			}
			b.page("receipt")

			// A vote in another category, from a nominee's own page.
			b.open("/" + tc.lang + "/demo/c/" + cat2)
			b.click(`.cards > li:first-child h2 a`, ".nominee")
			nominee := b.path()
			b.click(`.vote-box a.button`, ".vote-form")
			if p, want := b.path(), strings.Replace(nominee, "/p/", "/vote/", 1); p != want {
				t.Errorf("the vote button of nominee %q leads to %q, want %q", nominee, p, want)
			}
			b.click(`.vote-form button[type="submit"]`, "[data-receipt]")
			if _, err := uuid.Parse(b.text("[data-receipt]")); err != nil {
				t.Errorf("receipt of the vote from a nominee's page: %v", err)
			}

			// "My votes": both votes, and every category without one
			// marked and linked, to vote in next.
			votes := []string{strings.Replace(first, "/vote/", "/p/", 1), nominee}
			listed := `['` + strings.Join(votes, `','`) + `'].every(h => document.querySelector('.votes td a[href="' + h + '"]') !== null)`
			deadline := time.Now().Add(10 * time.Second)
			for {
				b.open("/" + tc.lang + "/demo/my-votes")
				if get(b, chromedp.Evaluate[bool](listed)) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("my votes does not list both votes (%v) 10 s after they were cast", votes)
				}
				time.Sleep(200 * time.Millisecond)
			}
			left := get(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.votes tbody tr')]
				.filter(r => r.querySelector('td a') === null && r.querySelector('td').textContent.trim() === `+"`"+message(t, tc.lang, "myvotes.none")+"`"+`)
				.map(r => r.querySelector('th a') ? r.querySelector('th a').getAttribute('href') : '')`))
			if len(left) != len(st.categories)-2 {
				t.Errorf("my votes shows %d categories not voted in yet, want %d", len(left), len(st.categories)-2)
			}
			for _, h := range left {
				if !strings.HasPrefix(h, "/"+tc.lang+"/demo/c/") || strings.HasSuffix(h, "/"+cat) || strings.HasSuffix(h, "/"+cat2) {
					t.Errorf("a category left to vote in links to %q", h)
				}
			}
			if lead := b.text(".lead"); lead == "" {
				t.Error("my votes says nothing of what is left")
			}
			b.page("myvotes")

			// "Check my vote", from "my votes": the receipt's form.
			b.click(`a[href$="/demo/check-vote"]`, "#vote_id")
			b.do(chromedp.SendKeys("#vote_id", receipt))
			if fits := get(b, chromedp.Evaluate[bool](`(() => { const e = document.querySelector('#vote_id'); return e.scrollWidth <= e.clientWidth; })()`)); !fits {
				t.Error("the receipt field does not show a whole vote id")
			}
			b.page("check-vote")

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
	if t.Failed() {
		return
	}

	// The edition counted, judged and published: every reader sees the
	// Winners, and the four votes cast above in each of the two categories.
	winners := st.publish(t)
	if len(winners) == 0 {
		t.Fatal("the publication has no Winner")
	}
	for _, tc := range sizes {
		t.Run("results-"+tc.lang+"-"+tc.vp.name, func(t *testing.T) {
			b := newBrowser(t, st.url, tc.lang, tc.vp)
			b.open("/" + tc.lang + "/demo")
			b.click(`a[href$="/demo/results"]`, ".result")
			b.page("results")
			for code, title := range winners {
				if got := b.text(`section[aria-labelledby="r-` + code + `"] .winner-title`); got != title {
					t.Errorf("category %s: Winner %q, want %q", code, got, title)
				}
			}
			for _, code := range []string{cat, cat2} {
				sum := get(b, chromedp.Evaluate[int](`[...document.querySelectorAll('section[aria-labelledby="r-`+code+`"] meter')].reduce((s, m) => s + m.value, 0)`))
				if sum != len(sizes) {
					t.Errorf("category %s: the results count %d votes, want the %d cast in the browser", code, sum, len(sizes))
				}
			}
		})
	}
}
