package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/wsisvote/prizes/internal/testenv"
)

// withoutScript turns JavaScript off in the tab, as a reader who disabled it
// has it.
var withoutScript = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	return err
})

// TestSite_browserWithoutScript reads the site with JavaScript off, in
// English and Arabic: the home, a category and a nominee work, the
// nominee's vote button leads to the sign-in form, and the form says before
// and after a post that signing in needs JavaScript for its security check.
// The pages are those TestSite_browser checks with axe-core, which cannot
// run here.
func TestSite_browserWithoutScript(t *testing.T) {
	st := newSiteStack(t, 72*time.Hour)
	cat := st.categories[0].Code
	for _, tc := range []struct {
		lang string
		vp   viewport
	}{{"en", desktop}, {"ar", phone}} {
		t.Run(tc.lang+"-"+tc.vp.name, func(t *testing.T) {
			b := newBrowser(t, st.url, tc.lang, tc.vp)
			b.do(withoutScript)

			b.open("/")
			if p := b.path(); p != "/"+tc.lang {
				t.Fatalf("the root sent a %s browser to %q", tc.lang, p)
			}
			if got := b.text("h1"); got != st.edition.Name {
				t.Errorf("home h1 = %q, want %q", got, st.edition.Name)
			}
			b.static("home-noscript")
			b.click(`a[href$="/c/`+cat+`"]`, ".cards")
			if cards := get(b, chromedp.Evaluate[int](`document.querySelectorAll('.cards > li').length`)); cards != 4 {
				t.Errorf("category page shows %d cards, want 4", cards)
			}
			b.static("category-noscript")
			b.click(`.cards > li:first-child h2 a`, ".nominee")
			b.static("nominee-noscript")
			b.click(`.vote-box a.button`, "#email")
			if p := b.path(); !strings.HasPrefix(p, "/"+tc.lang+"/sign-in") {
				t.Errorf("the vote button of a nominee leads an anonymous reader to %q, want the sign-in page", p)
			}
			want := message(t, tc.lang, "signin.noscript")
			if got := b.text(".noscript"); got != want {
				t.Errorf("sign-in without JavaScript says %q, want %q", got, want)
			}
			b.static("signin-noscript")

			// Sent anyway, the form comes back with the address and the
			// reason, at the top and at the field.
			email := fmt.Sprintf("noscript-%s-%s@example.org", tc.lang, testenv.ID(t))
			b.do(chromedp.SendKeys(chromedp.CSS("#email"), email))
			b.click(`main form button[type="submit"]`, ".error-summary")
			want = message(t, tc.lang, "errors.challenge_required")
			if got := b.text(".error-summary li"); got != want {
				t.Errorf("sign-in sent without JavaScript: summary says %q, want %q", got, want)
			}
			if got := b.text("#email-error"); got != want {
				t.Errorf("sign-in sent without JavaScript: the field says %q, want %q", got, want)
			}
			if got := get(b, chromedp.Value(chromedp.CSS("#email"))); got != email {
				t.Errorf("the address came back as %q, want %q", got, email)
			}
			b.static("signin-noscript-sent")
		})
	}
}

// TestSite_browserSignInRefused sends the sign-in form by keyboard alone
// with an address it refuses, in English and Arabic: the error summary at
// the top takes the focus and links to the field, which says the same, and
// keeps what was typed.
func TestSite_browserSignInRefused(t *testing.T) {
	st := newSiteStack(t, 72*time.Hour)
	for _, tc := range []struct {
		lang, email, key string
		vp               viewport
	}{
		{"en", "not-an-address", "errors.invalid_email", desktop},
		{"ar", "not-an-address", "errors.invalid_email", phone},
		{"en", "voter@mailinator.com", "errors.disposable_email", phone},
		{"ar", "voter@mailinator.com", "errors.disposable_email", desktop},
	} {
		t.Run(tc.lang+"-"+tc.vp.name+"-"+tc.key, func(t *testing.T) {
			b := newBrowser(t, st.url, tc.lang, tc.vp)
			b.open("/" + tc.lang + "/sign-in")
			b.keyboardTo("#email")
			b.do(chromedp.KeyEvent(tc.email), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(".error-summary")))
			want := message(t, tc.lang, tc.key)
			if got := b.text(".error-summary h2"); got != message(t, tc.lang, "error.summary") {
				t.Errorf("summary heading %q, want %q", got, message(t, tc.lang, "error.summary"))
			}
			if got := b.text(".error-summary li"); got != want {
				t.Errorf("summary says %q, want %q", got, want)
			}
			if got := b.attr(".error-summary li a", "href"); got != "#email" {
				t.Errorf("summary links to %q, want #email", got)
			}
			if got := b.text("#email-error"); got != want {
				t.Errorf("the field says %q, want %q", got, want)
			}
			if got := b.attr("#email", "aria-describedby"); !strings.Contains(got, "email-error") {
				t.Errorf("the field is described by %q, not by its error", got)
			}
			if !b.focused(".error-summary") {
				t.Error("the error summary does not have the focus")
			}
			if got := get(b, chromedp.Value(chromedp.CSS("#email"))); got != tc.email {
				t.Errorf("the address came back as %q, want %q", got, tc.email)
			}
			b.page("signin-refused")
		})
	}
}
