package fraudlive_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/loadtest/fraudgen"
	"github.com/wsisvote/prizes/loadtest/fraudlive"
)

// TestRun plays a small labelled month through prizes serve: every vote
// sent is answered 202 and is in the ledger once, mapped back to its
// generated vote; the ingest scorer read what each signal needs from the
// request and the token (the network from X-Forwarded-For, the device
// hint, the account's age and email class); it set aside some of the
// farms' votes; and both judgements cover every vote.
func TestRun(t *testing.T) {
	dbURL := testenv.Env(t, "PRIZES_TEST_DATABASE_URL")
	redisServer, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed: run the tests with `make test`, which installs it: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "prizes")
	build := exec.Command("go", "build", "-o", bin, "github.com/wsisvote/prizes/cmd/prizes")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build prizes: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var log bytes.Buffer
	rep, err := fraudlive.Run(ctx, fraudlive.Config{
		Traffic: fraudgen.Scaled(5000), Play: 30 * time.Second, Workers: 16,
		Prizes: bin, DatabaseURL: dbURL, RedisServer: redisServer, Env: os.Environ(), Log: &log, TempDir: t.TempDir(),
	})
	if err != nil {
		t.Fatalf("fraud-live: %v\n%s", err, log.String())
	}
	if !rep.Accounted() {
		t.Fatalf("sent %+v, ledger %d, %d generated votes not in it", rep.Sent, rep.Ledger, len(rep.Missing))
	}
	for _, j := range []struct {
		name string
		n    int
	}{
		{"ingest", rep.Ingest.Honest.Votes + rep.Ingest.Attack.Votes},
		{"batch", rep.Batch.Honest.Votes + rep.Batch.Attack.Votes},
		{"month's clock", rep.Restored.Honest.Votes + rep.Restored.Attack.Votes},
		{"offline", rep.Offline.Honest.Votes + rep.Offline.Attack.Votes},
	} {
		if j.n != rep.Sent.Votes {
			t.Errorf("the %s judgement covers %d votes of %d sent", j.name, j.n, rep.Sent.Votes)
		}
	}
	reasons := map[string]fraudlive.ReasonRow{}
	for _, r := range rep.Reasons {
		reasons[r.Reason] = r
	}
	for _, code := range []string{"network_accounts", "device_reuse", "account_new", "email_free", "email_disposable"} {
		if r := reasons[code]; r.Honest+r.Attack == 0 {
			t.Errorf("no ledger vote carries %s; reasons %+v", code, rep.Reasons)
		}
	}
	farms := 0
	for _, row := range rep.Ingest.Rows {
		if strings.HasSuffix(row.Label, "_farm") {
			farms += row.Flagged
		}
	}
	if farms == 0 {
		t.Errorf("the ingest scorer set aside none of the farms' votes: %+v", rep.Ingest.Rows)
	}
	md, err := fraudlive.Markdown(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md, "## The ingest scorer's statuses") || !strings.Contains(md, "## The batch analyser on the live ledger") {
		t.Errorf("the page lacks a judgement:\n%s", md)
	}
}
