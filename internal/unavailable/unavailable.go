// Package unavailable tells, for the adapters of every domain, whether a
// driver error means the database or Redis could not be reached or could not
// serve the request right now, as opposed to a request that is wrong. Each
// adapter then wraps such an error with its own domain's ErrUnavailable.
package unavailable

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	goredis "github.com/redis/go-redis/v9"
)

// Postgres reports whether err means PostgreSQL could not be reached or
// could not serve the statement: a connection exception, operator
// intervention or insufficient resources (SQLSTATE classes 08, 57 and 53), a
// failed connect, a network error or a timeout. Any other server error, such
// as a constraint violation, is the statement's own.
func Postgres(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code[:2] {
		case "08", "57", "53":
			return true
		}
		return false
	}
	var netErr net.Error
	var connErr *pgconn.ConnectError
	return errors.As(err, &netErr) || errors.As(err, &connErr) || pgconn.SafeToRetry(err) || pgconn.Timeout(err)
}

// Redis reports whether err means Redis could not be reached or could not
// serve the command. Every error that is not a reply from Redis comes from
// the connection (refused, reset, timed out, closed client, exhausted pool, a
// cluster with no reachable node) and counts, except the caller's own
// context ending; of the replies, those with which Redis says it cannot
// serve the command right now (a failover, a resharding, a restart, a full
// memory) count.
func Redis(err error) bool {
	if err == nil {
		return false
	}
	var rerr goredis.Error
	if errors.As(err, &rerr) {
		code, _, _ := strings.Cut(strings.TrimPrefix(rerr.Error(), "ERR "), " ")
		switch code {
		case "CLUSTERDOWN", "LOADING", "TRYAGAIN", "MASTERDOWN", "READONLY", "BUSY",
			"NOREPLICAS", "OOM", "MOVED", "ASK", "NOSCRIPT", "MISCONF":
			return true
		}
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// A dial that timed out may carry DeadlineExceeded too; it is still
		// Redis that could not be reached.
		var op *net.OpError
		return errors.As(err, &op)
	}
	return true
}
