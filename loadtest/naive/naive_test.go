package naive_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/api"
	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/loadtest/naive"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting/postgres"
)

func TestServer_vote(t *testing.T) {
	ctx := context.Background()
	gin.SetMode(gin.ReleaseMode)
	url := testenv.DatabaseURL(t)
	f := seed(t, url, 8)
	s, closeFn, err := naive.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	cast := func(tok, project string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/editions/demo/votes",
			strings.NewReader(`{"project_id":"`+project+`"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			VoteID string `json:"vote_id"`
			Error  struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == http.StatusAccepted {
			return resp.StatusCode, body.VoteID
		}
		return resp.StatusCode, body.Error.Code
	}

	t.Run("accepted then duplicate", func(t *testing.T) {
		if code, id := cast(f.tokens[0], f.projects[0]); code != http.StatusAccepted || id == "" {
			t.Fatalf("first vote: %d %q; want 202 with a vote id", code, id)
		}
		// Another project of the same category is the same slot.
		if code, msg := cast(f.tokens[0], f.projects[1]); code != http.StatusConflict || msg != "duplicate_vote" {
			t.Fatalf("second vote in the category: %d %q; want 409 duplicate_vote", code, msg)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		if code, msg := cast("not-a-token", f.projects[0]); code != http.StatusUnauthorized {
			t.Fatalf("bad token: %d %q; want 401", code, msg)
		}
		if code, msg := cast(f.tokens[1], "00000000-0000-0000-0000-000000000000"); code != http.StatusNotFound || msg != "unknown_project" {
			t.Fatalf("unknown project: %d %q; want 404 unknown_project", code, msg)
		}
	})
	t.Run("concurrent duplicates", func(t *testing.T) {
		// Six concurrent votes of one voter in one category: the unique
		// constraint lets exactly one in.
		var wg sync.WaitGroup
		codes := make([]int, 6)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _ = cast(f.tokens[2], f.projects[i%2])
			}()
		}
		wg.Wait()
		accepted := 0
		for _, c := range codes {
			if c == http.StatusAccepted {
				accepted++
			} else if c != http.StatusConflict {
				t.Fatalf("concurrent vote answered %d; want 202 or 409", c)
			}
		}
		if accepted != 1 {
			t.Fatalf("%d of %d concurrent duplicates accepted; want exactly 1", accepted, len(codes))
		}
	})
	var n int
	if err := f.store.Pool().QueryRow(ctx, "SELECT count(*) FROM "+naive.Table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("%s holds %d rows; want 2", naive.Table, n)
	}
}

// seeded is a database with the demo edition (two nominees per category)
// and voters with tokens.
type seeded struct {
	store    *postgres.Store
	tokens   []string
	projects []string
}

// seed fills the database at url.
func seed(t testing.TB, url string, voters int) *seeded {
	t.Helper()
	ctx := context.Background()
	pool := poolFor(t, url)
	store := postgres.New(pool)
	ed, cats, projects := prizes.DemoEdition("demo", 2)
	if err := store.SeedEdition(ctx, ed, cats, projects); err != nil {
		t.Fatal(err)
	}
	key, err := ipostgres.New(pool).ActiveSigningKey(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := api.NewSigner(key.ID, key.Private, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := ipostgres.New(store.Pool()).CreateVoters(ctx, voters)
	if err != nil {
		t.Fatal(err)
	}
	s := &seeded{store: store, projects: []string{projects[0].ID, projects[1].ID}}
	if projects[0].Category != projects[1].Category {
		t.Fatalf("demo projects 0 and 1 are in categories %s and %s; want one", projects[0].Category, projects[1].Category)
	}
	for _, v := range vs {
		tok, err := signer.Issue(strconv.FormatInt(v.ID, 10), api.RoleVoter, v.CreatedAt, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s.tokens = append(s.tokens, tok)
	}
	return s
}

// poolFor opens a pool on url that the test closes.
func poolFor(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
