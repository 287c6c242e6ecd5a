package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// backupReport is what backup and restore print.
type backupReport struct {
	File    string  `json:"file"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
}

// runBackup is prizes backup --out FILE: pg_dump of the whole system of
// record (the ledger, the signed results, the audit chain, accounts and
// keys) in pg_dump's custom format, from one consistent snapshot taken
// while the service runs. Redis needs none: once its vote log is drained
// every vote is in the ledger, and the live counters are rebuilt from it.
func runBackup(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("backup")
	if err != nil {
		return err
	}
	out := fs.String("out", "", "file to write the backup to (pg_dump custom format)")
	pgDump := fs.String("pg-dump", "pg_dump", "pg_dump binary, of the server's major version or later")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("backup: --out FILE is required")
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, *pgDump, "--format=custom", "--no-owner", "--no-privileges",
		"--file", *out, "--dbname", a.cfg.DatabaseURL)
	if msg, err := cmd.CombinedOutput(); err != nil {
		os.Remove(*out)
		return fmt.Errorf("backup: pg_dump: %w: %s", err, msg)
	}
	return a.printBackup(*out, start)
}

// runRestore is prizes restore --in FILE: a backup restored, in one
// transaction, into the database of PRIZES_DATABASE_URL, which must hold no
// table yet (a fresh database: a restore never merges into live data).
// Afterwards, prizes recount --verify and prizes audit verify check it.
func runRestore(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("restore")
	if err != nil {
		return err
	}
	in := fs.String("in", "", "backup file written by prizes backup")
	pgRestore := fs.String("pg-restore", "pg_restore", "pg_restore binary, of pg_dump's major version or later")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" {
		return fmt.Errorf("restore: --in FILE is required")
	}
	db, err := a.database(ctx)
	if err != nil {
		return err
	}
	var tables int
	err = db.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables)
	db.Close()
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if tables > 0 {
		return fmt.Errorf("restore: the database already holds %d tables; restore into a new, empty database", tables)
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, *pgRestore, "--no-owner", "--no-privileges", "--single-transaction",
		"--exit-on-error", "--dbname", a.cfg.DatabaseURL, *in)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("restore: pg_restore: %w: %s", err, msg)
	}
	return a.printBackup(*in, start)
}

func (a *app) printBackup(file string, start time.Time) error {
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	return json.NewEncoder(a.stdout).Encode(backupReport{File: file, Bytes: st.Size(), Seconds: time.Since(start).Seconds()})
}
