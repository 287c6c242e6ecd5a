package main_test

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/testenv"
)

// TestBackup_restore: a backup of a deployment with votes restores into a
// new database that recounts the same and whose audit chain verifies; a
// restore into a database that holds tables is refused and changes nothing.
func TestBackup_restore(t *testing.T) {
	d := newDeployment(t, testenv.RedisURL(t))
	s := d.serve()
	project := s.projects(t)[0].ID
	var ids []string
	for _, tok := range d.voters(5) {
		r := s.vote(tok, project)
		if r.status != 202 {
			t.Fatalf("vote: %+v", r)
		}
		ids = append(ids, r.voteID)
	}
	d.waitLedger(ids, 30*time.Second)
	s.stop(t)
	before := d.run("recount", "--edition", "demo")

	file := filepath.Join(t.TempDir(), "prizes.backup")
	if out := d.run("backup", "--out", file); !strings.Contains(out, `"bytes":`) {
		t.Fatalf("backup printed %q", out)
	}
	if out, err := d.command("restore", "--in", file).CombinedOutput(); err == nil || !strings.Contains(string(out), "already holds") {
		t.Errorf("restore into the live database: %v, %q; want a refusal", err, out)
	}
	if after := d.run("recount", "--edition", "demo"); after != before {
		t.Errorf("the refused restore changed the ledger:\n%s\n%s", before, after)
	}

	restored := *d
	restored.env = append(append([]string{}, d.env...), "PRIZES_DATABASE_URL="+testenv.EmptyDatabaseURL(t))
	restored.run("restore", "--in", file)
	if got := restored.run("recount", "--edition", "demo"); got != before {
		t.Errorf("the restored copy recounts\n%s\nwant\n%s", got, before)
	}
	var audit struct {
		OK      bool `json:"ok"`
		Entries int  `json:"entries"`
	}
	if err := json.Unmarshal([]byte(restored.run("audit", "verify", "--edition", "demo")), &audit); err != nil || !audit.OK || audit.Entries == 0 {
		t.Errorf("audit verify on the restored copy: %+v, %v", audit, err)
	}
	if err := exec.Command(binary, "backup").Run(); err == nil {
		t.Error("backup without --out succeeded")
	}
}
