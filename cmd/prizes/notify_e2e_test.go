package main_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/internal/testenv"
)

// TestServe_notifications: serve sends the mail a change queues, through
// the outbox, with links at the public address: an owner who submits an
// entry gets the confirmation, and an invited address its invitation.
func TestServe_notifications(t *testing.T) {
	d := newDeployment(t, testenv.RedisURL(t))
	id := testenv.ID(t)
	s := d.serve(append(idEnv(t), "PRIZES_PUBLIC_URL=https://prizes.test", "PRIZES_NOTIFY_EVERY=1h")...)
	organiser := d.prizeAccount("organiser-"+id+"@example.org", "organiser")
	ownerAddr := "owner-" + id + "@example.org"
	owner := d.prizeAccount(ownerAddr, "owner")
	s.prizeMust(t, http.StatusCreated, "POST", "/editions", organiser, map[string]any{
		"id": "mail", "name": "Mail rehearsal", "categories": []map[string]string{{"code": "C1", "name": "One"}},
	}, nil)
	s.prizeMust(t, http.StatusOK, "POST", "/editions/mail/phase", organiser, map[string]string{"phase": "submission"}, nil)
	var entry struct{ ID string }
	s.prizeMust(t, http.StatusCreated, "POST", "/editions/mail/submissions", owner, map[string]any{
		"category": "C1", "title": "Open data project", "summary": strings.TrimSpace(strings.Repeat("open data ", 80)),
		"organisation": "Org Mail", "country": "GH", "stakeholder_type": "government", "links": []string{"https://example.org"},
	}, &entry)
	s.prizeMust(t, http.StatusOK, "POST", "/editions/mail/submissions/"+entry.ID+"/submit", owner, nil, nil)
	// The worker polls hourly here: only the notification of the commit
	// can wake it in time.
	m := testenv.MailTo(t, ownerAddr)
	if !strings.Contains(m.Subject, "Mail rehearsal") || !strings.Contains(m.Text, "https://prizes.test/en/mail/entries/"+entry.ID) ||
		m.HTML == "" {
		t.Errorf("submitted mail %q:\n%s", m.Subject, m.Text)
	}

	invitee := "invitee-" + id + "@example.org"
	s.prizeMust(t, http.StatusCreated, "POST", "/invitations", organiser, map[string]string{
		"email": invitee, "role": "juror", "edition": "mail", "category": "C1", "language": "ru"}, nil)
	m = testenv.MailTo(t, invitee)
	if !strings.Contains(m.Text, "https://prizes.test/ru/invitations/") || !strings.Contains(m.Subject, "член жюри") {
		t.Errorf("invitation mail %q:\n%s", m.Subject, m.Text)
	}
}
