package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/voting"
)

// unavailable reports whether err means Redis could not be reached or could
// not serve the command. Every error that is not a reply from Redis comes
// from the connection (refused, reset, timed out, closed client, exhausted
// pool, a cluster with no reachable node) and counts, except the caller's
// own context ending.
func unavailable(err error) bool {
	if err == nil {
		return false
	}
	var rerr goredis.Error
	if errors.As(err, &rerr) {
		return unavailableReply(rerr.Error())
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// A dial that timed out may carry DeadlineExceeded too; it is still
		// Redis that could not be reached.
		var op *net.OpError
		return errors.As(err, &op)
	}
	return true
}

// wrap names the operation that failed and translates err into the voting
// vocabulary, keeping the driver's error in the chain for the log.
func wrap(op string, err error) error {
	if unavailable(err) {
		return fmt.Errorf("%s: %w: %w", op, voting.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// unavailableReply reports whether an error reply is one with which Redis
// says it cannot serve the command right now (a failover, a resharding, a
// restart, a full memory), as opposed to a command that is wrong.
func unavailableReply(msg string) bool {
	msg = strings.TrimPrefix(msg, "ERR ")
	code, _, _ := strings.Cut(msg, " ")
	switch code {
	case "CLUSTERDOWN", "LOADING", "TRYAGAIN", "MASTERDOWN", "READONLY", "BUSY",
		"NOREPLICAS", "OOM", "MOVED", "ASK", "NOSCRIPT", "MISCONF":
		return true
	}
	return false
}
