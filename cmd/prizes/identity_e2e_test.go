package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/internal/testenv"
)

// idEnv points a deployment at the test mail server and leaves the
// rate limits on, as in production.
func idEnv(t testing.TB) []string {
	t.Helper()
	host, port, _ := strings.Cut(testenv.SMTPAddr(t), ":")
	return []string{"PRIZES_SMTP_HOST=" + host, "PRIZES_SMTP_PORT=" + port, "PRIZES_SMTP_TLS=none",
		"PRIZES_LIMIT_EXEMPT=", "PRIZES_POW_DIFFICULTY=5000"}
}

// idCall sends a JSON request and decodes the answer into out (when not nil).
func (s *server) idCall(t testing.TB, method, path, token, body string, headers map[string]string, out any) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.NewDecoder(bytes.NewReader(raw)).Decode(out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode, resp.Header
}

// idSolved fetches a challenge for purpose and solves it with `prizes pow
// solve`, as a shell user does, returning the X-Challenge header's value.
func (s *server) idSolved(t testing.TB, purpose string) string {
	t.Helper()
	var c json.RawMessage
	if st, _ := s.idCall(t, "GET", "/api/v1/challenge?purpose="+purpose, "", "", nil, &c); st != 200 {
		t.Fatalf("challenge: %d", st)
	}
	solve := exec.Command(binary, "pow", "solve")
	solve.Stdin = bytes.NewReader(c)
	out, err := solve.Output()
	if err != nil {
		t.Fatalf("prizes pow solve: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestPow_solve: prizes pow solve refuses what is not a challenge, and one
// whose digest no number up to its maximum matches, with a message and exit
// status 1.
func TestPow_solve(t *testing.T) {
	for name, in := range map[string]string{
		"not JSON":    "challenge",
		"not SHA-256": `{"algorithm":"MD5","challenge":"00","maxnumber":10,"salt":"s","signature":"x"}`,
		"unsolvable":  `{"algorithm":"SHA-256","challenge":"` + strings.Repeat("00", 32) + `","maxnumber":1000,"salt":"s","signature":"x"}`,
	} {
		t.Run(name, func(t *testing.T) {
			solve := exec.Command(binary, "pow", "solve")
			solve.Stdin = strings.NewReader(in)
			out, err := solve.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "pow solve:") {
				t.Errorf("exit %v, output %q; want exit status 1 and a message", err, out)
			}
		})
	}
}

type idSession struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Account      struct {
		ID    int64    `json:"id"`
		Roles []string `json:"roles"`
	} `json:"account"`
}

var idMailedCode = regexp.MustCompile(`\b(\d{6})\b`)

// TestServe_signIn runs sign-in through prizes serve with real mail, the
// roles and keys commands, and the vote rate limit.
func TestServe_signIn(t *testing.T) {
	d := newDeployment(t, testenv.RedisURL(t))
	extra := filepath.Join(d.dir, "disposable.conf")
	if err := os.WriteFile(extra, []byte("# local additions\nthrowaway.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := d.serve(append(idEnv(t), "PRIZES_LIMIT_VOTE_ACCOUNT=1/1h:3", "PRIZES_DISPOSABLE_DOMAINS_FILE="+extra)...)
	addr := strings.ToLower(testenv.ID(t)) + "@example.org"

	for _, disposable := range []string{"x@mailinator.com", "x@mx.throwaway.example"} {
		var e struct{ Error struct{ Code string } }
		if st, _ := s.idCall(t, "POST", "/api/v1/auth/email-code", "", `{"email":"`+disposable+`"}`,
			map[string]string{"X-Challenge": s.idSolved(t, "code")}, &e); st != 422 || e.Error.Code != "disposable_email" {
			t.Errorf("disposable address %s: %d %q", disposable, st, e.Error.Code)
		}
	}
	var e struct{ Error struct{ Code string } }
	if st, _ := s.idCall(t, "POST", "/api/v1/auth/email-code", "", `{"email":"`+addr+`"}`, nil, &e); st != 428 || e.Error.Code != "challenge_required" {
		t.Errorf("no challenge: %d %q", st, e.Error.Code)
	}
	if st, _ := s.idCall(t, "POST", "/api/v1/auth/email-code", "", `{"email":"`+addr+`"}`,
		map[string]string{"X-Challenge": s.idSolved(t, "code")}, nil); st != 202 {
		t.Fatalf("email-code: %d", st)
	}
	m := idMailedCode.FindStringSubmatch(testenv.MailTo(t, addr).Text)
	if m == nil {
		t.Fatal("no code in the mail")
	}
	var tok idSession
	if st, _ := s.idCall(t, "POST", "/api/v1/auth/token", "", `{"email":"`+addr+`","code":"`+m[1]+`","country":"CH"}`, nil, &tok); st != 200 {
		t.Fatalf("token: %d", st)
	}
	if !slices.Equal(tok.Account.Roles, []string{"voter", "owner"}) {
		t.Errorf("roles = %v", tok.Account.Roles)
	}

	projects := s.projects(t)
	var oneEach []project
	for _, p := range projects {
		if len(oneEach) == 0 || oneEach[len(oneEach)-1].Category != p.Category {
			oneEach = append(oneEach, p)
		}
	}
	var codes []int
	var retry string
	for _, p := range oneEach[:4] {
		// Four categories, one vote each: the fourth passes the burst of 3.
		var ans struct{ Error struct{ Code string } }
		st, h := s.idCall(t, "POST", "/api/v1/editions/demo/votes", tok.AccessToken, `{"project_id":"`+p.ID+`"}`, nil, &ans)
		codes = append(codes, st)
		retry = h.Get("Retry-After")
	}
	if !slices.Equal(codes[:3], []int{202, 202, 202}) || codes[3] != 429 || retry == "" {
		t.Errorf("votes answered %v (Retry-After %q), want three 202 then 429", codes, retry)
	}

	d.run("roles", "grant", "--email", strings.ToUpper(addr), "--role", "organiser")
	var next idSession
	if st, _ := s.idCall(t, "POST", "/api/v1/auth/refresh", "", `{"refresh_token":"`+tok.RefreshToken+`"}`, nil, &next); st != 200 {
		t.Fatalf("refresh: %d", st)
	}
	if !slices.Contains(next.Account.Roles, "organiser") {
		t.Errorf("roles after the grant = %v", next.Account.Roles)
	}

	out := d.run("keys", "rotate", "--key-rotation-delay", "90s")
	var keys []struct {
		Kid, State string
	}
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatalf("keys rotate printed %q: %v", out, err)
	}
	if len(keys) != 2 || keys[0].State != "pending" || keys[1].State != "signing" {
		t.Errorf("keys after rotation = %+v, want one pending and one signing", keys)
	}
	var jwks struct{ Keys []struct{ Kid string } }
	if st, _ := s.idCall(t, "GET", "/.well-known/jwks.json", "", "", nil, &jwks); st != 200 || len(jwks.Keys) == 0 || jwks.Keys[0].Kid != keys[1].Kid {
		t.Errorf("jwks = %d %+v, want the signing key %s", st, jwks, keys[1].Kid)
	}

	// Rehearsal tokens from prizes voters keep working beside sign-in.
	if r := s.vote(d.voters(1)[0], projects[0].ID); r.status != 202 {
		t.Errorf("rehearsal voter: %d %q", r.status, r.code)
	}
}
