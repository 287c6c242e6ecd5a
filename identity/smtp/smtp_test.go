package smtp_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/identity/smtp"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/internal/testenv"
)

func mailer(tb testing.TB, tlsMode string, addr string) *smtp.Mailer {
	tb.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		tb.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	m, err := smtp.New(smtp.Config{Host: host, Port: p, TLS: tlsMode, From: "WSIS Prizes <noreply@prizes.example>"})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestMailer_Send(t *testing.T) {
	m := mailer(t, smtp.TLSNone, testenv.SMTPAddr(t))
	to := testenv.ID(t) + "@example.org"
	text := "Your sign-in code is:\n\n    123456\n\nZoë says a line longer than seventy-six characters is wrapped by quoted-printable and comes back whole.\n"
	if err := m.Send(context.Background(), identity.Message{To: to, Subject: "Votre code — WSIS", Text: text}); err != nil {
		t.Fatal(err)
	}
	got := testenv.MailTo(t, to)
	if got.Subject != "Votre code — WSIS" {
		t.Errorf("subject = %q", got.Subject)
	}
	if got.From != "noreply@prizes.example" || len(got.To) != 1 || got.To[0] != to {
		t.Errorf("from %q to %v", got.From, got.To)
	}
	if strings.ReplaceAll(got.Text, "\r\n", "\n") != text {
		t.Errorf("text = %q, want %q", got.Text, text)
	}
}

func TestMailer_Errors(t *testing.T) {
	ctx := context.Background()
	m := mailer(t, smtp.TLSNone, testenv.SMTPAddr(t))
	for _, to := range []string{"", "not an address", "a@example.org\r\nBcc: b@example.org"} {
		if err := m.Send(ctx, identity.Message{To: to, Subject: "s", Text: "t"}); !errors.Is(err, kind.ErrInvalid) {
			t.Errorf("Send to %q: %v, want ErrInvalid", to, err)
		}
	}
	down := mailer(t, smtp.TLSNone, testenv.ClosedAddr(t))
	if err := down.Send(ctx, identity.Message{To: "a@example.org", Subject: "s", Text: "t"}); !errors.Is(err, kind.ErrUnavailable) {
		t.Errorf("closed port: %v, want ErrUnavailable", err)
	}
	// The test server offers no STARTTLS: a mailer told to use it must not
	// fall back to sending in the clear.
	strict := mailer(t, smtp.TLSStartTLS, testenv.SMTPAddr(t))
	if err := strict.Send(ctx, identity.Message{To: "a@example.org", Subject: "s", Text: "t"}); !errors.Is(err, kind.ErrUnavailable) ||
		!strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("STARTTLS required but not offered: %v", err)
	}
}

func TestNew_Errors(t *testing.T) {
	for _, c := range []smtp.Config{
		{From: "a@example.org"},
		{Host: "mail.example.org", From: "not an address"},
		{Host: "mail.example.org", From: "a@example.org", TLS: "ssl"},
	} {
		if _, err := smtp.New(c); !errors.Is(err, kind.ErrInvalid) {
			t.Errorf("New(%+v) = %v, want ErrInvalid", c, err)
		}
	}
}
