package main_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/internal/testenv"
)

// prizeCall sends a JSON request to the server and decodes the answer into out.
func (s *server) prizeCall(t testing.TB, method, path, token string, body any, out any) int {
	t.Helper()
	var r *strings.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = strings.NewReader(string(raw))
	} else {
		r = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, s.base+"/api/v1"+path, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %d, undecodable answer: %v", method, path, resp.StatusCode, err)
		}
	}
	return resp.StatusCode
}

// prizeMust is prizeCall that fails the test unless the answer has status want.
func (s *server) prizeMust(t testing.TB, want int, method, path, token string, body any, out any) {
	t.Helper()
	var raw json.RawMessage
	got := s.prizeCall(t, method, path, token, body, &raw)
	if got != want {
		t.Fatalf("%s %s: %d %s; want %d", method, path, got, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatal(err)
		}
	}
}

// prizeAccount creates an account with the CLI and returns its token in role.
func (d *deployment) prizeAccount(email, role string) string {
	d.t.Helper()
	out := strings.TrimSpace(d.run("account", "--email", email, "--role", role))
	_, tok, ok := strings.Cut(out, "\t")
	if !ok || tok == "" {
		d.t.Fatalf("prizes account printed %q", out)
	}
	return tok
}

// runExit1 runs a command that must exit with status 1, and returns its
// standard output.
func (d *deployment) runExit1(args ...string) string {
	d.t.Helper()
	out, err := d.command(args...).Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		d.t.Fatalf("prizes %s: %v, output %s; want exit status 1", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestServe_prizeLifecycle runs a contest through the real binary: accounts
// and tokens from the CLI, entries and review over HTTP, votes through the
// vote path and the flusher into the ledger, Champions with a tie at the cut
// broken by the earlier final count, the jury, publication, and then
// prizes recount --verify and prizes audit verify, before and after
// tampering.
func TestServe_prizeLifecycle(t *testing.T) {
	ctx := context.Background()
	d := newDeployment(t, testenv.RedisURL(t))
	pool, err := pgxpool.New(ctx, d.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	// The demo edition seeded with the deployment would be voting; moved on,
	// the vote log check at the close of counting is a real one.
	if _, err := pool.Exec(ctx, `UPDATE editions SET phase = 'counting' WHERE id = 'demo'`); err != nil {
		t.Fatal(err)
	}
	s := d.serve("PRIZES_CHECKPOINT_EVERY=200ms")
	organiser := d.prizeAccount("organiser@example.org", "organiser")
	owner := d.prizeAccount("owner@example.org", "owner")
	jurors := []string{d.prizeAccount("juror1@example.org", "juror"), d.prizeAccount("juror2@example.org", "juror")}
	const e = "/editions/e2e"

	s.prizeMust(t, http.StatusCreated, "POST", "/editions", organiser, map[string]any{
		"id": "e2e", "name": "Rehearsal", "categories": []map[string]string{{"code": "C1", "name": "One"}, {"code": "C2", "name": "Two"}},
		"rules": map[string]any{"nominees_per_category": 3, "champions_per_category": 2, "winners_per_category": 1},
	}, nil)
	advance := func(to string) {
		t.Helper()
		s.prizeMust(t, http.StatusOK, "POST", e+"/phase", organiser, map[string]string{"phase": to}, nil)
	}
	advance("submission")
	ids := map[string][]string{}
	for _, cat := range []string{"C1", "C2"} {
		for i := 0; i < 3; i++ {
			org := fmt.Sprintf("Org %s-%d", cat, i)
			var entry struct{ ID string }
			s.prizeMust(t, http.StatusCreated, "POST", e+"/submissions", owner, map[string]any{
				"category": cat, "title": org + " project", "summary": strings.TrimSpace(strings.Repeat("open data ", 80)),
				"organisation": org, "country": "GH", "stakeholder_type": "government", "links": []string{"https://example.org"},
			}, &entry)
			s.prizeMust(t, http.StatusOK, "POST", e+"/submissions/"+entry.ID+"/submit", owner, nil, nil)
			ids[cat] = append(ids[cat], entry.ID)
		}
	}
	advance("review")
	var decisions []map[string]string
	for _, id := range append(ids["C1"], ids["C2"]...) {
		decisions = append(decisions, map[string]string{"project_id": id, "decision": "nominate"})
	}
	s.prizeMust(t, http.StatusOK, "POST", e+"/review", organiser, map[string]any{"decisions": decisions}, nil)
	advance("voting")

	// The vote path learns of the ballot through the catalogue.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var ballot struct{ Projects []project }
		s.prizeMust(t, http.StatusOK, "GET", e+"/projects", "", nil, &ballot)
		if len(ballot.Projects) == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the ballot shows %d nominees", len(ballot.Projects))
		}
		time.Sleep(50 * time.Millisecond)
	}
	tokens := d.voters(25)
	var voteIDs []string
	cast := func(voters []string, project string) {
		t.Helper()
		for _, tok := range voters {
			var r struct {
				VoteID string `json:"vote_id"`
			}
			s.prizeMust(t, http.StatusAccepted, "POST", e+"/votes", tok, map[string]string{"project_id": project}, &r)
			voteIDs = append(voteIDs, r.VoteID)
		}
	}
	// C1: 12, 8, 5. C2: 10, then 7 and 7 at the cut, the first of them
	// reaching its count earlier.
	cast(tokens[:12], ids["C1"][0])
	cast(tokens[12:20], ids["C1"][1])
	cast(tokens[20:25], ids["C1"][2])
	cast(tokens[:10], ids["C2"][0])
	cast(tokens[10:17], ids["C2"][1])
	cast(tokens[17:24], ids["C2"][2])
	d.waitLedger(voteIDs, 30*time.Second)
	// During voting a voter gets an inclusion proof once a checkpoint covers
	// the vote; the proof says nothing of the vote's status.
	var during struct {
		Index    uint64 `json:"leaf_index"`
		TreeSize uint64 `json:"tree_size"`
		Project  string `json:"project_id"`
		Hashes   []string
		Status   *string `json:"status"`
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if s.prizeCall(t, "GET", e+"/log/proof/inclusion?vote_id="+voteIDs[len(voteIDs)-1], "", nil, &during) == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no inclusion proof for the last vote within 10 s of its reaching the ledger")
		}
	}
	if during.TreeSize != uint64(len(voteIDs)) || during.Project != ids["C2"][2] || len(during.Hashes) == 0 || during.Status != nil {
		t.Fatalf("inclusion proof during voting %+v; want one against a checkpoint of all %d votes", during, len(voteIDs))
	}
	s.prizeMust(t, http.StatusNotFound, "GET", e+"/log/proof/inclusion?vote_id=0190a1b2-0000-7000-8000-000000000001", "", nil, nil)
	s.prizeMust(t, http.StatusNotFound, "GET", e+"/ledger.jsonl", "", nil, nil)
	advance("counting")
	advance("jury")
	var champions struct {
		Categories []struct {
			Nominees []struct {
				ProjectID   string `json:"project_id"`
				Votes       int64  `json:"votes"`
				Champion    bool   `json:"champion"`
				SeparatedBy string `json:"separated_by"`
			} `json:"nominees"`
			Margin *int64 `json:"margin"`
		} `json:"categories"`
	}
	s.prizeMust(t, http.StatusOK, "GET", e+"/champions", "", nil, &champions)
	c2 := champions.Categories[1]
	if c2.Nominees[1].ProjectID != ids["C2"][1] || !c2.Nominees[1].Champion || c2.Nominees[1].SeparatedBy != "earliest_final" ||
		c2.Nominees[2].Champion || c2.Margin == nil || *c2.Margin != 0 {
		t.Fatalf("C2 Champions %+v, margin %v; want the earlier of the tied nominees in, by earliest_final", c2.Nominees, c2.Margin)
	}
	if c1 := champions.Categories[0]; c1.Margin == nil || *c1.Margin != 3 {
		t.Fatalf("C1 margin %v; want 3", c1.Margin)
	}

	for i := range jurors {
		// Without --role, prizes account prints the existing account's id.
		var id int64
		if _, err := fmt.Sscan(d.run("account", "--email", fmt.Sprintf("juror%d@example.org", i+1)), &id); err != nil || id <= 0 {
			t.Fatalf("juror account id: %d, %v", id, err)
		}
		for _, cat := range []string{"C1", "C2"} {
			s.prizeMust(t, http.StatusOK, "PUT", e+"/jury/assignments", organiser, map[string]any{"juror_id": id, "category": cat}, nil)
		}
	}
	for i, tok := range jurors {
		for _, p := range []string{ids["C1"][0], ids["C1"][1], ids["C2"][0], ids["C2"][1]} {
			s.prizeMust(t, http.StatusOK, "PUT", e+"/jury/scores/"+p, tok, map[string]any{"scores": map[string]int{
				"impact": 5 + i, "community_empowerment": 6, "sdg_relevance": 7, "replicability": 5,
				"sustainability": 6, "partnerships": map[bool]int{true: 9, false: 4}[p == ids["C1"][1] || p == ids["C2"][0]],
			}}, nil)
			s.prizeMust(t, http.StatusOK, "POST", e+"/jury/scores/"+p+"/submit", tok, nil, nil)
		}
	}
	advance("published")
	var signed struct {
		Document json.RawMessage `json:"document"`
	}
	s.prizeMust(t, http.StatusOK, "GET", e+"/results", "", nil, &signed)
	var doc struct {
		Categories []struct {
			Winners []struct {
				ProjectID string `json:"project_id"`
			} `json:"winners"`
		} `json:"categories"`
	}
	if err := json.Unmarshal(signed.Document, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Categories[0].Winners[0].ProjectID != ids["C1"][1] || doc.Categories[1].Winners[0].ProjectID != ids["C2"][0] {
		t.Fatalf("Winners %+v", doc.Categories)
	}

	var verified struct {
		SignatureValid bool     `json:"signature_valid"`
		Matches        bool     `json:"matches"`
		Differences    []string `json:"differences"`
	}
	if err := json.Unmarshal([]byte(d.run("recount", "--edition", "e2e", "--verify")), &verified); err != nil || !verified.Matches || !verified.SignatureValid {
		t.Fatalf("recount --verify of fresh results: %+v, %v", verified, err)
	}
	// Without --verify, recount keeps its plain output.
	if r := d.recount(); r.Edition != "demo" {
		t.Fatalf("plain recount: %+v", r)
	}
	var plain recount
	if err := json.Unmarshal([]byte(d.run("recount", "--edition", "e2e")), &plain); err != nil || plain.Total != 49 || len(plain.Projects) != 6 {
		t.Fatalf("plain recount of e2e: %+v, %v", plain, err)
	}
	var audit struct {
		OK       bool
		Entries  int
		Problems []struct {
			Seq     int64
			Problem string
		}
	}
	if err := json.Unmarshal([]byte(d.run("audit", "verify", "--edition", "e2e")), &audit); err != nil || !audit.OK {
		t.Fatalf("audit verify: %+v, %v", audit, err)
	}

	// The voter and the auditor check the published results offline, with
	// the files the site serves.
	dir := t.TempDir()
	save := func(name, path string) string {
		t.Helper()
		resp, err := client.Get(s.base + "/api/v1" + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s, %v", path, resp.StatusCode, b, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(dir, name)
	}
	resultsFile := save("results.json", e+"/results")
	proofFile := save("proof.json", e+"/log/proof/inclusion?vote_id="+voteIDs[0])
	ledgerFile := save("ledger.jsonl", e+"/ledger.jsonl")
	if out := d.run("verify", "receipt", "--results", resultsFile, "--proof", proofFile, "--vote-id", voteIDs[0]); !strings.Contains(out, "ok inclusion") {
		t.Fatalf("verify receipt: %s", out)
	}
	if out := d.run("verify", "ledger", "--results", resultsFile, "--ledger", ledgerFile); !strings.Contains(out, "49 votes, 49 counted") {
		t.Fatalf("verify ledger: %s", out)
	}
	if out := d.runExit1("verify", "receipt", "--results", resultsFile, "--proof", proofFile, "--vote-id", voteIDs[1]); !strings.Contains(out, "FAILED inclusion") {
		t.Fatalf("verify receipt with another vote id: %s", out)
	}

	// A vote invalidated after publication: the recount no longer matches.
	if _, err := pool.Exec(ctx, `UPDATE votes SET status = 'invalidated' WHERE id = $1`, voteIDs[0]); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(d.runExit1("recount", "--edition", "e2e", "--verify")), &verified); err != nil || verified.Matches {
		t.Fatalf("recount --verify after tampering with the ledger: %+v, %v", verified, err)
	}
	// and the ledger file the site serves now fails its check.
	tampered := save("tampered.jsonl", e+"/ledger.jsonl")
	if out := d.runExit1("verify", "ledger", "--results", resultsFile, "--ledger", tampered); !strings.Contains(out, "FAILED status root") {
		t.Fatalf("verify ledger after tampering: %s", out)
	}
	// An audit entry altered behind the application's back is found.
	if _, err := pool.Exec(ctx, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
		UPDATE audit_log SET details = '{"decisions":[]}' WHERE edition_id = 'e2e' AND seq = 6;
		ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(d.runExit1("audit", "verify", "--edition", "e2e")), &audit); err != nil || audit.OK ||
		len(audit.Problems) == 0 || audit.Problems[0].Seq != 6 {
		t.Fatalf("audit verify after tampering: %+v, %v", audit, err)
	}
	s.stop(t)
}
