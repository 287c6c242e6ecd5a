package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/prizes"
)

// invitationExampleRoutes are the routes whose examples
// TestOpenAPI_examplesInvitations sends.
var invitationExampleRoutes = []exampleCall{
	{route: "POST /api/v1/invitations"}, {route: "POST /api/v1/invitations/accept"},
}

// tokenOf returns the token of the invitation to email, from the link in
// its queued mail: the only place the token is.
func (k *contest) tokenOf(email string) string {
	k.tb.Helper()
	var link string
	if err := k.pool.QueryRow(k.ctx, `SELECT payload->>'link' FROM outbox WHERE kind = 'invitation' AND email = $1
		ORDER BY id DESC LIMIT 1`, email).Scan(&link); err != nil {
		k.tb.Fatal(err)
	}
	return strings.TrimPrefix(link, "/invitations/")
}

// TestInvitations_API: only organisers invite, list and revoke; the
// invited account accepts once and gets the role; a revoked invitation and
// someone else's are refused with their codes and change nothing.
func TestInvitations_API(t *testing.T) {
	k := newContest(t)
	k.createEdition()
	juror := map[string]string{"email": "voter@example.org", "role": "juror", "edition": k.edition, "category": "C1", "language": "fr"}

	for _, c := range []struct {
		as, method, path string
		body             any
		want             int
	}{
		{"", "POST", "/invitations", juror, http.StatusUnauthorized},
		{"voter", "POST", "/invitations", juror, http.StatusForbidden},
		{"owner", "GET", "/invitations", nil, http.StatusForbidden},
		{"juror", "POST", "/invitations/0190c5e2-7d1a-7b3c-9f00-00000000c0de/revoke", nil, http.StatusForbidden},
		{"", "POST", "/invitations/accept", map[string]string{"token": "x"}, http.StatusUnauthorized},
		{"organiser", "POST", "/invitations", map[string]string{"email": "x@example.org", "role": "owner"}, http.StatusUnprocessableEntity},
		{"organiser", "POST", "/invitations", `{"email":"x@example.org","role":"organiser","extra":1}`, http.StatusUnprocessableEntity},
		{"organiser", "POST", "/invitations/not-an-id/revoke", nil, http.StatusNotFound},
	} {
		if w := k.call(c.as, c.method, c.path, c.body); w.Code != c.want {
			t.Errorf("%s %s as %q: %d %s; want %d", c.method, c.path, c.as, w.Code, w.Body, c.want)
		}
	}
	var n int
	if err := k.pool.QueryRow(k.ctx, `SELECT (SELECT count(*) FROM invitations) + (SELECT count(*) FROM outbox)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("refused calls left %d rows (%v)", n, err)
	}

	var inv prizes.Invitation
	k.must(http.StatusCreated, "organiser", "POST", "/invitations", juror, &inv)
	if inv.Status != prizes.InvitationPending || inv.Role != "juror" || inv.Category != "C1" {
		t.Fatalf("created %+v", inv)
	}
	var other prizes.Invitation
	k.must(http.StatusCreated, "organiser", "POST", "/invitations", map[string]string{"email": "owner2@example.org", "role": "organiser"}, &other)
	k.must(http.StatusOK, "organiser", "POST", "/invitations/"+other.ID+"/revoke", nil, &other)
	if other.Status != prizes.InvitationRevoked {
		t.Fatalf("revoked %+v", other)
	}

	if w := k.call("owner2", "POST", "/invitations/accept", map[string]string{"token": k.tokenOf("owner2@example.org")}); w.Code != http.StatusConflict ||
		!strings.Contains(w.Body.String(), `"invitation_revoked"`) {
		t.Errorf("accept a revoked invitation: %d %s", w.Code, w.Body)
	}
	token := k.tokenOf("voter@example.org")
	if w := k.call("owner", "POST", "/invitations/accept", map[string]string{"token": token}); w.Code != http.StatusForbidden ||
		!strings.Contains(w.Body.String(), `"invitation_other_address"`) {
		t.Errorf("accept someone else's invitation: %d %s", w.Code, w.Body)
	}
	var accepted prizes.Invitation
	k.must(http.StatusOK, "voter", "POST", "/invitations/accept", map[string]string{"token": token}, &accepted)
	if accepted.Status != prizes.InvitationAccepted || accepted.AcceptedBy != k.ids["voter"] {
		t.Fatalf("accepted %+v", accepted)
	}
	if w := k.call("voter", "POST", "/invitations/accept", map[string]string{"token": token}); w.Code != http.StatusConflict ||
		!strings.Contains(w.Body.String(), `"invitation_used"`) {
		t.Errorf("accept twice: %d %s", w.Code, w.Body)
	}
	var granted int
	if err := k.pool.QueryRow(k.ctx, `SELECT count(*) FROM account_grants WHERE account_id = $1 AND role = 'juror'
		AND edition_id = $2 AND category_code = 'C1'`, k.ids["voter"], k.edition).Scan(&granted); err != nil || granted != 1 {
		t.Fatalf("juror grants after accepting: %d (%v)", granted, err)
	}
	var list struct {
		Invitations []prizes.Invitation `json:"invitations"`
	}
	k.must(http.StatusOK, "organiser", "GET", "/invitations", nil, &list)
	if len(list.Invitations) != 2 {
		t.Fatalf("list = %+v", list)
	}
	var audit struct {
		Entries []prizes.AuditEntry `json:"entries"`
	}
	k.must(http.StatusOK, "organiser", "GET", k.ed("/audit"), nil, &audit)
	var actions []string
	for _, e := range audit.Entries {
		actions = append(actions, string(e.Action))
	}
	if got := strings.Join(actions, ","); !strings.HasSuffix(got, "role.invite,role.grant") {
		t.Errorf("audit actions %s", got)
	}
}

// TestOpenAPI_examplesInvitations sends the documented examples of the
// invitation routes and checks the answers against the document.
func TestOpenAPI_examplesInvitations(t *testing.T) {
	k := newContest(t)
	d := getOpenAPI(t, k.handler)
	token := func(as string) string { return k.tokens[as] }
	// The example's edition does not exist here, and its token names no
	// invitation: both are documented refusals.
	d.send(t, k.handler, exampleCall{route: "POST /api/v1/invitations", path: "/api/v1/invitations", as: "organiser", want: 404}, token)
	d.send(t, k.handler, exampleCall{route: "POST /api/v1/invitations/accept", path: "/api/v1/invitations/accept", as: "voter", want: 404}, token)
	k.createEdition()
	d.send(t, k.handler, exampleCall{route: "POST /api/v1/invitations", path: "/api/v1/invitations", as: "organiser", want: 201,
		body: `{"email":"juror@example.org","role":"juror","edition":"` + k.edition + `","category":"C1"}`}, token)
	d.send(t, k.handler, exampleCall{route: "GET /api/v1/invitations", path: "/api/v1/invitations", as: "organiser", want: 200}, token)
}
