package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
)

// database is a PostgreSQL database the harness created for one run.
type database struct {
	admin string
	name  string
	url   string
}

// createDatabase creates a database with a random name on the server of
// adminURL and returns it; drop removes it.
func createDatabase(ctx context.Context, adminURL string) (*database, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("create database: %w", err)
	}
	name := "bench_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return nil, fmt.Errorf("create database: connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return nil, fmt.Errorf("create database: %w", err)
	}
	u.Path = "/" + name
	return &database{admin: adminURL, name: name, url: u.String()}, nil
}

// drop removes the database, disconnecting anyone still connected.
func (d *database) drop(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, d.admin)
	if err != nil {
		return fmt.Errorf("drop database %s: connect: %w", d.name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+d.name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", d.name, err)
	}
	return nil
}

// version returns the server's version string.
func (d *database) version(ctx context.Context) (string, error) {
	conn, err := pgx.Connect(ctx, d.url)
	if err != nil {
		return "", fmt.Errorf("postgres version: %w", err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "", fmt.Errorf("postgres version: %w", err)
	}
	return v, nil
}

// receiptsInLedger counts how many of ids are vote ids in the ledger of
// edition. Ids are loaded with COPY into a temporary table, so hundreds of
// thousands of them cost one round trip.
func (d *database) receiptsInLedger(ctx context.Context, edition string, ids []string) (int64, error) {
	conn, err := pgx.Connect(ctx, d.url)
	if err != nil {
		return 0, fmt.Errorf("check receipts: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TEMP TABLE receipts (id text NOT NULL)"); err != nil {
		return 0, fmt.Errorf("check receipts: %w", err)
	}
	rows := make([][]any, len(ids))
	for i, id := range ids {
		rows[i] = []any{strings.ToLower(id)}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"receipts"}, []string{"id"}, pgx.CopyFromRows(rows)); err != nil {
		return 0, fmt.Errorf("check receipts: copy: %w", err)
	}
	var n int64
	err = conn.QueryRow(ctx, `SELECT count(*) FROM receipts r JOIN votes v ON v.id::text = r.id WHERE v.edition_id = $1`, edition).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("check receipts: %w", err)
	}
	return n, nil
}
