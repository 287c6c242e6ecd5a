package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
)

// LogFigures are the transparency log's costs in a replay: its storage in
// PostgreSQL, and the time to write the published ledger file and to check
// it offline against the signed results.
type LogFigures struct {
	// On says the edition was run with the log: every vote has a leaf.
	On          bool  `json:"on"`
	Leaves      int64 `json:"leaves"`
	Checkpoints int64 `json:"checkpoints"`
	// IndexBytes is the size of the (edition, leaf_index) index, and
	// ColumnBytes the leaf indexes themselves (8 bytes a vote).
	IndexBytes       int64         `json:"index_bytes"`
	ColumnBytes      int64         `json:"column_bytes"`
	CheckpointsBytes int64         `json:"checkpoints_bytes"`
	HeadsBytes       int64         `json:"heads_bytes"`
	LedgerFile       time.Duration `json:"ledger_file_ns"`
	LedgerFileBytes  int64         `json:"ledger_file_bytes"`
	Verify           time.Duration `json:"verify_ns"`
}

// ledgerFile measures the log's storage, writes the ledger file with prizes
// ledger and checks it with prizes verify ledger, as an auditor would.
func (r *run) ledgerFile(ctx context.Context) error {
	var f LogFigures
	conn, err := pgx.Connect(ctx, r.db.URL)
	if err != nil {
		return fmt.Errorf("replay: log storage: %w", err)
	}
	err = conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM votes WHERE leaf_index IS NOT NULL),
		(SELECT count(*) FROM log_checkpoints), pg_relation_size('votes_leaf'),
		pg_total_relation_size('log_checkpoints'), pg_total_relation_size('log_heads')`).
		Scan(&f.Leaves, &f.Checkpoints, &f.IndexBytes, &f.CheckpointsBytes, &f.HeadsBytes)
	conn.Close(ctx)
	if err != nil {
		return fmt.Errorf("replay: log storage: %w", err)
	}
	f.ColumnBytes = 8 * f.Leaves
	f.On = f.Leaves > 0
	r.rep.Log = &f
	if !f.On {
		r.stage("ledger file", "no transparency log (PRIZES_TRANSPARENCY_LOG=false)")
		return nil
	}
	id := r.s.Edition.ID
	ledger := filepath.Join(r.dir, "ledger.jsonl")
	t := time.Now()
	if _, _, err := r.prizes.Run(ctx, "ledger", "--edition", id, "--out", ledger); err != nil {
		return fmt.Errorf("replay: prizes ledger: %w", err)
	}
	f.LedgerFile = time.Since(t)
	if st, err := os.Stat(ledger); err == nil {
		f.LedgerFileBytes = st.Size()
	}
	var results json.RawMessage
	if err := r.api.call(ctx, http.MethodGet, "/results", "", nil, &results); err != nil {
		return fmt.Errorf("replay: read results: %w", err)
	}
	resultsFile := filepath.Join(r.dir, "results.json")
	if err := os.WriteFile(resultsFile, results, 0o600); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	t = time.Now()
	if out, _, err := r.prizes.Run(ctx, "verify", "ledger", "--results", resultsFile, "--ledger", ledger); err != nil {
		return fmt.Errorf("replay: prizes verify ledger: %w: %s", err, out)
	}
	f.Verify = time.Since(t)
	r.rep.Log = &f
	r.stage("ledger file", fmt.Sprintf("prizes ledger %s (%d MB), prizes verify ledger %s",
		f.LedgerFile.Round(time.Millisecond), f.LedgerFileBytes>>20, f.Verify.Round(time.Millisecond)))
	return nil
}
