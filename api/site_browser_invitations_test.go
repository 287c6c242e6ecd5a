package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/api"
	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	"github.com/wsisvote/prizes/internal/testenv"
)

// TestSite_browserInvitations: an organiser invites a juror from the
// invitations page, in English and Arabic; the invitee opens the link,
// accepts, and is granted the panel; the same link then says it was used;
// and the organiser's list shows the invitation accepted.
func TestSite_browserInvitations(t *testing.T) {
	st := newSiteStack(t, 72*time.Hour)
	ctx := context.Background()
	for _, tc := range []struct {
		lang string
		vp   viewport
	}{{"en", desktop}, {"ar", phone}} {
		t.Run(tc.lang+"-"+tc.vp.name, func(t *testing.T) {
			ed, organiser := workspaceEdition(t, st, "inv-"+tc.lang+"-"+tc.vp.name)
			email := "invitee-" + tc.lang + "-" + testenv.ID(t) + "@example.org"
			b := newBrowser(t, st.url, tc.lang, tc.vp)
			b.signInAs(st, organiser.ID, []string{api.RoleOrganiser})
			b.open("/" + tc.lang + "/organise/invitations")
			b.page("org-invitations")
			b.setField("#email", email)
			b.setField("#panel", ed+"/"+st.categories[0].Code)
			b.post(`form[action$="/organise/invitations"] button[type=submit]`, ".notice")
			if got := b.text(".notice"); !strings.Contains(got, message(t, tc.lang, "inv.org.invited")) {
				t.Errorf("after inviting: %q", got)
			}

			var link string
			if err := st.pool.QueryRow(ctx, `SELECT payload->>'link' FROM outbox WHERE email = $1`, email).Scan(&link); err != nil {
				t.Fatal(err)
			}
			invitee, err := ipostgres.New(st.pool).EnsureAccount(ctx, email, "", "KE")
			if err != nil {
				t.Fatal(err)
			}
			ib := newBrowser(t, st.url, tc.lang, tc.vp)
			ib.signInAs(st, invitee.ID, nil)
			ib.open("/" + tc.lang + link)
			ib.page("invitation")
			ib.post(`form[action$="`+link+`"] button`, ".notice")
			if got := ib.text(".notice"); !strings.Contains(got, strings.Split(message(t, tc.lang, "inv.page.accepted"), "{{")[0]) {
				t.Errorf("after accepting: %q", got)
			}
			var grants int
			if err := st.pool.QueryRow(ctx, `SELECT count(*) FROM account_grants WHERE account_id = $1 AND role = 'juror'
				AND edition_id = $2 AND category_code = $3`, invitee.ID, ed, st.categories[0].Code).Scan(&grants); err != nil || grants != 1 {
				t.Fatalf("grants after accepting on the site: %d (%v)", grants, err)
			}
			ib.open("/" + tc.lang + link)
			if got := ib.text(".notice"); got != message(t, tc.lang, "errors.invitation_used") {
				t.Errorf("the used link says %q", got)
			}
			b.open("/" + tc.lang + "/organise/invitations")
			if got := b.text("tbody"); !strings.Contains(got, message(t, tc.lang, "inv.status.accepted")) {
				t.Errorf("the list says %q", got)
			}
		})
	}
}
