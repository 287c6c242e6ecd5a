package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/internal/testenv"
)

// binary is the prizes command built once for the process-level tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "prizes-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "prizes")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build prizes:", err)
		os.Exit(1)
	}
	code := m.Run()
	testenv.StopRedisCluster()
	os.RemoveAll(dir)
	os.Exit(code)
}

// deployment is one isolated installation: its own database and its own
// Redis key namespace, on the standalone or the cluster test Redis.
type deployment struct {
	t     testing.TB
	env   []string
	dbURL string
	dir   string
}

func newDeployment(t testing.TB, redisURL string) *deployment {
	t.Helper()
	d := &deployment{t: t, dbURL: testenv.DatabaseURL(t), dir: t.TempDir()}
	d.env = append(os.Environ(),
		"PRIZES_DATABASE_URL="+d.dbURL,
		"PRIZES_REDIS_URL="+redisURL,
		"PRIZES_REDIS_PREFIX="+testenv.ID(t),
		"PRIZES_CLAIM_IDLE=1s",
		"PRIZES_SHARDS=8",
		// These rehearsals send thousands of votes from this one host, as a
		// load generator does; the rate limits are tested on their own.
		"PRIZES_LIMIT_EXEMPT=127.0.0.0/8,::1",
	)
	// The editions of the other phases are left out: TestSeed_phases
	// tries them, and the other tests need only the voting one.
	d.run("seed", "--demo", "--phases=false")
	return d
}

func topologies(t *testing.T) map[string]string {
	return map[string]string{
		"standalone": testenv.RedisURL(t),
		"cluster":    "redis-cluster://" + strings.Join(testenv.RedisClusterAddrs(t), ","),
	}
}

// run runs a prizes command to completion and returns its standard output.
func (d *deployment) run(args ...string) string {
	d.t.Helper()
	out, err := d.command(args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		d.t.Fatalf("prizes %s: %v\n%s\n%s", strings.Join(args, " "), err, out, stderr)
	}
	return string(out)
}

func (d *deployment) command(args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Env = d.env
	return cmd
}

// server is a running prizes serve process.
type server struct {
	cmd  *exec.Cmd
	base string
	logs *bytes.Buffer
	out  *syncWriter
}

// logText returns what the server has logged so far; it is safe while the
// server runs.
func (s *server) logText() string {
	s.out.mu.Lock()
	defer s.out.mu.Unlock()
	return s.logs.String()
}

// serve starts prizes serve on a free port and waits until it is ready.
func (d *deployment) serve(extraEnv ...string) *server {
	d.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		d.t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := d.command("serve")
	cmd.Env = append(append(cmd.Env, "PRIZES_HTTP_ADDR="+addr), extraEnv...)
	logs := &bytes.Buffer{}
	out := &syncWriter{w: logs}
	cmd.Stdout, cmd.Stderr = io.Discard, out
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	s := &server{cmd: cmd, base: "http://" + addr, logs: logs, out: out}
	d.t.Cleanup(func() { s.kill() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("prizes serve did not become ready: %v\n%s", err, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *server) kill() {
	if s.cmd.ProcessState == nil {
		s.cmd.Process.Signal(syscall.SIGKILL)
		s.cmd.Wait()
	}
}

// stop ends the server cleanly (SIGTERM) and waits for it.
func (s *server) stop(t testing.TB) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("prizes serve exited with %v\n%s", err, s.logs)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// voters creates n voters and returns their tokens.
func (d *deployment) voters(n int) []string {
	d.t.Helper()
	path := filepath.Join(d.dir, fmt.Sprintf("voters-%d.tsv", rand.Int()))
	d.run("voters", "--edition", "demo", "--count", fmt.Sprint(n), "--out", path)
	f, err := os.Open(path)
	if err != nil {
		d.t.Fatal(err)
	}
	defer f.Close()
	var tokens []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		id, tok, ok := strings.Cut(sc.Text(), "\t")
		if !ok || id == "" || tok == "" {
			d.t.Fatalf("bad voters line %q", sc.Text())
		}
		tokens = append(tokens, tok)
	}
	if len(tokens) != n {
		d.t.Fatalf("voters wrote %d lines; want %d", len(tokens), n)
	}
	return tokens
}

type project struct {
	ID       string `json:"id"`
	Category string `json:"category"`
}

func (s *server) projects(t testing.TB) []project {
	t.Helper()
	resp, err := http.Get(s.base + "/api/v1/editions/demo/projects")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Projects []project }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Projects) != 360 {
		t.Fatalf("projects: %d, %v", len(body.Projects), err)
	}
	return body.Projects
}

