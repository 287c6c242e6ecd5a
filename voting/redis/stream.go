package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/voting"
)

// field is the single stream field an encoded vote is stored under.
const field = "v"

// Read returns up to max entries of one shard that no consumer of the group
// has seen, waiting at most wait for the first. An entry that does not
// decode is moved to the shard's dead-letter stream instead of returned.
func (s *Store) Read(ctx context.Context, shard, max int, wait time.Duration) ([]voting.Entry, error) {
	k, err := s.shard("read", shard)
	if err != nil || max <= 0 {
		return nil, err
	}
	// BLOCK 0 means forever, and go-redis counts whole milliseconds, so a
	// short positive wait is rounded up and a non-positive one does not block.
	block := time.Duration(-1)
	switch {
	case wait >= time.Millisecond:
		block = wait
	case wait > 0:
		block = time.Millisecond
	}
	args := &goredis.XReadGroupArgs{
		Group:    s.opts.Group,
		Consumer: s.opts.Consumer,
		Streams:  []string{k.log, ">"},
		Count:    int64(max),
		Block:    block,
	}
	streams, err := s.c.XReadGroup(ctx, args).Result()
	if err != nil && goredis.HasErrorPrefix(err, "NOGROUP") {
		// The stream or its group went away (a flushed database); make them
		// again rather than stall the flusher.
		if err := s.c.XGroupCreateMkStream(ctx, k.log, s.opts.Group, "0").Err(); err != nil && !goredis.HasErrorPrefix(err, "BUSYGROUP") {
			return nil, wrap(fmt.Sprintf("read shard %d: recreate group", shard), err)
		}
		streams, err = s.c.XReadGroup(ctx, args).Result()
	}
	if err == goredis.Nil {
		return nil, nil
	}
	if err != nil {
		return nil, wrap(fmt.Sprintf("read shard %d", shard), err)
	}
	var msgs []goredis.XMessage
	for _, st := range streams {
		msgs = append(msgs, st.Messages...)
	}
	return s.entries(ctx, shard, msgs), nil
}

// Claim takes over up to max entries of one shard that were delivered to a
// consumer and not acknowledged for at least minIdle, scanning the whole
// pending list from the start.
func (s *Store) Claim(ctx context.Context, shard, max int, minIdle time.Duration) ([]voting.Entry, error) {
	k, err := s.shard("claim", shard)
	if err != nil || max <= 0 {
		return nil, err
	}
	var out []voting.Entry
	taken := 0
	for start := "0-0"; taken < max; {
		msgs, next, deleted, err := s.c.XAutoClaimWithDeleted(ctx, &goredis.XAutoClaimArgs{
			Stream:   k.log,
			Group:    s.opts.Group,
			Consumer: s.opts.Consumer,
			MinIdle:  minIdle,
			Start:    start,
			Count:    int64(max - taken),
		}).Result()
		if err != nil {
			return out, wrap(fmt.Sprintf("claim on shard %d", shard), err)
		}
		if len(deleted) > 0 {
			// Entries deleted from the stream while pending have nothing left
			// to flush; acknowledging them keeps the pending list clean on
			// servers that do not drop them by themselves.
			if err := s.c.XAck(ctx, k.log, s.opts.Group, deleted...).Err(); err != nil {
				return out, wrap(fmt.Sprintf("claim on shard %d: ack deleted", shard), err)
			}
		}
		taken += len(msgs)
		out = append(out, s.entries(ctx, shard, msgs)...)
		if next == "0-0" || next == "" {
			break
		}
		start = next
	}
	return out, nil
}

// Ack acknowledges entries that are safely in the ledger and deletes them
// from the log, in one transaction, so a flushed vote leaves no memory behind
// in Redis.
func (s *Store) Ack(ctx context.Context, shard int, logIDs []string) error {
	k, err := s.shard("ack", shard)
	if err != nil || len(logIDs) == 0 {
		return err
	}
	_, err = s.c.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.XAck(ctx, k.log, s.opts.Group, logIDs...)
		p.XDel(ctx, k.log, logIDs...)
		return nil
	})
	if err != nil {
		return wrap(fmt.Sprintf("ack %d entries on shard %d", len(logIDs), shard), err)
	}
	return nil
}

func (s *Store) shard(op string, shard int) (*shardKeys, error) {
	if shard < 0 || shard >= len(s.keys) {
		return nil, fmt.Errorf("%s: shard %d of %d: %w", op, shard, len(s.keys), voting.ErrInvalid)
	}
	return &s.keys[shard], nil
}

// entries decodes stream messages. Those that do not decode are copied to the
// dead-letter stream and acknowledged there and then: no flusher could ever
// insert them, and left pending they would be claimed forever. If moving
// them fails they stay pending and are tried again at the next claim.
func (s *Store) entries(ctx context.Context, shard int, msgs []goredis.XMessage) []voting.Entry {
	out := make([]voting.Entry, 0, len(msgs))
	var dead []deadEntry
	for _, m := range msgs {
		raw, ok := m.Values[field].(string)
		if !ok {
			dead = append(dead, deadEntry{msg: m, reason: "no " + field + " field"})
			continue
		}
		v, err := decode(raw)
		if err != nil {
			dead = append(dead, deadEntry{msg: m, reason: err.Error()})
			continue
		}
		out = append(out, voting.Entry{Shard: shard, LogID: m.ID, Vote: v})
	}
	if len(dead) > 0 {
		s.bury(ctx, shard, dead)
	}
	return out
}

type deadEntry struct {
	msg    goredis.XMessage
	reason string
}

func (s *Store) bury(ctx context.Context, shard int, dead []deadEntry) {
	k := &s.keys[shard]
	ids := make([]string, len(dead))
	_, err := s.c.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		for i, d := range dead {
			ids[i] = d.msg.ID
			values := make([]any, 0, 4+2*len(d.msg.Values))
			values = append(values, "source_id", d.msg.ID, "error", d.reason)
			for f, v := range d.msg.Values {
				values = append(values, f, v)
			}
			p.XAdd(ctx, &goredis.XAddArgs{Stream: k.dead, Values: values})
		}
		p.XAck(ctx, k.log, s.opts.Group, ids...)
		p.XDel(ctx, k.log, ids...)
		return nil
	})
	if err == nil {
		s.deadLetters.Add(int64(len(dead)))
	}
}
