package main_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/internal/testenv"
)

// TestServe_fraudScorer: serve scores votes at ingest by default, records a
// suspect vote flagged with its reasons and answers it exactly like another;
// PRIZES_FRAUD_SCORER=off counts every vote, and any other value stops serve
// from starting.
func TestServe_fraudScorer(t *testing.T) {
	d := newDeployment(t, testenv.RedisURL(t))
	s := d.serve()
	tokens := d.voters(3)
	projects := s.projects(t)
	const browser = "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0"
	person := voteAs(t, s, tokens[0], projects[0].ID, browser)
	script := voteAs(t, s, tokens[1], projects[0].ID, "curl/8.5.0")
	id := regexp.MustCompile(`"vote_id":"([^"]*)"`)
	if person.status != http.StatusAccepted || script.status != http.StatusAccepted ||
		id.ReplaceAllString(person.body, "") != id.ReplaceAllString(script.body, "") {
		t.Fatalf("answers differ: %d %s and %d %s", person.status, person.body, script.status, script.body)
	}
	personID, scriptID := id.FindStringSubmatch(person.body)[1], id.FindStringSubmatch(script.body)[1]
	d.waitLedger([]string{personID, scriptID}, 10*time.Second)
	// The voters' accounts were made just now: a weak signal alone. A
	// command-line client on top of it is enough to flag.
	d.wantStatus(personID, "counted", antifraud.IngestAccountNew)
	d.wantStatus(scriptID, "flagged", antifraud.IngestAccountNew, antifraud.IngestUAHeadless)
	s.stop(t)

	s = d.serve("PRIZES_FRAUD_SCORER=off")
	off := voteAs(t, s, tokens[2], projects[0].ID, "curl/8.5.0")
	offID := id.FindStringSubmatch(off.body)
	if off.status != http.StatusAccepted || offID == nil {
		t.Fatalf("vote with the scorer off: %d %s", off.status, off.body)
	}
	d.waitLedger([]string{offID[1]}, 10*time.Second)
	d.wantStatus(offID[1], "counted")
	s.stop(t)

	cmd := d.command("serve")
	cmd.Env = append(cmd.Env, "PRIZES_HTTP_ADDR=127.0.0.1:0", "PRIZES_FRAUD_SCORER=maybe")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "PRIZES_FRAUD_SCORER") {
		t.Fatalf("serve with PRIZES_FRAUD_SCORER=maybe: %v\n%s", err, out)
	}
}

type voteAnswer struct {
	status int
	body   string
}

// voteAs casts a vote with the given User-Agent and returns the answer.
func voteAs(tb testing.TB, s *server, token, project, agent string) voteAnswer {
	tb.Helper()
	req, _ := http.NewRequest("POST", s.base+"/api/v1/editions/demo/votes", strings.NewReader(`{"project_id":"`+project+`"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", agent)
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return voteAnswer{status: resp.StatusCode, body: string(b)}
}

// wantStatus checks the status and reasons the ledger holds for a vote.
func (d *deployment) wantStatus(voteID, status string, reasons ...string) {
	d.t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, d.dbURL)
	if err != nil {
		d.t.Fatal(err)
	}
	defer pool.Close()
	var got string
	var gotReasons []string
	if err := pool.QueryRow(ctx, `SELECT status, reasons FROM votes WHERE id = $1`, voteID).Scan(&got, &gotReasons); err != nil {
		d.t.Fatal(err)
	}
	if got != status || !slices.Equal(gotReasons, reasons) && len(gotReasons)+len(reasons) > 0 {
		d.t.Errorf("vote %s is %s %q in the ledger; want %s %q", voteID, got, gotReasons, status, reasons)
	}
}
