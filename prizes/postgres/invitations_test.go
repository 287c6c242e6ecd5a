package postgres_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/notify"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/web"
)

// grants returns the account's grants as "role/edition/category".
func (f *fixture) grants(tb testing.TB, account int64) []string {
	tb.Helper()
	rows, err := f.pool.Query(f.ctx, `SELECT role || '/' || edition_id || '/' || category_code FROM account_grants
		WHERE account_id = $1 ORDER BY 1`, account)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			tb.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// auditActions returns the actions of a chain's entries.
func (f *fixture) auditActions(tb testing.TB, chain string) []string {
	tb.Helper()
	rows, err := f.pool.Query(f.ctx, `SELECT action FROM audit_log WHERE edition_id = $1 ORDER BY seq`, chain)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			tb.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestStore_AcceptInvitation: an invitation's token grants its role once,
// to the invited address only, with every step in the audit chain and the
// mail in the outbox without the token kept anywhere but there.
func TestStore_AcceptInvitation(t *testing.T) {
	f := newFixture(t)
	f.createEdition(t, smallRules)
	langs := web.Languages()

	inv, token, err := f.store.CreateInvitation(f.ctx, f.organiser, prizes.NewInvitation{
		Email: "New.Juror@Example.org", Role: identity.RoleJuror, Edition: f.edition, Category: "C1", Language: "fr"}, langs)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != prizes.InvitationPending || inv.Email != "new.juror@example.org" || !inv.ExpiresAt.Equal(inv.CreatedAt.Add(prizes.InvitationTTL)) {
		t.Fatalf("invitation = %+v", inv)
	}
	var stored int
	if err := f.pool.QueryRow(f.ctx, `SELECT count(*) FROM invitations WHERE token_hash = $1 OR position($2 in email) > 0`,
		[]byte(token), token).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("the token is stored as is (%d rows, %v)", stored, err)
	}
	rows := f.outbox(t)
	if len(rows) != 1 || rows[0].Kind != string(notify.KindInvitation) || rows[0].Email != "new.juror@example.org" ||
		rows[0].Payload[notify.PayloadLink] != "/invitations/"+token || rows[0].Payload[notify.PayloadCategory] != "Governments" {
		t.Fatalf("outbox = %+v", rows)
	}

	other := f.account(t, "voter", "someone.else@example.org", "KE")
	if _, err := f.store.AcceptInvitation(f.ctx, other.ID, token); !errors.Is(err, prizes.ErrInvitationAddress) {
		t.Fatalf("accept by another address: %v", err)
	}
	if _, err := f.store.AcceptInvitation(f.ctx, other.ID, "not-a-token"); !errors.Is(err, prizes.ErrUnknownInvitation) {
		t.Fatalf("accept with a wrong token: %v", err)
	}
	invitee := f.account(t, "voter", "new.juror@example.org", "FR")
	got, err := f.store.AcceptInvitation(f.ctx, invitee.ID, token)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != prizes.InvitationAccepted || got.AcceptedBy != invitee.ID {
		t.Fatalf("accepted = %+v", got)
	}
	if g := f.grants(t, invitee.ID); strings.Join(g, ",") != "juror/e2026/C1" {
		t.Fatalf("grants after accepting = %v", g)
	}
	if _, err := f.store.AcceptInvitation(f.ctx, invitee.ID, token); !errors.Is(err, prizes.ErrInvitationUsed) {
		t.Fatalf("accept twice: %v", err)
	}
	if _, err := f.store.RevokeInvitation(f.ctx, f.organiser, inv.ID); !errors.Is(err, prizes.ErrInvitationUsed) {
		t.Fatalf("revoke an accepted invitation: %v", err)
	}
	as, err := f.store.Assignments(f.ctx, f.edition)
	if err != nil || len(as) != 1 || as[0].JurorID != invitee.ID {
		t.Fatalf("assignments after accepting = %+v, %v", as, err)
	}
	actions := strings.Join(f.auditActions(t, f.edition), ",")
	if !strings.Contains(actions, "role.invite,role.grant") {
		t.Fatalf("audit actions = %s", actions)
	}
	rep, err := f.store.VerifyAudit(f.ctx, f.edition)
	if err != nil || !rep.OK {
		t.Fatalf("audit verify: %+v, %v", rep, err)
	}
	if k := kinds(f.outbox(t)); k[string(notify.KindJuryAssigned)] != 1 {
		t.Fatalf("outbox after accepting = %v", k)
	}
}

// TestStore_invitationRefusals: an organiser invitation is chained into
// the roles chain; a revoked or expired invitation grants nothing, with
// its own error.
func TestStore_invitationRefusals(t *testing.T) {
	f := newFixture(t)
	f.createEdition(t, smallRules)
	langs := web.Languages()
	invite := func(email, role, edition, category string) (prizes.Invitation, string) {
		t.Helper()
		inv, token, err := f.store.CreateInvitation(f.ctx, f.organiser, prizes.NewInvitation{
			Email: email, Role: role, Edition: edition, Category: category}, langs)
		if err != nil {
			t.Fatal(err)
		}
		return inv, token
	}
	for _, bad := range []prizes.NewInvitation{
		{Email: "not an address", Role: identity.RoleOrganiser},
		{Email: "a@example.org", Role: "owner"},
		{Email: "a@example.org", Role: identity.RoleJuror, Edition: f.edition},
		{Email: "a@example.org", Role: identity.RoleJuror, Edition: f.edition, Category: "C9"},
		{Email: "a@example.org", Role: identity.RoleOrganiser, Language: "de"},
	} {
		var fe prizes.FieldErrors
		if _, _, err := f.store.CreateInvitation(f.ctx, f.organiser, bad, langs); !errors.As(err, &fe) {
			t.Errorf("invitation %+v: %v, want field errors", bad, err)
		}
	}
	if _, _, err := f.store.CreateInvitation(f.ctx, f.organiser, prizes.NewInvitation{
		Email: "a@example.org", Role: identity.RoleJuror, Edition: "nope", Category: "C1"}, langs); !errors.Is(err, voting.ErrUnknownEdition) {
		t.Errorf("invitation to an unknown edition: %v", err)
	}

	org, orgToken := invite("second.organiser@example.org", identity.RoleOrganiser, "", "")
	revoked, revokedToken := invite("revoked@example.org", identity.RoleOrganiser, "", "")
	_, expiredToken := invite("late@example.org", identity.RoleJuror, f.edition, "C2")
	if _, err := f.store.RevokeInvitation(f.ctx, f.organiser, revoked.ID); err != nil {
		t.Fatal(err)
	}
	again, err := f.store.RevokeInvitation(f.ctx, f.organiser, revoked.ID)
	if err != nil || again.Status != prizes.InvitationRevoked {
		t.Fatalf("revoke twice: %+v, %v", again, err)
	}
	r := f.account(t, "voter", "revoked@example.org", "KE")
	if _, err := f.store.AcceptInvitation(f.ctx, r.ID, revokedToken); !errors.Is(err, prizes.ErrInvitationRevoked) {
		t.Fatalf("accept a revoked invitation: %v", err)
	}
	if _, err := f.pool.Exec(f.ctx, `UPDATE invitations SET expires_at = created_at - interval '1 second' WHERE email = 'late@example.org'`); err != nil {
		t.Fatal(err)
	}
	late := f.account(t, "voter", "late@example.org", "KE")
	if _, err := f.store.AcceptInvitation(f.ctx, late.ID, expiredToken); !errors.Is(err, prizes.ErrInvitationExpired) {
		t.Fatalf("accept an expired invitation: %v", err)
	}
	if g := f.grants(t, r.ID); len(g) != 0 {
		t.Fatalf("a revoked invitation granted %v", g)
	}
	if g := f.grants(t, late.ID); len(g) != 0 {
		t.Fatalf("an expired invitation granted %v", g)
	}

	second := f.account(t, "voter", "second.organiser@example.org", "KE")
	if _, err := f.store.AcceptInvitation(f.ctx, second.ID, orgToken); err != nil {
		t.Fatal(err)
	}
	if g := f.grants(t, second.ID); strings.Join(g, ",") != "organiser//" {
		t.Fatalf("organiser grants = %v", g)
	}
	if got := strings.Join(f.auditActions(t, prizes.RolesChain), ","); got != "role.invite,role.invite,role.invite.revoke,role.grant" {
		t.Fatalf("roles chain = %s", got)
	}
	rep, err := f.store.VerifyAudit(f.ctx, prizes.RolesChain)
	if err != nil || !rep.OK {
		t.Fatalf("roles chain verify: %+v, %v", rep, err)
	}
	list, err := f.store.Invitations(f.ctx, 0)
	if err != nil || len(list) != 3 {
		t.Fatalf("list = %+v, %v", list, err)
	}
	status := map[string]prizes.InvitationStatus{}
	for _, inv := range list {
		status[inv.Email] = inv.Status
	}
	if status[org.Email] != prizes.InvitationAccepted || status["revoked@example.org"] != prizes.InvitationRevoked ||
		status["late@example.org"] != prizes.InvitationExpired {
		t.Fatalf("statuses = %v", status)
	}
}
