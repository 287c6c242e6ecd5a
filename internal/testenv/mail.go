package testenv

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// SMTPAddr returns the host:port of the test mail server (Mailpit), which
// accepts any mail without authentication and keeps it for MailTo.
func SMTPAddr(tb testing.TB) string {
	tb.Helper()
	return Env(tb, "PRIZES_TEST_SMTP_ADDR")
}

// Mail is a message as the test mail server received it.
type Mail struct {
	ID      string
	From    string
	To      []string
	Subject string
	Text    string
	// HTML is the HTML part, empty for a plain-text message.
	HTML string
	// MessageID is the Message-ID header, without its angle brackets.
	MessageID string
}

// MailTo waits up to 10 seconds for a message to addr whose id is not in
// seen, and returns the newest one. Tests use addresses of their own, so
// they do not see each other's mail.
func MailTo(tb testing.TB, addr string, seen ...string) Mail {
	tb.Helper()
	base := Env(tb, "PRIZES_TEST_MAILPIT_URL")
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := newestMail(base, addr, seen)
		if err != nil {
			tb.Fatalf("read test mail server: %v", err)
		}
		if m.ID != "" {
			return m
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no new mail to %s within 10s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type mailpitAddress struct {
	Address string `json:"Address"`
}

type mailpitMessage struct {
	ID        string           `json:"ID"`
	MessageID string           `json:"MessageID"`
	From      mailpitAddress   `json:"From"`
	To        []mailpitAddress `json:"To"`
	Subject   string           `json:"Subject"`
	Text      string           `json:"Text"`
	HTML      string           `json:"HTML"`
}

func (m mailpitMessage) mail() Mail {
	out := Mail{ID: m.ID, From: m.From.Address, Subject: m.Subject, Text: m.Text, HTML: m.HTML, MessageID: m.MessageID}
	for _, a := range m.To {
		out.To = append(out.To, a.Address)
	}
	return out
}

func newestMail(base, addr string, seen []string) (Mail, error) {
	var list struct {
		Messages []mailpitMessage `json:"messages"`
	}
	q := url.Values{"query": {fmt.Sprintf("to:%q", addr)}}
	if err := getJSON(base+"/api/v1/search?"+q.Encode(), &list); err != nil {
		return Mail{}, err
	}
next:
	for _, m := range list.Messages { // newest first
		for _, s := range seen {
			if s == m.ID {
				continue next
			}
		}
		var full mailpitMessage
		if err := getJSON(base+"/api/v1/message/"+url.PathEscape(m.ID), &full); err != nil {
			return Mail{}, err
		}
		return full.mail(), nil
	}
	return Mail{}, nil
}

func getJSON(u string, v any) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
