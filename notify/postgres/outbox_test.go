package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/identity"
	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	"github.com/wsisvote/prizes/identity/smtp"
	"github.com/wsisvote/prizes/internal/fake"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/notify"
	npg "github.com/wsisvote/prizes/notify/postgres"
)

var t0 = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

// fixture is an outbox on a fresh database, a worker on a settable clock,
// and the renderer the service uses.
type fixture struct {
	ctx    context.Context
	pool   *pgxpool.Pool
	outbox *npg.Outbox
	clock  *fake.Clock
	render *notify.Renderer
	id     string
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	pool := testenv.Postgres(tb)
	tr, err := api.MailCatalogue()
	if err != nil {
		tb.Fatal(err)
	}
	r, err := notify.NewRenderer(tr, "https://prizes.test/", "WSIS Prizes")
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{ctx: context.Background(), pool: pool, outbox: npg.New(pool), clock: fake.NewClock(t0), render: r,
		id: testenv.ID(tb)}
}

// mailer returns an SMTP mailer to addr (host:port), with a short timeout.
func mailer(tb testing.TB, addr string) *smtp.Mailer {
	tb.Helper()
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	m, err := smtp.New(smtp.Config{Host: host, Port: p, TLS: smtp.TLSNone, From: "WSIS Prizes <noreply@prizes.test>",
		Timeout: 3 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func (f *fixture) worker(m notify.Mailer) *notify.Worker {
	return &notify.Worker{Outbox: f.outbox, Mailer: m, Render: f.render.Render, Now: f.clock.Now,
		Jitter: func(time.Duration) time.Duration { return 0 }, Batch: 5}
}

// account creates an account with a language and returns its id.
func (f *fixture) account(tb testing.TB, email, lang string) int64 {
	tb.Helper()
	a, err := ipostgres.New(f.pool).EnsureAccount(f.ctx, email, "", "KE")
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := f.pool.Exec(f.ctx, `UPDATE accounts SET language = $2 WHERE id = $1`, a.ID, lang); err != nil {
		tb.Fatal(err)
	}
	return a.ID
}

// enqueue writes a message into the outbox as a lifecycle change does, and
// returns its id.
func (f *fixture) enqueue(tb testing.TB, k notify.Kind, account int64, email, lang string, payload map[string]string) int64 {
	tb.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		tb.Fatal(err)
	}
	var id int64
	err = f.pool.QueryRow(f.ctx, `INSERT INTO outbox (kind, account_id, email, language, payload, dedup_key, created_at, next_attempt_at)
		VALUES ($1, nullif($2, 0), $3, $4, $5, $6, $7, $7) RETURNING id`,
		string(k), account, email, lang, raw, fmt.Sprintf("test:%s:%d:%s", k, account, email+strconv.Itoa(len(raw))+f.id+lang+payload["title"]),
		f.clock.Now()).Scan(&id)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

type rowState struct {
	Sent     bool
	Skipped  bool
	Attempts int
	Error    string
	Payload  map[string]string
}

func (f *fixture) state(tb testing.TB, id int64) rowState {
	tb.Helper()
	var s rowState
	var raw []byte
	if err := f.pool.QueryRow(f.ctx, `SELECT sent_at IS NOT NULL, skipped, attempts, last_error, payload FROM outbox WHERE id = $1`, id).
		Scan(&s.Sent, &s.Skipped, &s.Attempts, &s.Error, &raw); err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(raw, &s.Payload); err != nil {
		tb.Fatal(err)
	}
	return s
}

func (f *fixture) pending(tb testing.TB) int64 {
	tb.Helper()
	st, err := f.outbox.Stats(f.ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return st.Pending
}

// TestWorker_Run delivers each kind as text and HTML in the recipient's
// language, escapes what came from people, links in that language, and
// never mails an erased account.
func TestWorker_Run(t *testing.T) {
	f := newFixture(t)
	addr := func(name string) string { return name + "-" + f.id + "@example.org" }
	fr := f.account(t, addr("owner-fr"), "fr")
	ar := f.account(t, addr("owner-ar"), "")
	erased := f.account(t, addr("erased"), "")
	if err := ipostgres.New(f.pool).Erase(f.ctx, erased, t0); err != nil {
		t.Fatal(err)
	}
	submitted := f.enqueue(t, notify.KindSubmitted, fr, "", "", map[string]string{
		"edition": "WSIS Prizes 2026", "edition_id": "wsis2026", "title": "Écoles ouvertes", "category": "C1 Gouvernements",
		"link": "/wsis2026/entries/abc"})
	rejected := f.enqueue(t, notify.KindRejected, ar, "", "ar", map[string]string{
		"edition": "WSIS Prizes 2026", "title": "Open <b>Data</b>", "category": "C2", "reason": `<script>alert("x")</script>`,
		"link": "/wsis2026/entries/def"})
	invitation := f.enqueue(t, notify.KindInvitation, 0, addr("invitee"), "es", map[string]string{
		"role": "organiser", "link": "/invitations/secret-token", "deadline": "2026-06-08T09:00:00Z"})
	gone := f.enqueue(t, notify.KindResults, erased, "", "", map[string]string{"edition": "WSIS Prizes 2026", "link": "/wsis2026/results"})

	n, err := f.worker(mailer(t, testenv.SMTPAddr(t))).Run(f.ctx)
	if err != nil || n != 4 {
		t.Fatalf("Run = %d, %v; want 4 settled", n, err)
	}

	m := testenv.MailTo(t, addr("owner-fr"))
	if m.Subject != "WSIS Prizes 2026 : nous avons reçu votre candidature" {
		t.Errorf("French subject %q", m.Subject)
	}
	if !strings.Contains(m.Text, "https://prizes.test/fr/wsis2026/entries/abc") || !strings.Contains(m.Text, "« Écoles ouvertes »") {
		t.Errorf("French text:\n%s", m.Text)
	}
	if !strings.Contains(m.HTML, `<html lang="fr" dir="ltr">`) || !strings.Contains(m.HTML, `href="https://prizes.test/fr/wsis2026/entries/abc"`) {
		t.Errorf("French HTML:\n%s", m.HTML)
	}
	if want := fmt.Sprintf("outbox-%d@prizes.test", submitted); m.MessageID != want {
		t.Errorf("Message-ID %q, want %q", m.MessageID, want)
	}

	m = testenv.MailTo(t, addr("owner-ar"))
	if !strings.Contains(m.Subject, "لم تُرشَّح مشاركتك") {
		t.Errorf("Arabic subject %q", m.Subject)
	}
	if !strings.Contains(m.HTML, `dir="rtl"`) || strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<b>Data</b>") ||
		!strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Errorf("Arabic HTML does not escape the payload:\n%s", m.HTML)
	}
	if !strings.Contains(m.Text, `<script>alert("x")</script>`) {
		t.Errorf("the text part should carry the reason as written:\n%s", m.Text)
	}

	m = testenv.MailTo(t, addr("invitee"))
	if !strings.Contains(m.Text, "https://prizes.test/es/invitations/secret-token") || !strings.Contains(m.Subject, "organizador") {
		t.Errorf("Spanish invitation %q:\n%s", m.Subject, m.Text)
	}
	if s := f.state(t, invitation); !s.Sent || s.Payload["link"] != "" {
		t.Errorf("invitation after sending = %+v; want sent, its link dropped", s)
	}
	if s := f.state(t, gone); !s.Sent || !s.Skipped {
		t.Errorf("message to an erased account = %+v; want settled as skipped", s)
	}
	if s := f.state(t, rejected); !s.Sent || s.Attempts != 1 {
		t.Errorf("rejected = %+v", s)
	}
	if p := f.pending(t); p != 0 {
		t.Errorf("%d pending after Run", p)
	}
}

// countingMailer counts sends and can run a hook before one.
type countingMailer struct {
	next   notify.Mailer
	sends  atomic.Int64
	before func(n int64)
}

func (c *countingMailer) Send(ctx context.Context, m identity.Message) error {
	n := c.sends.Add(1)
	if c.before != nil {
		c.before(n)
	}
	return c.next.Send(ctx, m)
}

// byMessageID counts Mailpit's messages by Message-ID.
func byMessageID(ms []testenv.Mail) map[string]int {
	out := map[string]int{}
	for _, m := range ms {
		out[m.MessageID]++
	}
	return out
}

// checkExactlyOnce fails unless Mailpit holds exactly one message for each
// outbox id and nothing else, and the outbox has none pending.
func (f *fixture) checkExactlyOnce(t *testing.T, mp *testenv.Mailpit, ids []int64) {
	t.Helper()
	got := byMessageID(mp.Messages())
	if len(got) != len(ids) {
		t.Errorf("Mailpit holds %d distinct messages, want %d", len(got), len(ids))
	}
	for _, id := range ids {
		if n := got[fmt.Sprintf("outbox-%d@prizes.test", id)]; n != 1 {
			t.Errorf("message %d arrived %d times", id, n)
		}
		if s := f.state(t, id); !s.Sent || s.Skipped {
			t.Errorf("message %d = %+v; want sent", id, s)
		}
	}
	if p := f.pending(t); p != 0 {
		t.Errorf("%d messages still pending", p)
	}
}

// enqueueMany queues n submitted messages to distinct addresses.
func (f *fixture) enqueueMany(t *testing.T, n int) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = f.enqueue(t, notify.KindSubmitted, 0, fmt.Sprintf("owner%d-%s@example.org", i, f.id), "en",
			map[string]string{"edition": "WSIS Prizes 2026", "title": "Project " + strconv.Itoa(i), "category": "C1"})
	}
	return ids
}

// TestWorker_concurrent: workers running at once, each claiming small
// batches, send every message exactly once.
func TestWorker_concurrent(t *testing.T) {
	f := newFixture(t)
	mp := testenv.StartMailpit(t)
	ids := f.enqueueMany(t, 120)
	var wg sync.WaitGroup
	var total atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := f.worker(mailer(t, mp.SMTPAddr())).Run(f.ctx)
			if err != nil {
				t.Error(err)
			}
			total.Add(int64(n))
		}()
	}
	wg.Wait()
	if total.Load() != int64(len(ids)) {
		t.Errorf("workers delivered %d messages in all, want %d", total.Load(), len(ids))
	}
	f.checkExactlyOnce(t, mp, ids)
}

