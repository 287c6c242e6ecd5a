package api_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/prizes"
)

// siteGet fetches a site path with the session of account id (0: none)
// and returns the status, the content type and the body.
func siteGet(tb testing.TB, st *siteStack, id int64, roles []string, path string) (int, string, string) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, st.url+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if id != 0 {
		claims := api.Claims{Role: roles[0], Roles: roles}
		claims.Subject = strconv.FormatInt(id, 10)
		tok, err := st.signer.IssueClaims(claims, time.Hour)
		if err != nil {
			tb.Fatal(err)
		}
		req.AddCookie(&http.Cookie{Name: "__Host-access", Value: tok})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

// TestSite_files checks the pages of entries' files without a browser: the
// owner's entry page has its upload forms, the organiser's review page
// links each entry's files and the exports, and the site serves a file to
// its owner and organisers only.
func TestSite_files(t *testing.T) {
	st := newSiteStack(t, 72*time.Hour)
	ctx := context.Background()
	ed, organiser := workspaceEdition(t, st, "files-site")
	owner, other := account(t, st, "owner"), account(t, st, "owner")
	cat := prizes.WSISCategories()[0].Code
	s := submitEntry(t, st, ed, owner, cat, "Open Maps")
	doc, err := st.files.Upload(ctx, owner, ed, s.ID, prizes.FileAttachment, "plan.pdf", []byte("%PDF-1.4\n%%EOF\n"))
	if err != nil {
		t.Fatal(err)
	}
	ownerRoles := []string{api.RoleOwner}
	orgRoles := []string{api.RoleOrganiser}

	code, _, body := siteGet(t, st, owner.ID, ownerRoles, "/en/"+ed+"/entries/"+s.ID)
	if code != http.StatusOK || !strings.Contains(body, `enctype="multipart/form-data"`) || !strings.Contains(body, `name="csrf"`) ||
		!strings.Contains(body, "/en/"+ed+"/files/"+doc.Hash) {
		t.Fatalf("owner's entry page: %d\n%s", code, body)
	}
	code, _, body = siteGet(t, st, organiser.ID, orgRoles, "/en/"+ed+"/organise/review?category="+cat)
	if code != http.StatusOK || !strings.Contains(body, "/en/"+ed+"/files/"+doc.Hash) ||
		!strings.Contains(body, "/en/"+ed+"/organise/entries.zip?category="+cat) {
		t.Fatalf("review page: %d\n%s", code, body)
	}
	for _, tc := range []struct {
		name  string
		id    int64
		roles []string
		want  int
	}{
		{"owner", owner.ID, ownerRoles, http.StatusOK}, {"organiser", organiser.ID, orgRoles, http.StatusOK},
		{"another owner", other.ID, ownerRoles, http.StatusNotFound}, {"anyone", 0, nil, http.StatusNotFound},
	} {
		code, ct, body := siteGet(t, st, tc.id, tc.roles, "/en/"+ed+"/files/"+doc.Hash)
		if code != tc.want || (code == http.StatusOK && (ct != prizes.TypePDF || !strings.HasPrefix(body, "%PDF-"))) {
			t.Errorf("%s reads the document: %d %s", tc.name, code, ct)
		}
	}
	code, ct, _ := siteGet(t, st, organiser.ID, orgRoles, "/en/"+ed+"/organise/entries.zip?category="+cat)
	if code != http.StatusOK || ct != "application/zip" {
		t.Fatalf("zip: %d %s", code, ct)
	}
	code, _, _ = siteGet(t, st, owner.ID, ownerRoles, "/en/"+ed+"/organise/entries.csv")
	if code != http.StatusForbidden {
		t.Fatalf("an owner's CSV export: %d", code)
	}
}
