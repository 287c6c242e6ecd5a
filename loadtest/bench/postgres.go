package bench

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// receiptsInLedger counts how many of ids are vote ids in the ledger of
// edition in the database at dbURL. Ids are loaded with COPY into a
// temporary table, so hundreds of thousands of them cost one round trip.
func receiptsInLedger(ctx context.Context, dbURL, edition string, ids []string) (int64, error) {
	conn, err := pgx.Connect(ctx, dbURL)
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