// TestWorker_mailServerDown: with the mail server down, every attempt
// fails and is kept with its backoff; nothing is retried before it is due,
// and once the server is back every message goes out once.
func TestWorker_mailServerDown(t *testing.T) {
	f := newFixture(t)
	mp := testenv.StartMailpit(t)
	mp.Stop()
	ids := f.enqueueMany(t, 10)
	w := f.worker(mailer(t, mp.SMTPAddr()))
	if n, err := w.Run(f.ctx); err != nil || n != 0 {
		t.Fatalf("Run with the server down = %d, %v", n, err)
	}
	for _, id := range ids {
		if s := f.state(t, id); s.Sent || s.Attempts != 1 || s.Error == "" {
			t.Fatalf("message %d after a failed attempt = %+v", id, s)
		}
	}
	// Not due yet: the backoff holds them back.
	f.clock.Add(10 * time.Second)
	if n, err := w.Run(f.ctx); err != nil || n != 0 {
		t.Fatalf("Run before the backoff ended = %d, %v", n, err)
	}
	if s := f.state(t, ids[0]); s.Attempts != 1 {
		t.Fatalf("retried before its backoff: %+v", s)
	}
	f.clock.Add(time.Minute)
	if n, err := w.Run(f.ctx); err != nil || n != 0 {
		t.Fatalf("second Run with the server down = %d, %v", n, err)
	}
	if s := f.state(t, ids[0]); s.Attempts != 2 {
		t.Fatalf("second attempt not recorded: %+v", s)
	}
	mp.Start()
	f.clock.Add(2 * time.Hour)
	if n, err := w.Run(f.ctx); err != nil || n != len(ids) {
		t.Fatalf("Run with the server back = %d, %v", n, err)
	}
	f.checkExactlyOnce(t, mp, ids)
}

// TestWorker_mailServerRestart: Mailpit is killed in the middle of a run
// and started again a few messages later; the messages that failed meanwhile
// wait for their backoff, and in the end each arrives exactly once.
func TestWorker_mailServerRestart(t *testing.T) {
	f := newFixture(t)
	mp := testenv.StartMailpit(t)
	ids := f.enqueueMany(t, 40)
	cm := &countingMailer{next: mailer(t, mp.SMTPAddr())}
	cm.before = func(n int64) {
		switch n {
		case 15:
			mp.Stop()
		case 22:
			mp.Start()
		}
	}
	w := f.worker(cm)
	sent := 0
	for round := 0; round < 10 && f.pending(t) > 0; round++ {
		n, err := w.Run(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		sent += n
		f.clock.Add(2 * time.Hour)
	}
	if sent != len(ids) {
		t.Errorf("delivered %d, want %d", sent, len(ids))
	}
	if failed := cm.sends.Load() - int64(len(ids)); failed < 7 {
		t.Errorf("only %d sends failed while the server was down; the restart did not happen mid-run", failed)
	}
	f.checkExactlyOnce(t, mp, ids)
}
