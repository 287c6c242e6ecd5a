package api_test

import (
	"context"
	"crypto/ed25519"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	apg "github.com/wsisvote/prizes/antifraud/postgres"
	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/identity"
	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	iredis "github.com/wsisvote/prizes/identity/redis"
	"github.com/wsisvote/prizes/identity/smtp"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/prizes/localdisk"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
	"github.com/wsisvote/prizes/voting"
	vpostgres "github.com/wsisvote/prizes/voting/postgres"
	vredis "github.com/wsisvote/prizes/voting/redis"
)

// siteStack is the whole service behind the site on the test stack: the
// catalogue and ledger in PostgreSQL, the vote log in Redis with a flusher
// moving votes to the ledger, sign-in with codes mailed to the test mail
// server, served over HTTP for a real browser.
type siteStack struct {
	url        string
	edition    voting.Edition
	categories []voting.Category
	projects   []voting.Project
	pool       *pgxpool.Pool
	ledger     *vpostgres.Store
	lifecycle  *ppg.Store
	catalogue  *voting.Catalogue
	// signer signs the sessions of the workspaces' tests.
	signer *api.Signer
	fraud  *apg.Store
	// votes casts votes as the site does, and activity counts them (and
	// the flusher's batches) for the dashboard, as a node of prizes serve
	// does before saving them.
	votes    *voting.Service
	activity *voting.Activity
	// files keeps entries' files in a directory of the test.
	files *prizes.Files
}

