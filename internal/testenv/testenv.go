// Package testenv gives tests their real Redis, PostgreSQL and Mailpit: the
// instances that `make test` starts on free loopback ports, named by
// PRIZES_TEST_* variables. Every PostgreSQL test gets a fresh, migrated
// database of its own and every Redis test a unique key prefix, so test
// packages can run in parallel against the same instances. Without those
// variables (a plain `go test ./...`) a test that needs them is skipped,
// except in CI, where it fails.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/deploy/migrations"
)

// Env returns the value of the test variable name. When it is not set, the
// test is skipped; but when another PRIZES_TEST_* variable is set (the tests
// run under `make test`) or CI is set, it fails, so that neither ever skips
// a test silently.
func Env(tb testing.TB, name string) string {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		if stackRequired() {
			tb.Fatalf("%s is not set: run the tests with `make test`, which starts throwaway Redis, PostgreSQL and Mailpit instances", name)
		}
		tb.Skipf("%s is not set: this test needs the throwaway Redis, PostgreSQL and Mailpit instances that `make test` starts", name)
	}
	return v
}

// stackRequired reports whether a missing test variable is an error rather
// than a reason to skip.
func stackRequired() bool {
	if ci := os.Getenv("CI"); ci != "" && ci != "false" {
		return true
	}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PRIZES_TEST_") {
			return true
		}
	}
	return false
}

// ID returns a short random id, unique per call, usable as an edition id or a
// key prefix.
func ID(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return "t" + hex.EncodeToString(b)
}

// DatabaseURL creates a fresh database with every migration applied, drops it
// when the test ends, and returns its URL.
func DatabaseURL(tb testing.TB) string {
	tb.Helper()
	dsn := EmptyDatabaseURL(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer pool.Close()
	if _, err := migrations.Apply(ctx, pool); err != nil {
		tb.Fatalf("migrate test database: %v", err)
	}
	return dsn
}

// EmptyDatabaseURL creates a database with no table in it, drops it when
// the test ends, and returns its URL.
func EmptyDatabaseURL(tb testing.TB) string {
	tb.Helper()
	base := Env(tb, "PRIZES_TEST_DATABASE_URL")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := pgxpool.New(ctx, base)
	if err != nil {
		tb.Fatalf("connect to test postgres: %v", err)
	}
	defer admin.Close()
	name := "test_" + strings.ToLower(ID(tb))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create database: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		admin, err := pgxpool.New(ctx, base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return u.String()
}

// Postgres returns a pool on a fresh migrated database (see DatabaseURL).
func Postgres(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), DatabaseURL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// RedisURL returns the standalone test Redis URL.
func RedisURL(tb testing.TB) string {
	tb.Helper()
	return Env(tb, "PRIZES_TEST_REDIS_URL")
}

// Redis returns a client on the standalone test Redis.
func Redis(tb testing.TB) *redis.Client {
	tb.Helper()
	opt, err := redis.ParseURL(RedisURL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	c := redis.NewClient(opt)
	tb.Cleanup(func() { c.Close() })
	return c
}

// RedisCluster returns a client on the 3-master test cluster.
func RedisCluster(tb testing.TB) *redis.ClusterClient {
	tb.Helper()
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: RedisClusterAddrs(tb)})
	tb.Cleanup(func() { c.Close() })
	return c
}

// Redises returns both test topologies by name, for running one suite on each.
func Redises(tb testing.TB) map[string]redis.UniversalClient {
	tb.Helper()
	return map[string]redis.UniversalClient{"standalone": Redis(tb), "cluster": RedisCluster(tb)}
}
