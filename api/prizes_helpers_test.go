package api_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	ipostgres "github.com/wsisvote/prizes/identity/postgres"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/internal/fake"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/prizes/localdisk"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
	"github.com/wsisvote/prizes/transparency"
	"github.com/wsisvote/prizes/voting"
	vpg "github.com/wsisvote/prizes/voting/postgres"
)

// contest is the real handler over the real lifecycle store on a fresh
// database, with accounts for every role.
type contest struct {
	tb      testing.TB
	ctx     context.Context
	pool    *pgxpool.Pool
	votes   *vpg.Store
	store   *ppg.Store
	handler *api.Handler
	signer  *api.Signer
	// log is the transparency log the routes serve.
	log *transparency.Log
	// files is the entries' files service, on a blob directory of the test.
	files   *prizes.Files
	edition string
	// ids and tokens of accounts by name: organiser, owner, owner2, juror,
	// juror2, juror3 (on no panel), voter.
	ids    map[string]int64
	tokens map[string]string
}

func newContest(tb testing.TB) *contest {
	tb.Helper()
	pool := testenv.Postgres(tb)
	clk := fake.NewStepClock(t0)
	k := &contest{tb: tb, ctx: context.Background(), pool: pool, votes: vpg.New(pool),
		store: ppg.New(pool, ppg.Options{Now: clk.Now}), edition: "wsis2026",
		ids: map[string]int64{}, tokens: map[string]string{}}
	pub, priv := testKey(tb, 7)
	logSigner, err := transparency.NewSigner("results-test", priv)
	if err != nil {
		tb.Fatal(err)
	}
	k.log = &transparency.Log{Store: k.votes, Signer: func(context.Context) (*transparency.Signer, error) { return logSigner, nil }}
	if k.signer, err = api.NewSigner(testKid, priv, time.Now); err != nil {
		tb.Fatal(err)
	}
	verifier, err := api.NewVerifier(map[string]ed25519.PublicKey{testKid: pub}, time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	blobs, err := localdisk.New(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	k.files = &prizes.Files{Blobs: blobs, Store: k.store}
	k.handler = api.New(api.Config{
		Votes:     casterFunc(func(voting.Ballot) (voting.Receipt, error) { return voting.Receipt{}, voting.ErrClosed }),
		Catalogue: voting.NewCatalogue(nil), Tokens: verifier,
		Prizes: api.PrizesConfig{Editions: k.store, Submissions: k.store, Review: k.store,
			Champions: k.store, Jury: k.store, Results: k.store, Audit: k.store, Ledger: k.store, Log: k.log,
			Activity: k.votes, Invitations: k.store, Files: k.files},
	})
	for _, a := range []struct{ name, role string }{
		{"organiser", api.RoleOrganiser}, {"owner", api.RoleOwner}, {"owner2", api.RoleOwner},
		{"juror", api.RoleJuror}, {"juror2", api.RoleJuror}, {"juror3", api.RoleJuror}, {"voter", api.RoleVoter},
	} {
		acc, err := ipostgres.New(k.votes.Pool()).EnsureAccount(k.ctx, a.name+"@example.org", a.name, "KE")
		if err != nil {
			tb.Fatal(err)
		}
		k.ids[a.name] = acc.ID
		if k.tokens[a.name], err = k.signer.Issue(strconv.FormatInt(acc.ID, 10), a.role, acc.CreatedAt, time.Hour); err != nil {
			tb.Fatal(err)
		}
	}
	return k
}

// call sends a request as the named account ("" for none) and returns the
// answer.
func (k *contest) call(as, method, path string, body any) *httptest.ResponseRecorder {
	k.tb.Helper()
	var r *strings.Reader
	switch b := body.(type) {
	case nil:
		r = strings.NewReader("")
	case string:
		r = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			k.tb.Fatal(err)
		}
		r = strings.NewReader(string(raw))
	}
	req := httptest.NewRequest(method, "/api/v1"+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if as != "" {
		req.Header.Set("Authorization", "Bearer "+k.tokens[as])
	}
	w := httptest.NewRecorder()
	k.handler.ServeHTTP(w, req)
	return w
}

// must sends a request that must answer status, and decodes the answer into
// out when it is not nil.
func (k *contest) must(status int, as, method, path string, body, out any) {
	k.tb.Helper()
	w := k.call(as, method, path, body)
	if w.Code != status {
		k.tb.Fatalf("%s %s as %q: %d %s; want %d", method, path, as, w.Code, w.Body, status)
	}
	if out != nil {
		decode(k.tb, w, out)
	}
}

func (k *contest) ed(path string) string { return "/editions/" + k.edition + path }

// setPhase puts the edition in a phase directly, as a test shortcut.
func (k *contest) setPhase(p voting.Phase) {
	k.tb.Helper()
	if _, err := k.pool.Exec(k.ctx, `UPDATE editions SET phase = $2 WHERE id = $1`, k.edition, string(p)); err != nil {
		k.tb.Fatal(err)
	}
}

// fingerprint digests every lifecycle table, so a test can show that a
// refused call changed nothing.
func (k *contest) fingerprint() string {
	k.tb.Helper()
	var fp string
	err := k.pool.QueryRow(k.ctx, `SELECT coalesce(md5(string_agg(x, '|' ORDER BY x)), '') FROM (
		SELECT 'e' || id || phase || rules::text || rules_hash || schedule::text || updated_at FROM editions
		UNION ALL SELECT 'k' || edition_id || code || name FROM categories
		UNION ALL SELECT 'p' || id || status || status_reason || title || summary || organisation || updated_at FROM projects
		UNION ALL SELECT 'a' || edition_id || juror_id || category_code FROM jury_assignments
		UNION ALL SELECT 'c' || edition_id || juror_id || project_id FROM jury_conflicts
		UNION ALL SELECT 's' || edition_id || juror_id || project_id || scores::text || updated_at || coalesce(submitted_at::text, '') FROM jury_scores
		UNION ALL SELECT 't' || edition_id || stage || category_code || ordered::text || decided_at FROM tie_decisions
		UNION ALL SELECT 'x' || edition_id || digest FROM results
		UNION ALL SELECT 'r' || edition_id || document FROM champion_results
		UNION ALL SELECT 'h' || edition_id || seq || hash FROM audit_heads
	) t(x)`).Scan(&fp)
	if err != nil {
		k.tb.Fatal(err)
	}
	return fp
}

// summaryOf returns a summary of n words.
func summaryOf(n int) string { return strings.TrimSpace(strings.Repeat("impact ", n)) }

// entryBody is a complete entry of org in category.
func entryBody(category, org string) map[string]any {
	return map[string]any{
		"category": category, "title": org + " Digital Inclusion", "summary": summaryOf(160),
		"organisation": org, "country": "BR", "stakeholder_type": "civil_society",
		"links": []string{"https://example.org/" + strings.ReplaceAll(strings.ToLower(org), " ", "-")},
	}
}

type entryJSON struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Reason string `json:"reason"`
	Title  string `json:"title"`
}

// submitted creates and submits an entry as owner and returns its id.
func (k *contest) submitted(owner, category, org string) string {
	k.tb.Helper()
	var e entryJSON
	k.must(http.StatusCreated, owner, "POST", k.ed("/submissions"), entryBody(category, org), &e)
	k.must(http.StatusOK, owner, "POST", k.ed("/submissions/"+e.ID+"/submit"), nil, &e)
	if e.Status != "submitted" {
		k.tb.Fatalf("entry status %q after submit", e.Status)
	}
	return e.ID
}

// castVotes writes counted votes for project into the ledger from n new
// voters.
func (k *contest) castVotes(project, category string, n int) {
	k.tb.Helper()
	votes := make([]voting.Vote, n)
	for i := range votes {
		acc, err := ipostgres.New(k.votes.Pool()).EnsureAccount(k.ctx, fmt.Sprintf("voter-%s@example.org", uuid.NewString()), "", "")
		if err != nil {
			k.tb.Fatal(err)
		}
		votes[i] = voting.Vote{ID: uuid.Must(uuid.NewV7()).String(), Edition: k.edition, VoterID: acc.ID, ProjectID: project,
			Category: category, Slot: category, Status: voting.StatusCounted, CastAt: t0.Add(time.Duration(i) * time.Second)}
	}
	if _, err := k.votes.Insert(k.ctx, votes); err != nil {
		k.tb.Fatal(err)
	}
}