// newSiteStack seeds a demo edition with the 18 WSIS categories of four
// nominees each, whose votes need a proof of work,
// in its voting phase, and serves the site with it as the home page. The
// edition closes to votes after closeIn.
func newSiteStack(tb testing.TB, closeIn time.Duration) *siteStack {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	pool := testenv.Postgres(tb)
	pg := vpostgres.New(pool)
	ed, cats, projects := prizes.DemoEdition("demo", 4)
	if err := pg.SeedEdition(ctx, ed, cats, projects); err != nil {
		tb.Fatal(err)
	}
	// Every vote asks for a proof of work, so the tests run the Worker on
	// the vote form as well as on sign-in.
	if _, err := pool.Exec(ctx, `UPDATE editions SET rules = rules || '{"vote_challenge": true}',
		schedule = jsonb_build_object('voting', jsonb_build_object('start', $1::timestamptz, 'end', $2::timestamptz))`,
		time.Now().Add(-time.Hour), time.Now().Add(closeIn)); err != nil {
		tb.Fatal(err)
	}
	// As prizes seed does, so that the edition can be counted and published.
	lifecycle := ppg.New(pool, ppg.Options{})
	if err := lifecycle.FreezeSeededRules(ctx, "demo"); err != nil {
		tb.Fatal(err)
	}
	snap, err := pg.LoadSnapshot(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	cat := voting.NewCatalogue(snap)
	ed, _ = snap.Edition("demo")

	rc := testenv.Redis(tb)
	prefix := testenv.RedisPrefix(tb, rc)
	store, err := vredis.New(ctx, rc, vredis.Options{Prefix: prefix})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(store.Close)
	activity := voting.NewActivity(time.Now)
	flusher := &voting.Flusher{Stream: store, Ledger: pg, Observer: activity, BatchSize: 100, BatchWait: 10 * time.Millisecond, ClaimIdle: time.Hour}
	done := make(chan struct{})
	go func() { defer close(done); _ = flusher.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })

	svc := &voting.Service{Catalogue: cat, Log: store, Scorer: voting.CountAll{}, Now: time.Now,
		NewID: func() string { return uuid.Must(uuid.NewV7()).String() }, Recorded: pg, SettleWait: time.Second,
		Activity: activity}
	ident := siteIdentity(tb, pool, prefix)
	pub, priv := testKey(tb, 1)
	signer, err := api.NewSigner(testKid, priv, time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	verifier, err := api.NewVerifier(map[string]ed25519.PublicKey{testKid: pub}, time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	fraud := apg.New(pool, lifecycle, apg.Options{})
	blobs, err := localdisk.New(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	files := &prizes.Files{Blobs: blobs, Store: lifecycle}
	h := api.New(api.Config{
		Votes: svc, Catalogue: cat, Tokens: verifier,
		Identity: api.IdentityConfig{SignIn: ident, Accounts: ident, Gate: ident, Issuer: api.NewIssuer(signer)},
		Site: api.SiteConfig{Name: "WSIS Prizes 2026", Edition: "demo", Key: []byte("site key of the browser tests, 32"),
			Results: lifecycle},
		Prizes: api.PrizesConfig{Editions: lifecycle, Submissions: lifecycle, Review: lifecycle, Champions: lifecycle,
			Jury: lifecycle, Results: lifecycle, Audit: lifecycle, Fraud: fraud, Activity: pg,
			Invitations: lifecycle, Files: files},
	})
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	// Browsers keep Secure cookies on plain HTTP for localhost only.
	return &siteStack{url: strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), edition: ed, categories: cats,
		projects: projects, pool: pool, ledger: pg, lifecycle: lifecycle, catalogue: cat, signer: signer, fraud: fraud,
		votes: svc, activity: activity, files: files}
}

// publish takes the stack's edition from voting to published as its
// organiser and jury would, through the lifecycle store the API uses:
// counting closes and chooses the Champions from the ledger, one juror on
// every panel scores each Champion (the most voted highest), and leaving
// the jury phase publishes the signed results. The site's catalogue is then
// reloaded, as prizes serve does. It returns the title of each category's
// Winner by category code.
func (st *siteStack) publish(tb testing.TB) map[string]string {
	tb.Helper()
	ctx := context.Background()
	actor := func(role string) prizes.Actor {
		acc, err := ipostgres.New(st.pool).EnsureAccount(ctx, role+"-"+testenv.ID(tb)+"@example.org", "", "CH")
		if err != nil {
			tb.Fatal(err)
		}
		return prizes.Actor{ID: acc.ID, Role: role}
	}
	organiser, juror := actor("organiser"), actor("juror")
	advance := func(to voting.Phase) {
		tb.Helper()
		if _, err := st.lifecycle.Advance(ctx, organiser, st.edition.ID, to); err != nil {
			tb.Fatalf("advance to %s: %v", to, err)
		}
	}
	advance(voting.PhaseCounting)
	for _, c := range st.categories {
		if err := st.lifecycle.Assign(ctx, organiser, st.edition.ID, juror.ID, c.Code); err != nil {
			tb.Fatal(err)
		}
	}
	advance(voting.PhaseJury)
	champions, err := st.lifecycle.Champions(ctx, st.edition.ID)
	if err != nil {
		tb.Fatal(err)
	}
	winners := map[string]string{}
	for _, cc := range champions {
		for i, id := range cc.Champions() {
			d := prizes.ScoreDraft{Scores: map[string]int{}}
			for _, c := range prizes.DefaultRubric() {
				d.Scores[c.Key] = prizes.ScoreMax - i
			}
			if _, err := st.lifecycle.SaveScores(ctx, juror, st.edition.ID, id, d); err != nil {
				tb.Fatal(err)
			}
			if _, err := st.lifecycle.SubmitScores(ctx, juror, st.edition.ID, id); err != nil {
				tb.Fatal(err)
			}
			if i == 0 {
				for _, n := range cc.Nominees {
					if n.ProjectID == id {
						winners[cc.Category] = n.Title
					}
				}
			}
		}
	}
	advance(voting.PhasePublished)
	snap, err := st.ledger.LoadSnapshot(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	st.catalogue.Replace(snap)
	return winners
}

// siteIdentity is the identity service over the stack's database, so that
// an account's export lists the votes the flusher writes there.
func siteIdentity(tb testing.TB, pool *pgxpool.Pool, prefix string) *identity.Service {
	tb.Helper()
	ctx := context.Background()
	store := ipostgres.New(pool)
	meter, err := iredis.New(ctx, testenv.Redis(tb), iredis.Options{Prefix: prefix + "id:"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(meter.Close)
	host, port := splitAddr(tb, testenv.SMTPAddr(tb))
	mailer, err := smtp.New(smtp.Config{Host: host, Port: port, TLS: smtp.TLSNone, From: "WSIS Prizes <noreply@prizes.example>"})
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := identity.New(ctx, identity.Config{
		Accounts: store, Codes: store, Sessions: store, Secrets: store, Meter: meter, Mailer: mailer,
		Limits: identity.DefaultLimits(), Difficulty: identity.Difficulty{Base: 2000, Max: 2000}, SiteName: "WSIS Prizes",
	})
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}