var client = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256},
}

type voteResult struct {
	status  int
	code    string
	voteID  string
	project string
	err     error
}

func (s *server) vote(token, projectID string) voteResult {
	req, _ := http.NewRequest("POST", s.base+"/api/v1/editions/demo/votes",
		strings.NewReader(`{"project_id":"`+projectID+`"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return voteResult{err: err, project: projectID}
	}
	defer resp.Body.Close()
	var body struct {
		VoteID string `json:"vote_id"`
		Error  struct{ Code string }
	}
	json.NewDecoder(resp.Body).Decode(&body)
	return voteResult{status: resp.StatusCode, code: body.Error.Code, voteID: body.VoteID, project: projectID}
}

// sibling returns another project of id's category.
func sibling(projects []project, id string) string {
	var cat string
	for _, p := range projects {
		if p.ID == id {
			cat = p.Category
		}
	}
	for _, p := range projects {
		if p.Category == cat && p.ID != id {
			return p.ID
		}
	}
	panic("no other project in category " + cat)
}

// ballots returns, for each voter, a vote in each of k random categories.
func ballots(tokens []string, projects []project, k int) [][2]string {
	byCat := map[string][]string{}
	var cats []string
	for _, p := range projects {
		if byCat[p.Category] == nil {
			cats = append(cats, p.Category)
		}
		byCat[p.Category] = append(byCat[p.Category], p.ID)
	}
	var out [][2]string
	for _, tok := range tokens {
		for _, ci := range rand.Perm(len(cats))[:k] {
			ps := byCat[cats[ci]]
			// A skewed choice, so the counts differ from project to project.
			out = append(out, [2]string{tok, ps[int(float64(len(ps))*rand.Float64()*rand.Float64())]})
		}
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// cast sends every ballot from workers goroutines and returns the results.
func (s *server) cast(bs [][2]string, workers int, stop <-chan struct{}) []voteResult {
	var sent atomic.Int64
	return s.castCounting(bs, workers, stop, &sent)
}

type recount struct {
	Edition  string
	Projects []struct {
		ProjectID string `json:"project_id"`
		Category  string
		Votes     int64
	}
	Total int64
}

func (d *deployment) recount() recount {
	d.t.Helper()
	var r recount
	if err := json.Unmarshal([]byte(d.run("recount", "--edition", "demo")), &r); err != nil {
		d.t.Fatal(err)
	}
	return r
}

// ledgerCount returns how many of the vote ids are in the ledger.
func (d *deployment) ledgerCount(ids []string) int {
	d.t.Helper()
	pool, err := pgxpool.New(context.Background(), d.dbURL)
	if err != nil {
		d.t.Fatal(err)
	}
	defer pool.Close()
	var n int
	err = pool.QueryRow(context.Background(), `SELECT count(*) FROM votes WHERE id = ANY($1::uuid[])`, ids).Scan(&n)
	if err != nil {
		d.t.Fatal(err)
	}
	return n
}

// checkLog fails unless every vote of the demo edition in the ledger has
// exactly one leaf of its transparency log, numbered 0 to n-1, and the log
// head holds n leaves.
func (d *deployment) checkLog() {
	d.t.Helper()
	pool, err := pgxpool.New(context.Background(), d.dbURL)
	if err != nil {
		d.t.Fatal(err)
	}
	defer pool.Close()
	var votes, leaves, distinct, next, head int64
	err = pool.QueryRow(context.Background(), `SELECT count(*), count(leaf_index), count(DISTINCT leaf_index),
			coalesce(max(leaf_index) + 1, 0), (SELECT coalesce(max(size), 0) FROM log_heads WHERE edition_id = 'demo')
		FROM votes WHERE edition_id = 'demo'`).Scan(&votes, &leaves, &distinct, &next, &head)
	if err != nil {
		d.t.Fatal(err)
	}
	if leaves != votes || distinct != votes || next != votes || head != votes {
		d.t.Fatalf("%d votes: %d with a leaf, %d distinct leaves, leaves up to %d, log head %d; want one leaf each, 0 to n-1",
			votes, leaves, distinct, next, head)
	}
}

// waitLedger waits until every vote id is in the ledger.
func (d *deployment) waitLedger(ids []string, within time.Duration) {
	d.t.Helper()
	deadline := time.Now().Add(within)
	for {
		n := d.ledgerCount(ids)
		if n == len(ids) {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("only %d of %d acknowledged votes reached the ledger", n, len(ids))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func accepted(results []voteResult) (ids []string, perProject map[string]int64) {
	perProject = map[string]int64{}
	for _, r := range results {
		if r.status == http.StatusAccepted {
			ids = append(ids, r.voteID)
			perProject[r.project]++
		}
	}
	return ids, perProject
}

func checkRecount(t testing.TB, got recount, want map[string]int64) {
	t.Helper()
	var total int64
	for _, n := range want {
		total += n
	}
	if got.Total != total {
		t.Errorf("recount total %d; 202 answers %d", got.Total, total)
	}
	for _, p := range got.Projects {
		if p.Votes != want[p.ProjectID] {
			t.Errorf("project %s: recount %d; 202 answers %d", p.ProjectID, p.Votes, want[p.ProjectID])
		}
	}
}

// TestServe_manyVoters: many voters voting concurrently; the recount equals
// the 202 answers per project, and the live counters converge to the ledger.
// A ballot sent again gets its first receipt back (200), and a ballot for
// another project in a filled category is refused (409).
func TestServe_manyVoters(t *testing.T) {
	for name, redisURL := range topologies(t) {
		t.Run(name, func(t *testing.T) {
			d := newDeployment(t, redisURL)
			s := d.serve()
			tokens := d.voters(600)
			projects := s.projects(t)
			bs := ballots(tokens, projects, 5)
			results := s.cast(bs, 48, nil)
			ids, want := accepted(results)
			receipt := map[[2]string]string{}
			for i, r := range results {
				if r.err != nil || r.status != http.StatusAccepted {
					t.Fatalf("vote: %d %s %v", r.status, r.code, r.err)
				}
				receipt[bs[i]] = r.voteID
			}
			// Then each voter sends one of its ballots again, at once,
			// while many are still on their way to the ledger, and one
			// for another project of the same category.
			again := bs[:len(tokens)]
			other := make([][2]string, len(again))
			for i, b := range again {
				other[i] = [2]string{b[0], sibling(projects, b[1])}
			}
			results = s.cast(append(append([][2]string{}, again...), other...), 48, nil)
			for i, r := range results {
				switch {
				case r.err != nil:
					t.Fatalf("vote failed: %v", r.err)
				case i < len(again) && (r.status != http.StatusOK || r.voteID != receipt[again[i]]):
					t.Fatalf("ballot sent again: %d %s vote %q; want 200 with the first receipt %q", r.status, r.code, r.voteID, receipt[again[i]])
				case i >= len(again) && (r.status != http.StatusConflict || r.code != "duplicate_vote"):
					t.Fatalf("another project in a filled category: %d %s; want 409 duplicate_vote", r.status, r.code)
				}
			}
			if len(ids) != len(tokens)*5 {
				t.Fatalf("%d accepted; want %d", len(ids), len(tokens)*5)
			}
			d.waitLedger(ids, 30*time.Second)
			checkRecount(t, d.recount(), want)
			var check struct {
				Converged bool
				Pending   int64
				Unread    int64
				SetAside  *int64 `json:"set_aside"`
				Placement []struct {
					Master string
					Shards []int
				}
			}
			if err := json.Unmarshal([]byte(d.run("check", "--edition", "demo")), &check); err != nil || !check.Converged ||
				check.SetAside == nil || *check.SetAside != 0 {
				t.Fatalf("check = %+v, %v", check, err)
			}
			// Every shard (PRIZES_SHARDS=8) is placed once: on the one
			// server, or spread over the cluster's masters.
			placed := 0
			for _, p := range check.Placement {
				if p.Master == "" || len(p.Shards) == 0 {
					t.Errorf("check placement %+v: a master without an address or shards", p)
				}
				placed += len(p.Shards)
			}
			if placed != 8 || (strings.Contains(name, "cluster") != (len(check.Placement) > 1)) {
				t.Errorf("check placement %+v: want the 8 shards, on more than one master only on the cluster", check.Placement)
			}
			s.stop(t)
			// The node saved what it answered and flushed for the
			// organisers' dashboard, its last seconds when it stopped.
			if got := d.activity(); got != [3]int64{int64(len(ids)), 2 * int64(len(tokens)), int64(len(ids))} {
				t.Errorf("activity saved (accepted, duplicate, flushed) = %v, want %d, %d, %d", got, len(ids), 2*len(tokens), len(ids))
			}
		})
	}
}

// activity returns the demo edition's accepted and duplicate votes, and the
// votes flushed, as the nodes saved them for the dashboard.
func (d *deployment) activity() [3]int64 {
	d.t.Helper()
	pool, err := pgxpool.New(context.Background(), d.dbURL)
	if err != nil {
		d.t.Fatal(err)
	}
	defer pool.Close()
	var a [3]int64
	err = pool.QueryRow(context.Background(), `SELECT
			coalesce(sum(accepted) FILTER (WHERE edition_id = 'demo'), 0), coalesce(sum(duplicate) FILTER (WHERE edition_id = 'demo'), 0),
			coalesce(sum(flushed) FILTER (WHERE edition_id = ''), 0)
		FROM vote_activity`).Scan(&a[0], &a[1], &a[2])
	if err != nil {
		d.t.Fatal(err)
	}
	return a
}

// TestServe_concurrentIdenticalVotes: 1,000 concurrent identical votes give
// exactly one 202 and the ledger holds one row; the others get its receipt
// back (200 with the same vote id) or, when it has not reached the ledger
// within the deadline, 503 outcome_unknown.
func TestServe_concurrentIdenticalVotes(t *testing.T) {
	for name, redisURL := range topologies(t) {
		t.Run(name, func(t *testing.T) {
			d := newDeployment(t, redisURL)
			s := d.serve()
			token := d.voters(1)[0]
			p := s.projects(t)[17].ID
			bs := make([][2]string, 1000)
			for i := range bs {
				bs[i] = [2]string{token, p}
			}
			results := s.cast(bs, 1000, nil)
			ids, _ := accepted(results)
			if len(ids) != 1 {
				t.Fatalf("%d of 1000 identical votes accepted; want exactly 1", len(ids))
			}
			replayed := 0
			for _, r := range results {
				switch {
				case r.status == http.StatusOK && r.voteID == ids[0]:
					replayed++
				case r.status == http.StatusAccepted,
					r.status == http.StatusServiceUnavailable && r.code == "outcome_unknown":
				default:
					t.Fatalf("answer %d %q %q %v", r.status, r.code, r.voteID, r.err)
				}
			}
			if replayed == 0 {
				t.Fatal("no identical vote got the first one's receipt back")
			}
			d.waitLedger(ids, 30*time.Second)
			if r := d.recount(); r.Total != 1 {
				t.Fatalf("ledger counts %d votes; want 1", r.Total)
			}
		})
	}
}

// TestServe_killedDuringLoad: prizes serve is killed with SIGKILL while votes
// arrive; after a restart every vote that was answered 202 is in the ledger,
// and once unanswered votes are retried the ledger holds every ballot once.
func TestServe_killedDuringLoad(t *testing.T) {
	for name, redisURL := range topologies(t) {
		t.Run(name, func(t *testing.T) {
			d := newDeployment(t, redisURL)
			// A long flush wait keeps votes in flight in the log when the
			// process dies.
			s := d.serve("PRIZES_FLUSH_WAIT=400ms")
			tokens := d.voters(800)
			bs := ballots(tokens, s.projects(t), 4)
			stop := make(chan struct{})
			var sent atomic.Int64
			go func() {
				for sent.Load() < int64(len(bs)/3) {
					time.Sleep(time.Millisecond)
				}
				s.kill()
				close(stop)
			}()
			results := s.castCounting(bs, 32, stop, &sent)
			ids, _ := accepted(results)
			if len(ids) == 0 || len(ids) == len(bs) {
				t.Fatalf("%d of %d votes accepted; the kill did not land mid-load", len(ids), len(bs))
			}
			inLedger := d.ledgerCount(ids)
			t.Logf("%d votes answered 202 before SIGKILL, %d of them in the ledger", len(ids), inLedger)
			if inLedger == len(ids) {
				t.Fatal("every acknowledged vote was already flushed at the kill; the rehearsal proves nothing")
			}

			s2 := d.serve()
			d.waitLedger(ids, 60*time.Second)
			// Votes that got no answer may or may not have been recorded: the
			// voter retries, and either the retry lands (202) or the first
			// did (200, its receipt).
			var retry [][2]string
			for i, r := range results {
				if r.status != http.StatusAccepted {
					retry = append(retry, bs[i])
				}
			}
			again := s2.cast(retry, 32, nil)
			ids2, _ := accepted(again)
			for _, r := range again {
				if r.status != http.StatusAccepted && r.status != http.StatusOK {
					t.Fatalf("retry after restart: %d %q %v", r.status, r.code, r.err)
				}
			}
			// Every ballot fills its own slot, and each one has now either
			// landed before the kill, landed unanswered (its retry got its
			// receipt), or landed on retry: the ledger holds them all.
			d.waitLedger(ids2, 30*time.Second)
			if got := d.recount(); got.Total != int64(len(bs)) {
				t.Fatalf("recount %d; ballots %d (acknowledged before kill %d, on retry %d)", got.Total, len(bs), len(ids), len(ids2))
			}
			var check struct{ Converged bool }
			if err := json.Unmarshal([]byte(d.run("check", "--edition", "demo")), &check); err != nil || !check.Converged {
				t.Fatalf("check after restart: %+v, %v", check, err)
			}
			d.checkLog()
			s2.stop(t)
		})
	}
}

// castCounting is cast with a counter of requests started.
func (s *server) castCounting(bs [][2]string, workers int, stop <-chan struct{}, sent *atomic.Int64) []voteResult {
	results := make([]voteResult, len(bs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bs) {
					return
				}
				select {
				case <-stop:
					results[i] = voteResult{err: fmt.Errorf("not sent")}
					continue
				default:
				}
				sent.Add(1)
				results[i] = s.vote(bs[i][0], bs[i][1])
			}
		}()
	}
	wg.Wait()
	return results
}

// TestFlush_severalProcesses: with serve's own flusher off, two `prizes flush`
// processes share the vote log as one consumer group; one of them is then
// killed, and whatever it held pending is claimed by the other (the takeover
// itself is rehearsed deterministically in TestFlusher_killedBetweenCommitAndAck).
// The ledger ends with every accepted vote exactly once.
func TestFlush_severalProcesses(t *testing.T) {
	d := newDeployment(t, testenv.RedisURL(t))
	s := d.serve("PRIZES_FLUSH=false")
	flusher := func(name string) *exec.Cmd {
		cmd := d.command("flush")
		cmd.Env = append(cmd.Env, "PRIZES_CONSUMER="+name, "PRIZES_FLUSH_WAIT=300ms")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				cmd.Process.Signal(syscall.SIGKILL)
				cmd.Wait()
			}
		})
		return cmd
	}
	a, b := flusher("flusher-a"), flusher("flusher-b")
	tokens := d.voters(500)
	results := s.cast(ballots(tokens, s.projects(t), 4), 32, nil)
	ids, want := accepted(results)
	if len(ids) != len(tokens)*4 {
		t.Fatalf("%d of %d votes accepted", len(ids), len(tokens)*4)
	}
	a.Process.Signal(syscall.SIGKILL)
	a.Wait()
	d.waitLedger(ids, 60*time.Second)
	checkRecount(t, d.recount(), want)
	d.checkLog()
	b.Process.Signal(syscall.SIGTERM)
	if err := b.Wait(); err != nil {
		t.Fatalf("prizes flush exited with %v", err)
	}
	s.stop(t)
}
