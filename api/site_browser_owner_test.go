package api_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wsisvote/prizes/prizes"
)

// TestSite_browserOwner drives the owners' workspace in English and
// Arabic, at both sizes: an owner starts an entry, which is saved as a
// draft as they type (the word count live beside the summary); submitting
// it with a short summary answers the error summary and the message at
// the field, with what they typed kept; they complete it and submit it by
// keyboard, and their entries list it as submitted.
func TestSite_browserOwner(t *testing.T) {
	st := newSiteStack(t, 72*time.Hour)
	for _, tc := range []struct {
		lang string
		vp   viewport
	}{{"en", desktop}, {"ar", phone}, {"en", phone}, {"ar", desktop}} {
		t.Run(tc.lang+"-"+tc.vp.name, func(t *testing.T) {
			ed, _ := workspaceEdition(t, st, "owner-"+tc.lang+"-"+tc.vp.name)
			owner := account(t, st, "owner")
			b := newBrowser(t, st.url, tc.lang, tc.vp)
			b.signInAs(st, owner.ID, nil)
			base := "/" + tc.lang + "/" + ed

			b.open(base + "/entries")
			b.page("owner-entries-empty")
			b.click(`a[href="`+base+`/entries/new"]`, "form[data-autosave]")
			b.page("owner-entry-new")

			// The draft is saved once a category is chosen, and the form
			// then posts to the entry's own address.
			b.setField("#category", "C1-governments")
			b.do(chromedp.Click(chromedp.CSS("#title")), chromedp.SendKeys(chromedp.CSS("#title"), "Open schools network"))
			b.setField("#summary", words(40))
			b.waitText(".autosave-status", strings.Split(message(t, tc.lang, "owner.autosave.saved"), "{{")[0])
			if !strings.Contains(b.text("#summary-count"), "40") && !strings.Contains(b.text("#summary-count"), "٤٠") {
				t.Errorf("word count = %q, want 40 words", b.text("#summary-count"))
			}
			action := b.attr("form[data-autosave]", "action")
			if !strings.HasPrefix(action, base+"/entries/") || strings.HasSuffix(action, "/new") {
				t.Fatalf("after the first save the form posts to %q", action)
			}
			id := strings.TrimPrefix(action, base+"/entries/")
			s, err := st.lifecycle.Submission(context.Background(), owner, ed, id)
			if err != nil || s.Status != prizes.StatusDraft || s.Title != "Open schools network" {
				t.Fatalf("the draft as stored: %+v, %v", s, err)
			}

			// Submitting it incomplete: the summary and the other missing
			// fields are in the error summary, each at its field.
			b.click(`button[value="submit"]`, ".error-summary")
			if !b.focused(".error-summary") {
				t.Error("the error summary does not have the focus")
			}
			if href := b.attr(`.error-summary a[href="#summary"]`, "href"); href != "#summary" {
				t.Errorf("summary link = %q", href)
			}
			if msg := b.text("#summary-error"); !strings.Contains(msg, "150") && !strings.Contains(msg, "١٥٠") {
				t.Errorf("summary error = %q, want the 150 to 200 words rule", msg)
			}
			if got := b.attr("#title", "value"); got != "Open schools network" {
				t.Errorf("title kept as %q", got)
			}
			b.page("owner-entry-error")

			// Fixed and submitted.
			b.setField("#summary", words(170))
			b.setField("#organisation", "Open Schools Foundation")
			b.setField("#country", "KE")
			b.do(chromedp.Click(chromedp.CSS(`input[value="civil_society"]`)))
			// Submitted by keyboard alone: Tab to the button, Enter.
			b.keyboardTo(`button[value="submit"]`)
			b.do(chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(".notice")))
			if p := b.path(); p != base+"/entries/"+id+"?saved=submitted" {
				t.Errorf("after submitting: %q", p)
			}
			b.page("owner-entry-submitted")
			if s, err := st.lifecycle.Submission(context.Background(), owner, ed, id); err != nil || s.Status != prizes.StatusSubmitted {
				t.Fatalf("the entry as stored: %+v, %v", s, err)
			}
			// A logo and a document by the page's plain multipart forms: the
			// logo's thumbnail comes back with its size; a text file named
			// .pdf is refused at its field and in the error summary.
			dir := t.TempDir()
			logoPath, textPath := filepath.Join(dir, "logo.png"), filepath.Join(dir, "notes.pdf")
			if err := os.WriteFile(logoPath, pngBytes(t, 320, 160), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(textPath, []byte("not a PDF at all"), 0o600); err != nil {
				t.Fatal(err)
			}
			b.do(chromedp.SetUploadFiles(chromedp.CSS("#logo"), []string{logoPath}))
			b.click(`form[action$="kind=logo"] button[type="submit"]`, "img.entry-logo")
			if w, h := b.attr("img.entry-logo", "width"), b.attr("img.entry-logo", "height"); w != "160" || h != "80" {
				t.Errorf("logo thumbnail %sx%s, want 160x80", w, h)
			}
			b.page("owner-entry-logo")
			b.do(chromedp.SetUploadFiles(chromedp.CSS("#attachments"), []string{textPath}))
			b.click(`form[action$="kind=attachments"] button[type="submit"]`, ".error-summary")
			if got := b.text("#attachments-error"); got != message(t, tc.lang, "files.error.type.attachments") {
				t.Errorf("attachment error = %q", got)
			}
			if href := b.attr(`.error-summary a[href="#attachments"]`, "href"); href != "#attachments" {
				t.Errorf("attachment error link = %q", href)
			}
			b.page("owner-entry-file-error")

			b.open(base + "/entries")
			if got := b.text(".entry .status"); got != message(t, tc.lang, "owner.status.submitted") {
				t.Errorf("status in the list = %q", got)
			}
			b.page("owner-entries")

			// Another owner's entry is not found.
			other := submitEntry(t, st, ed, account(t, st, "owner"), "C2-infrastructure", "Someone else's")
			b.open(base + "/entries/" + other.ID)
			if got := b.text("h1"); got != message(t, tc.lang, "error.notfound.title") {
				t.Errorf("another owner's entry: h1 %q", got)
			}
		})
	}
}
