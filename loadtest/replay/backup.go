package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/wsisvote/prizes/loadtest/stack"
)

// Backup is the backup stage's outcome: the published edition's database
// backed up with prizes backup while serve still runs, restored with prizes
// restore into a fresh database, and checked there by prizes recount
// --verify and prizes audit verify.
type Backup struct {
	Bytes          int64         `json:"bytes"`
	Backup         time.Duration `json:"backup_ns"`
	Restore        time.Duration `json:"restore_ns"`
	RecountMatches bool          `json:"recount_matches"`
	SignatureValid bool          `json:"signature_valid"`
	AuditOK        bool          `json:"audit_ok"`
	AuditEntries   int           `json:"audit_entries"`
	OK             bool          `json:"ok"`
}

// backup runs the backup stage; a restored copy that does not verify is an
// error.
func (r *run) backup(ctx context.Context) error {
	b := &Backup{}
	r.rep.Backup = b
	file := filepath.Join(r.dir, "prizes.backup")
	var printed struct {
		Bytes int64 `json:"bytes"`
	}
	t := time.Now()
	out, _, err := r.prizes.Run(ctx, "backup", "--out", file)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	b.Backup = time.Since(t)
	if err := json.Unmarshal(out, &printed); err != nil {
		return fmt.Errorf("replay: prizes backup output %q: %w", out, err)
	}
	b.Bytes = printed.Bytes

	restored, err := stack.CreateDatabase(ctx, r.cfg.DatabaseURL, "restored_")
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	defer restored.Drop(context.WithoutCancel(ctx))
	// The restored copy's commands see only its database: a later
	// PRIZES_DATABASE_URL wins over the earlier one.
	p := &stack.Prizes{Bin: r.prizes.Bin, Env: append(slices.Clone(r.prizes.Env), "PRIZES_DATABASE_URL="+restored.URL)}
	t = time.Now()
	if _, _, err := p.Run(ctx, "restore", "--in", file); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	b.Restore = time.Since(t)

	id := r.s.Edition.ID
	var v struct {
		SignatureValid bool `json:"signature_valid"`
		Matches        bool `json:"matches"`
	}
	out, _, verr := p.Run(ctx, "recount", "--edition", id, "--verify")
	if err := json.Unmarshal(out, &v); err != nil {
		return fmt.Errorf("replay: recount --verify of the restored copy: %w (%v)", err, verr)
	}
	b.RecountMatches, b.SignatureValid = v.Matches && verr == nil, v.SignatureValid
	var a struct {
		OK      bool `json:"ok"`
		Entries int  `json:"entries"`
	}
	out, _, aerr := p.Run(ctx, "audit", "verify", "--edition", id)
	if err := json.Unmarshal(out, &a); err != nil {
		return fmt.Errorf("replay: audit verify of the restored copy: %w (%v)", err, aerr)
	}
	b.AuditOK, b.AuditEntries = a.OK && aerr == nil, a.Entries
	b.OK = b.RecountMatches && b.SignatureValid && b.AuditOK
	r.stage("backup", fmt.Sprintf("prizes backup (%d bytes), restore into a new database, recount --verify and audit verify there", b.Bytes))
	if !b.OK {
		return fmt.Errorf("replay: the restored copy does not verify: recount matches %v, signature valid %v, audit ok %v",
			b.RecountMatches, b.SignatureValid, b.AuditOK)
	}
	return nil
}
