package stack_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/loadtest/stack"
)

// TestPostgres_Stop: a committed row outlives an immediate shutdown, which
// leaves the files as a crash would, and the server comes back on the same
// address; a fast shutdown stops it too.
func TestPostgres_Stop(t *testing.T) {
	bin, err := stack.PostgresBin()
	if err != nil {
		t.Fatalf("postgresql is not installed: run the tests with `make test`, which installs it: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg, err := stack.StartPostgres(ctx, bin, filepath.Join(sharedTempDir(t), "pg"))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Stop(stack.Fast)
	exec := func(sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, pg.URL("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec("CREATE TABLE t (n int); INSERT INTO t VALUES (1), (2)")
	if err := pg.Stop(stack.Immediate); err != nil {
		t.Fatal(err)
	}
	if pg.PID() != 0 {
		t.Fatalf("pid %d after stop, want 0", pg.PID())
	}
	if conn, err := pgx.Connect(ctx, pg.URL("postgres")); err == nil {
		conn.Close(ctx)
		t.Fatal("connected to a stopped server")
	}
	if err := pg.Start(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n)
	conn.Close(ctx)
	if err != nil || n != 2 {
		t.Fatalf("after an immediate shutdown: %d rows, %v; want 2", n, err)
	}
	if err := pg.Stop(stack.Fast); err != nil {
		t.Fatal(err)
	}
}

// sharedTempDir returns a temporary folder that other users may enter, as
// the postgres user must when the tests run as root.
func sharedTempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "stack-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
