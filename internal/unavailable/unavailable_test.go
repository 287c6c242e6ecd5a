package unavailable_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wsisvote/prizes/internal/unavailable"
)

// reply is an error reply from Redis, as go-redis's Error interface sees it.
type reply string

func (r reply) Error() string { return string(r) }
func (reply) RedisError()     {}

func TestPostgres(t *testing.T) {
	for name, tc := range map[string]struct {
		err  error
		want bool
	}{
		"nil":                   {nil, false},
		"admin shutdown":        {&pgconn.PgError{Code: "57P01"}, true},
		"connection failure":    {fmt.Errorf("query: %w", &pgconn.PgError{Code: "08006"}), true},
		"too many connections":  {&pgconn.PgError{Code: "53300"}, true},
		"unique violation":      {&pgconn.PgError{Code: "23505"}, false},
		"syntax error":          {&pgconn.PgError{Code: "42601"}, false},
		"network":               {&net.OpError{Op: "dial", Err: errors.New("refused")}, true},
		"plain error":           {errors.New("no rows"), false},
		"caller's context ends": {context.Canceled, false},
	} {
		t.Run(name, func(t *testing.T) {
			if got := unavailable.Postgres(tc.err); got != tc.want {
				t.Errorf("Postgres(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestRedis(t *testing.T) {
	for name, tc := range map[string]struct {
		err  error
		want bool
	}{
		"nil":                   {nil, false},
		"loading":               {reply("LOADING Redis is loading the dataset in memory"), true},
		"out of memory":         {fmt.Errorf("append: %w", reply("OOM command not allowed")), true},
		"cluster down":          {reply("CLUSTERDOWN The cluster is down"), true},
		"wrong type":            {reply("WRONGTYPE Operation against a key holding the wrong kind of value"), false},
		"script error":          {reply("ERR user_script:1: Script attempted to access nonexistent global variable"), false},
		"connection refused":    {&net.OpError{Op: "dial", Err: errors.New("refused")}, true},
		"closed client":         {errors.New("redis: client is closed"), true},
		"caller's context ends": {context.Canceled, false},
		"dial timed out":        {fmt.Errorf("%w: %w", context.DeadlineExceeded, &net.OpError{Op: "dial"}), true},
	} {
		t.Run(name, func(t *testing.T) {
			if got := unavailable.Redis(tc.err); got != tc.want {
				t.Errorf("Redis(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
