package redis

import (
	"context"
	"fmt"
	"sort"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/kind"
)

// adjustScript adds deltas to live tally fields once per marker: KEYS[1] is
// the marker, KEYS[2..] the bucket hashes of the projects in ARGV order;
// ARGV[1] is the marker's lifetime in seconds, then project and delta pairs.
// It returns 1 when it applied the deltas and 0 when the marker was set
// already.
var adjustScript = goredis.NewScript(`
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
	return 0
end
for i = 2, #KEYS do
	redis.call('HINCRBY', KEYS[i], ARGV[2 * i - 2], ARGV[2 * i - 1])
end
return 1
`)

// adjustMarkerTTL is how long an adjustment's marker is kept: far longer than
// an adjustment can wait between being applied and being recorded as applied.
const adjustMarkerTTL = 90 * 24 * time.Hour

// AdjustTally adds each delta to its project's live count in edition, once
// per key: the deltas and a marker for key are written by one script call,
// so a second call with the same key (a retry after an answer was lost)
// changes nothing. Adjustments go to shard 0's buckets; the live count of a
// project is the sum over every shard, so which shard holds them does not
// matter, and one shard keeps the call atomic on a cluster too. It returns an
// error wrapping kind.ErrUnavailable when Redis cannot be reached, in
// which case the deltas may or may not have been applied.
func (s *Store) AdjustTally(ctx context.Context, edition, key string, deltas map[string]int64) error {
	op := fmt.Sprintf("adjust live tally of %s (%s)", edition, key)
	if edition == "" || key == "" {
		return fmt.Errorf("%s: edition and key are required: %w", op, kind.ErrInvalid)
	}
	projects := make([]string, 0, len(deltas))
	for p, d := range deltas {
		if d != 0 {
			projects = append(projects, p)
		}
	}
	sort.Strings(projects)
	k := s.keys[0]
	keys := make([]string, 1, len(projects)+1)
	keys[0] = s.adjustMarker(edition, key)
	args := make([]any, 1, 2*len(projects)+1)
	args[0] = int64(adjustMarkerTTL / time.Second)
	for _, p := range projects {
		keys = append(keys, tallyKey(k.tally, edition, tallyBucket(p)))
		args = append(args, p, deltas[p])
	}
	if err := adjustScript.Run(ctx, s.c, keys, args...).Err(); err != nil {
		return wrap(op, err)
	}
	return nil
}

// adjustMarker is the key that records that the adjustment key of edition
// was applied; it shares shard 0's hash tag with the buckets it adjusts.
func (s *Store) adjustMarker(edition, key string) string {
	return s.opts.Prefix + "{v0}:tallyadj:" + edition + ":" + key
}
