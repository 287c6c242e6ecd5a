package notify_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/notify"
)

func TestDelay(t *testing.T) {
	none := func(time.Duration) time.Duration { return 0 }
	all := func(d time.Duration) time.Duration { return d - 1 }
	for _, c := range []struct {
		attempts int
		jitter   func(time.Duration) time.Duration
		want     time.Duration
	}{
		{1, none, 15 * time.Second},
		{1, all, 30 * time.Second},
		{2, none, 30 * time.Second},
		{3, all, 2 * time.Minute},
		{20, none, 30 * time.Minute},
		{20, all, time.Hour},
	} {
		if got := notify.Delay(c.attempts, 30*time.Second, time.Hour, c.jitter); got != c.want {
			t.Errorf("Delay(%d) = %s, want %s", c.attempts, got, c.want)
		}
	}
}

func TestRenderer_Render(t *testing.T) {
	tr, err := api.MailCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := notify.NewRenderer(tr, "prizes.example.org", "WSIS Prizes"); !errors.Is(err, kind.ErrInvalid) {
		t.Errorf("a base URL without a scheme: %v", err)
	}
	r, err := notify.NewRenderer(tr, "https://prizes.example.org/base/", "WSIS Prizes")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Render(notify.Message{ID: 1, Kind: "nope", To: "a@example.org"}); !errors.Is(err, notify.ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
	// Every kind renders in every language, with no key left untranslated.
	for _, lang := range []string{"en", "fr", "es", "ru", "zh", "ar", "xx"} {
		for _, k := range notify.Kinds() {
			m, err := r.Render(notify.Message{ID: 7, Kind: k, To: "a@example.org", Language: lang, Payload: map[string]string{
				"edition": "E", "title": "T", "category": "C", "reason": "R", "role": "juror",
				"deadline": "2026-06-08T09:00:00Z", "link": "/e/x"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, part := range []string{m.Subject, m.Text, m.HTML} {
				if strings.Contains(part, "mail.") || strings.Contains(part, "<no value>") {
					t.Errorf("%s in %s: untranslated or missing value:\n%s", k, lang, part)
				}
			}
			want := "https://prizes.example.org/base/" + map[bool]string{true: "en", false: lang}[lang == "xx"] + "/e/x"
			if !strings.Contains(m.Text, want) || m.MessageID != "<outbox-7@prizes.example.org>" {
				t.Errorf("%s in %s: link or Message-ID missing (%s):\n%s", k, lang, m.MessageID, m.Text)
			}
		}
	}
}
