package redis

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	neturl "net/url"
	"runtime"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Connect builds a client from a configuration string:
//
//	redis://[user:password@]host:port/db   one server (rediss:// for TLS)
//	redis-cluster://[user:password@]host:port,host:port,...
//	host:port,host:port,...                a cluster, by its seed nodes
//
// A cluster is reached through seed nodes only; the client learns the rest.
// Timeouts and pool sizes left unset in a redis:// URL get values suited to
// the hot vote path: short timeouts, so an unreachable Redis turns into
// ErrUnavailable in seconds rather than hanging a request, and a pool large
// enough for the batch workers, the flushers' blocking reads and the API.
//
// The client never resends a command on its own, whatever the URL says: a
// script call whose reply was lost may have run, and running it again would
// meet its own vote as a duplicate or spend a limit twice. Callers retry
// what is safe to retry.
//
// A URL that does not parse is a mistake of configuration, not of a
// request: the error wraps ErrBadURL.
func Connect(url string) (goredis.UniversalClient, error) {
	url = strings.TrimSpace(url)
	switch {
	case url == "":
		return nil, fmt.Errorf("%w: empty", ErrBadURL)
	case strings.HasPrefix(url, "redis://"), strings.HasPrefix(url, "rediss://"):
		o, err := goredis.ParseURL(url)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadURL, err)
		}
		tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.PoolSize, &o.MinIdleConns)
		o.MaxRetries = noRetries
		return goredis.NewClient(o), nil
	case strings.HasPrefix(url, "redis-cluster://"), strings.HasPrefix(url, "rediss-cluster://"):
		scheme, rest, _ := strings.Cut(url, "://")
		o := &goredis.ClusterOptions{}
		if i := strings.LastIndexByte(rest, '@'); i >= 0 {
			// The user information reads as in a redis:// URL: user,
			// user:password or :password, percent-encoded.
			user, pass, _ := strings.Cut(rest[:i], ":")
			var err error
			if o.Username, err = neturl.PathUnescape(user); err != nil {
				return nil, fmt.Errorf("%w: cluster user name", ErrBadURL)
			}
			if o.Password, err = neturl.PathUnescape(pass); err != nil {
				return nil, fmt.Errorf("%w: cluster password", ErrBadURL)
			}
			rest = rest[i+1:]
		}
		if scheme == "rediss-cluster" {
			o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		return cluster(o, rest)
	case strings.Contains(url, "://"):
		return nil, fmt.Errorf("%w: unknown scheme %q", ErrBadURL, url[:strings.Index(url, "://")])
	default:
		return cluster(&goredis.ClusterOptions{}, url)
	}
}

// ErrBadURL is a Redis URL Connect cannot read.
var ErrBadURL = errors.New("connect redis: bad URL")

func cluster(o *goredis.ClusterOptions, list string) (goredis.UniversalClient, error) {
	list, _, _ = strings.Cut(list, "?")
	list, _, _ = strings.Cut(list, "/")
	for _, addr := range strings.Split(list, ",") {
		addr = strings.TrimSpace(addr)
		if addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("%w: cluster node %q", ErrBadURL, addr)
		}
		o.Addrs = append(o.Addrs, addr)
	}
	if len(o.Addrs) == 0 {
		return nil, fmt.Errorf("%w: no cluster nodes", ErrBadURL)
	}
	tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.PoolSize, &o.MinIdleConns)
	o.MaxRetries = noRetries
	return goredis.NewClusterClient(o), nil
}

// noRetries is go-redis's MaxRetries for "never resend" (zero means its
// default of three).
const noRetries = -1

// tune fills the settings a configuration left at zero.
func tune(dial, read, write, pool *time.Duration, size, idle *int) {
	set := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	set(dial, 2*time.Second)
	set(read, 2*time.Second)
	set(write, 2*time.Second)
	set(pool, 3*time.Second)
	if *size == 0 {
		*size = max(20*runtime.GOMAXPROCS(0), 64)
	}
	if *idle == 0 {
		*idle = 4
	}
}
