package main_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/testenv"
)

// TestServe_redisDown: with Redis unreachable a vote gets 503 unavailable with
// Retry-After, readiness fails, and nothing reaches the ledger.
func TestServe_redisDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	redis := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", fmt.Sprint(port),
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := redis.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { redis.Process.Kill(); redis.Wait() })
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			c.Close()
			break
		}
		if i > 200 {
			t.Fatal("private redis-server did not start")
		}
		time.Sleep(25 * time.Millisecond)
	}
	d := newDeployment(t, fmt.Sprintf("redis://127.0.0.1:%d/0", port))
	s := d.serve()
	token := d.voters(1)[0]
	p := s.projects(t)[0].ID
	redis.Process.Kill()
	redis.Wait()

	req, _ := http.NewRequest("POST", s.base+"/api/v1/editions/demo/votes", strings.NewReader(`{"project_id":"`+p+`"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Error struct{ Code string } }
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || body.Error.Code != "unavailable" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("vote with Redis down: %d %q Retry-After=%q", resp.StatusCode, body.Error.Code, resp.Header.Get("Retry-After"))
	}
	ready, err := http.Get(s.base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	ready.Body.Close()
	if ready.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with Redis down: %d", ready.StatusCode)
	}
	if r := d.recount(); r.Total != 0 {
		t.Fatalf("ledger counts %d votes; want 0", r.Total)
	}
}

// TestServe_voteRateLimit: past the per-account burst a vote is refused with
// 429 rate_limited and Retry-After, and nothing of it is recorded.
func TestServe_voteRateLimit(t *testing.T) {
	d := newDeployment(t, testenv.RedisURL(t))
	d.env = append(d.env, "PRIZES_LIMIT_EXEMPT=", "PRIZES_LIMIT_VOTE_ACCOUNT=2/1m:2")
	s := d.serve()
	token := d.voters(1)[0]
	byCat := map[string]string{}
	for _, p := range s.projects(t) {
		byCat[p.Category] = p.ID
	}
	var got []voteResult
	for _, id := range byCat {
		if len(got) == 3 {
			break
		}
		got = append(got, s.vote(token, id))
	}
	if got[0].status != http.StatusAccepted || got[1].status != http.StatusAccepted {
		t.Fatalf("votes within the burst: %+v", got[:2])
	}
	if got[2].status != http.StatusTooManyRequests || got[2].code != "rate_limited" {
		t.Fatalf("vote past the burst: %d %q; want 429 rate_limited", got[2].status, got[2].code)
	}
	ids, _ := accepted(got)
	d.waitLedger(ids, 30*time.Second)
	if r := d.recount(); r.Total != 2 {
		t.Fatalf("ledger counts %d votes; want the 2 accepted", r.Total)
	}
}

// TestFlush_metricsAddressTaken: prizes flush refuses to start when its
// metrics address is taken, rather than flush with no metrics.
func TestFlush_metricsAddressTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	d := newDeployment(t, testenv.RedisURL(t))
	cmd := d.command("flush", "--metrics-addr", taken.Addr().String())
	done := make(chan error, 1)
	var out strings.Builder
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(out.String(), "listen for metrics") {
			t.Fatalf("prizes flush with a taken metrics address: %v, stderr %s; want a listen error", err, out.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("prizes flush kept running with its metrics address taken")
	}
}
