package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/antifraud"
	apg "github.com/wsisvote/prizes/antifraud/postgres"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/prizes"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
)

// fraudCheck is the part of prizes check's output this test reads.
type fraudCheck struct {
	Converged    bool `json:"converged"`
	FraudPending int  `json:"fraud_pending"`
	Differences  []struct {
		ProjectID string `json:"project_id"`
		Live      int64  `json:"live"`
		Ledger    int64  `json:"ledger"`
	} `json:"differences"`
}

func (d *deployment) fraudCheck(exit1 bool) fraudCheck {
	d.t.Helper()
	var out string
	if exit1 {
		out = d.runExit1("check", "--edition", "demo")
	} else {
		out = d.run("check", "--edition", "demo")
	}
	var c fraudCheck
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		d.t.Fatalf("check output %q: %v", out, err)
	}
	return c
}

// liveCount waits until a project's count in the live tally, read as
// organiser with token (the WSIS default hides it from everyone else), is
// want (the tally is cached for up to a second).
func (s *server) liveCount(t testing.TB, token, project string, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var body struct {
			Projects []struct {
				ProjectID string `json:"project_id"`
				Votes     int64  `json:"votes"`
			} `json:"projects"`
		}
		s.prizeMust(t, http.StatusOK, "GET", "/editions/demo/tally", token, nil, &body)
		var got int64
		for _, p := range body.Projects {
			if p.ProjectID == project {
				got = p.Votes
			}
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("live tally of %s: %d; want %d", project, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestServe_fraudReview runs fraud review through the real binary: votes
// through the vote path, the export, a case stored as the analyser stores
// one, an organiser's decision over HTTP and another from the CLI (one of
// them while Redis cannot be reached), with the ledger, the live tally and
// prizes check agreeing after each.
func TestServe_fraudReview(t *testing.T) {
	ctx := context.Background()
	d := newDeployment(t, testenv.RedisURL(t))
	s := d.serve()
	tokens := d.voters(12)
	projects := s.projects(t)
	target, other := projects[0].ID, sibling(projects, projects[0].ID)
	var ring []string
	var ids []string
	for i, tok := range tokens {
		p := other
		if i < 8 {
			p = target
		}
		r := s.vote(tok, p)
		if r.status != http.StatusAccepted {
			t.Fatalf("vote: %+v", r)
		}
		ids = append(ids, r.voteID)
		if i < 8 {
			ring = append(ring, r.voteID)
		}
	}
	d.waitLedger(ids, 10*time.Second)

	t.Run("export", func(t *testing.T) {
		path := filepath.Join(d.dir, "votes.jsonl")
		d.run("fraud", "export", "--edition", "demo", "--out", path)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		keys := []string{"account_created_at", "cast_at", "category", "device_hint", "email_domain", "network", "project_id", "user_agent", "vote_id", "voter_id"}
		rfc3339 := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)
		n := 0
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			n++
			var line map[string]any
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
				t.Fatalf("line %d: %v", n, err)
			}
			var got []string
			for k := range line {
				got = append(got, k)
			}
			slices.Sort(got)
			if !slices.Equal(got, keys) {
				t.Fatalf("line %d has keys %v; want %v", n, got, keys)
			}
			for _, k := range []string{"cast_at", "account_created_at"} {
				if v, _ := line[k].(string); !rfc3339.MatchString(v) {
					t.Errorf("line %d: %s %q is not an RFC 3339 time", n, k, line[k])
				}
			}
			if line["network"] != "127.0.0.0/24" || !slices.Contains(ids, line["vote_id"].(string)) {
				t.Errorf("line %d: %v", n, line)
			}
		}
		if n != len(ids) {
			t.Fatalf("%d export lines; want %d", n, len(ids))
		}
	})

	pool, err := pgxpool.New(ctx, d.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	fraud := apg.New(pool, ppg.New(pool, ppg.Options{}), apg.Options{})
	if _, err := fraud.SaveReport(ctx, prizes.SystemActor(), "demo", antifraud.Report{Cases: []antifraud.Case{{
		ID: "ring-1", Kind: "lockstep", Score: 0.9, Votes: ring, Summary: "eight accounts in step"}}}); err != nil {
		t.Fatal(err)
	}
	organiser := d.prizeAccount("chair@example.org", "organiser")
	organiserID := strings.TrimSpace(d.run("account", "--email", "chair@example.org"))
	voter := tokens[0]
	s.liveCount(t, organiser, target, 8)

	// Voters are told nothing, and a decision needs an organiser.
	for _, tok := range []string{"", voter} {
		want := http.StatusForbidden
		if tok == "" {
			want = http.StatusUnauthorized
		}
		s.prizeMust(t, want, "GET", "/editions/demo/fraud/cases", tok, nil, nil)
		s.prizeMust(t, want, "POST", "/editions/demo/fraud/cases/ring-1/decision", tok, map[string]string{"decision": "invalidate", "reason": "x"}, nil)
	}
	var list struct {
		Cases []struct{ ID, State string } `json:"cases"`
	}
	s.prizeMust(t, http.StatusOK, "GET", "/editions/demo/fraud/cases", organiser, nil, &list)
	if len(list.Cases) != 1 || list.Cases[0].State != "open" {
		t.Fatalf("cases %+v", list)
	}

	var dec antifraud.Decision
	s.prizeMust(t, http.StatusOK, "POST", "/editions/demo/fraud/cases/ring-1/decision", organiser,
		map[string]string{"decision": "invalidate", "reason": "eight accounts voted in the same second"}, &dec)
	if dec.Votes != 8 || dec.Deltas[target] != -8 || dec.TallyPending {
		t.Fatalf("decision %+v", dec)
	}
	counts := map[string]int64{}
	for _, p := range d.recount().Projects {
		counts[p.ProjectID] = p.Votes
	}
	if counts[target] != 0 || counts[other] != 4 {
		t.Fatalf("recount after invalidating: %s %d, %s %d", target, counts[target], other, counts[other])
	}
	s.liveCount(t, organiser, target, 0)
	if c := d.fraudCheck(false); !c.Converged || c.FraudPending != 0 {
		t.Fatalf("check after the decision: %+v", c)
	}

	// The CLI decides while Redis cannot be reached: the decision stands
	// in the ledger, prizes check shows what the live tally lacks, and
	// prizes fraud tally settles it.
	cmd := d.command("fraud", "decide", "--edition", "demo", "--case", "ring-1", "--decision", "clear",
		"--reason", "a school's class voting together", "--by", organiserID)
	cmd.Env = append(cmd.Env, "PRIZES_REDIS_URL=redis://"+testenv.ClosedAddr(t))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fraud decide without Redis: %v\n%s", err, out)
	}
	if err := json.Unmarshal(out, &dec); err != nil || !dec.TallyPending || dec.Deltas[target] != 8 {
		t.Fatalf("decision without Redis: %s, %v", out, err)
	}
	c := d.fraudCheck(true)
	if c.Converged || c.FraudPending != 1 || len(c.Differences) != 1 || c.Differences[0].ProjectID != target ||
		c.Differences[0].Live != 0 || c.Differences[0].Ledger != 8 {
		t.Fatalf("check with the adjustment pending: %+v", c)
	}
	var applied struct{ Applied, Pending int }
	if err := json.Unmarshal([]byte(d.run("fraud", "tally", "--edition", "demo")), &applied); err != nil || applied.Applied != 1 || applied.Pending != 0 {
		t.Fatalf("fraud tally: %+v, %v", applied, err)
	}
	if c := d.fraudCheck(false); !c.Converged || c.FraudPending != 0 {
		t.Fatalf("check after fraud tally: %+v", c)
	}
	s.liveCount(t, organiser, target, 8)

	var shown struct {
		State     string               `json:"state"`
		Decisions []antifraud.Decision `json:"decisions"`
	}
	if err := json.Unmarshal([]byte(d.run("fraud", "show", "--edition", "demo", "--case", "ring-1")), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.State != "cleared" || len(shown.Decisions) != 2 || strconv.FormatInt(shown.Decisions[1].DecidedBy, 10) != organiserID {
		t.Fatalf("case after the CLI decision: %+v", shown)
	}

	// The analyser reads the ledger, or an export file, and gives a verdict
	// on every vote; storing what it finds moves no count.
	var analysed struct {
		Votes int `json:"votes"`
	}
	if err := json.Unmarshal([]byte(d.run("fraud", "analyze", "--edition", "demo")), &analysed); err != nil || analysed.Votes != len(ids) {
		t.Fatalf("fraud analyze --edition: %+v, %v", analysed, err)
	}
	verdicts := filepath.Join(d.dir, "verdicts.jsonl")
	d.run("fraud", "analyze", "--from", filepath.Join(d.dir, "votes.jsonl"), "--out", verdicts)
	if raw, err := os.ReadFile(verdicts); err != nil || strings.Count(string(raw), "\n") != len(ids) {
		t.Fatalf("verdicts of the export: %q, %v", raw, err)
	}
	if c := d.fraudCheck(false); !c.Converged {
		t.Fatalf("check after the analysis: %+v", c)
	}

	// Published results are final: a decision is refused and changes nothing.
	if _, err := pool.Exec(ctx, `UPDATE editions SET phase = 'published' WHERE id = 'demo'`); err != nil {
		t.Fatal(err)
	}
	var refusal struct {
		Error struct{ Code string } `json:"error"`
	}
	s.prizeMust(t, http.StatusConflict, "POST", "/editions/demo/fraud/cases/ring-1/decision", organiser,
		map[string]string{"decision": "invalidate", "reason": "too late"}, &refusal)
	if refusal.Error.Code != "wrong_phase" {
		t.Fatalf("decision after publication: %+v", refusal)
	}
	if c := d.fraudCheck(false); !c.Converged {
		t.Fatalf("check after the refused decision: %+v", c)
	}
}
