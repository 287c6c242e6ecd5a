package replay_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/loadtest"
	"github.com/wsisvote/prizes/loadtest/replay"
	"github.com/wsisvote/prizes/loadtest/scenario"
)

func newScenario(t testing.TB, attacks string) *scenario.Scenario {
	t.Helper()
	doc := `{"name": "t", "edition": {"id": "demo", "nominees_per_category": 3}, "voters": 200,
		"window": 20, "clients": {"networks": ["10.0.0.0/8"], "addresses": 150},
		"attacks": ` + attacks + `, "jury": {"jurors": 3, "per_category": 2}}`
	s, err := scenario.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newBallots(t testing.TB, s *scenario.Scenario) (*loadtest.Ballots, []loadtest.Voter) {
	t.Helper()
	var voters []loadtest.Voter
	for i := 1; i <= s.Voters; i++ {
		voters = append(voters, loadtest.Voter{ID: int64(i), Token: fmt.Sprintf("tok%d", i)})
	}
	var projects []loadtest.Project
	for c := 0; c < s.Edition.Categories; c++ {
		for p := 0; p < s.Edition.NomineesPerCategory; p++ {
			projects = append(projects, loadtest.Project{ID: fmt.Sprintf("p%02d-%d", c, p), Category: fmt.Sprintf("C%02d", c)})
		}
	}
	b, err := loadtest.NewBallots(voters, projects, loadtest.BallotOptions{Seed: s.Popularity.Seed, Window: s.Window})
	if err != nil {
		t.Fatal(err)
	}
	return b, voters
}

// sent is one request as the server would read it.
type sent struct {
	token, addr, project, label string
}

func drain(t testing.TB, w *replay.Traffic) []sent {
	t.Helper()
	var out []sent
	for {
		raw, label, ok := w.Next(nil)
		if !ok {
			return out
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			t.Fatalf("request %d does not parse: %v\n%s", len(out), err, raw)
		}
		body, _ := io.ReadAll(req.Body)
		if req.URL.Path != "/api/v1/editions/demo/votes" || req.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("request %s %s, content type %q", req.Method, req.URL.Path, req.Header.Get("Content-Type"))
		}
		tok, _ := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
		project := strings.TrimSuffix(strings.TrimPrefix(string(body), `{"project_id":"`), `"}`)
		out = append(out, sent{token: tok, addr: req.Header.Get("X-Forwarded-For"), project: project, label: label})
	}
}

func TestTraffic_Next(t *testing.T) {
	s := newScenario(t, `[{"kind": "duplicate", "share": 0.05, "label": "dup"},
		{"kind": "shared_address", "share": 0.1, "label": "farm", "addresses": 2, "network": "203.0.113.0/24"}]`)
	ballots, voters := newBallots(t, s)
	target := loadtest.Target{Addr: "127.0.0.1:1", Edition: "demo"}
	w := replay.NewTraffic(target, ballots, s)
	reqs := drain(t, w)

	legit, dups, farm := 0, 0, 0
	farmAddrs := map[string]bool{}
	seen := map[string]int{}
	home := netip.MustParsePrefix("10.0.0.0/8")
	for _, r := range reqs {
		label, project, hasLabel := strings.Cut(r.label, "|")
		if !hasLabel {
			project, label = label, ""
		}
		if project != r.project {
			t.Fatalf("label %q does not name the project voted for, %q", r.label, r.project)
		}
		addr := netip.MustParseAddr(r.addr)
		key := r.token + "/" + r.project
		switch label {
		case "dup":
			dups++
			if seen[key] == 0 {
				t.Fatalf("duplicate %s was not cast before", key)
			}
			continue
		case "farm":
			farm++
			farmAddrs[r.addr] = true
			if !netip.MustParsePrefix("203.0.113.0/24").Contains(addr) {
				t.Fatalf("farm vote from %s", addr)
			}
		case "":
			legit++
			if !home.Contains(addr) {
				t.Fatalf("legitimate vote from %s, outside 10.0.0.0/8", addr)
			}
		default:
			t.Fatalf("unexpected label %q", label)
		}
		seen[key]++
		if seen[key] > 1 {
			t.Fatalf("ballot %s cast twice without the duplicate label", key)
		}
	}
	if int64(legit+farm) != ballots.Len() {
		t.Fatalf("%d legitimate and %d farm votes; want every one of %d ballots once", legit, farm, ballots.Len())
	}
	if dups == 0 || int64(dups) != w.Duplicates.Load() {
		t.Fatalf("%d duplicates sent, %d counted", dups, w.Duplicates.Load())
	}
	if farm == 0 || len(farmAddrs) > 2 {
		t.Fatalf("%d farm votes from %d addresses; want some, from at most 2", farm, len(farmAddrs))
	}

	truth := replay.GroundTruth(ballots)
	var total int64
	for _, n := range truth {
		total += n
	}
	if total != ballots.Len() {
		t.Fatalf("ground truth sums to %d; want %d", total, ballots.Len())
	}

	path := filepath.Join(t.TempDir(), "labels.tsv")
	if err := w.WriteLabels(path, voters); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	farmVoters := 0
	for _, l := range lines {
		if strings.HasSuffix(l, "\tfarm") {
			farmVoters++
		}
	}
	if len(lines) != len(voters) || farmVoters == 0 || farmVoters*s.Edition.Categories != farm {
		t.Fatalf("labels: %d lines, %d farm voters for %d farm votes", len(lines), farmVoters, farm)
	}
}
