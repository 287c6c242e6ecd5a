package bench

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/loadtest/stack"
)

// redisServer is the Redis a run votes into, with the measurements the
// benchmark takes of what its memory holds.
type redisServer struct {
	*stack.Redis
}

// deletePrefix removes every key under prefix, to leave a shared Redis as
// it was found.
func (r redisServer) deletePrefix(ctx context.Context, prefix string) {
	iter := r.Client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		r.Client.Del(ctx, iter.Val())
	}
}

// memory is what INFO memory says at one moment.
type memory struct {
	Used    int64 `json:"used_memory"`
	Dataset int64 `json:"used_memory_dataset"`
}

func (r redisServer) memory(ctx context.Context) (memory, error) {
	m, err := r.Info(ctx, "memory")
	if err != nil {
		return memory{}, err
	}
	used, err1 := strconv.ParseInt(m["used_memory"], 10, 64)
	ds, err2 := strconv.ParseInt(m["used_memory_dataset"], 10, 64)
	if err1 != nil || err2 != nil {
		return memory{}, fmt.Errorf("redis info memory: used_memory %q, used_memory_dataset %q", m["used_memory"], m["used_memory_dataset"])
	}
	return memory{Used: used, Dataset: ds}, nil
}

// KeyClass is the memory of one kind of key: the dedup bitmaps, the tallies,
// the vote log streams.
type KeyClass struct {
	Class string `json:"class"`
	Keys  int    `json:"keys"`
	Bytes int64  `json:"bytes"`
}

// keyClasses sums MEMORY USAGE over every key under prefix, grouped by the
// part of the key after the shard's hash tag ("{v3}:seen:demo:C1" is
// "seen").
func (r redisServer) keyClasses(ctx context.Context, prefix string) ([]KeyClass, error) {
	by := map[string]*KeyClass{}
	iter := r.Client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		n, err := r.Client.MemoryUsage(ctx, key, 0).Result()
		if err != nil {
			return nil, fmt.Errorf("memory usage of %s: %w", key, err)
		}
		class := strings.TrimPrefix(key, prefix)
		if _, after, ok := strings.Cut(class, "}:"); ok {
			class = after
		}
		class, _, _ = strings.Cut(class, ":")
		kc := by[class]
		if kc == nil {
			kc = &KeyClass{Class: class}
			by[class] = kc
		}
		kc.Keys++
		kc.Bytes += n
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("scan redis keys: %w", err)
	}
	out := make([]KeyClass, 0, len(by))
	for _, kc := range by {
		out = append(out, *kc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Class < out[j].Class })
	return out, nil
}

// expiring returns how many keys under prefix have a time to live and the
// longest of those times.
func (r redisServer) expiring(ctx context.Context, prefix string) (int, time.Duration, error) {
	var keys []string
	iter := r.Client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return 0, 0, fmt.Errorf("scan redis keys: %w", err)
	}
	n, longest := 0, time.Duration(0)
	for start := 0; start < len(keys); start += 1000 {
		pipe := r.Client.Pipeline()
		cmds := make([]*goredis.DurationCmd, 0, 1000)
		for _, k := range keys[start:min(start+1000, len(keys))] {
			cmds = append(cmds, pipe.PTTL(ctx, k))
		}
		if _, err := pipe.Exec(ctx); err != nil && err != goredis.Nil {
			return 0, 0, fmt.Errorf("read key ttls: %w", err)
		}
		for _, c := range cmds {
			if d := c.Val(); d > 0 {
				n++
				longest = max(longest, d)
			}
		}
	}
	return n, longest, nil
}
