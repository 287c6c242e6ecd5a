package redis

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/voting"
)

// voteField reports whether a log entry's field holds an encoded vote. The
// append script writes the votes of one call as one entry, one field per
// vote: v1, v2 and so on.
func voteField(name string) bool {
	if len(name) < 2 || name[0] != 'v' {
		return false
	}
	for i := 1; i < len(name); i++ {
		if name[i] < '0' || name[i] > '9' {
			return false
		}
	}
	return true
}

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
	if s.rawReadFits(block) {
		msgs, ok, err := s.readRaw(ctx, k, max, block)
		if err != nil {
			return nil, wrap(fmt.Sprintf("read shard %d", shard), err)
		}
		if ok {
			return s.entries(ctx, shard, msgs), nil
		}
		// Redis answered with an error (a moved slot, a missing group, a
		// server loading): the typed command below knows how to follow or
		// mend each, so the read is made again through it.
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
	var msgs []message
	for _, st := range streams {
		msgs = appendMessages(msgs, st.Messages)
	}
	return s.entries(ctx, shard, msgs), nil
}

// readRaw reads like Read, but takes Redis's reply as it came over the wire
// and parses it here, where go-redis would build a map and box every value:
// a reply is one string, and each vote's strings are slices of it. ok is
// false when Redis answered with an error, which the caller hands to the
// typed command.
func (s *Store) readRaw(ctx context.Context, k *shardKeys, max int, block time.Duration) (msgs []message, ok bool, err error) {
	args := make([]any, 0, 11)
	args = append(args, "XREADGROUP", "GROUP", s.opts.Group, s.opts.Consumer, "COUNT", max)
	if block >= 0 {
		args = append(args, "BLOCK", int64(block/time.Millisecond))
	}
	args = append(args, "STREAMS", k.log, ">")
	// The reply is written into a buffer sized for the entries asked for,
	// which spares go-redis growing its own one append at a time.
	var buf bytes.Buffer
	buf.Grow(max*rawEntrySize + bytes.MinRead)
	cmd := goredis.NewRawWriteToCmd(ctx, &buf, args...)
	_ = s.c.Process(ctx, cmd)
	if err := cmd.Err(); err != nil {
		return nil, false, err
	}
	raw := buf.Bytes()
	if len(raw) > 0 && (raw[0] == '-' || raw[0] == '!') {
		return nil, false, nil
	}
	msgs, err = parseReadReply(string(raw))
	if err != nil {
		return nil, false, err
	}
	return msgs, true, nil
}

// rawEntrySize is about what one entry takes in a reply: its id, the field
// name and an encoded vote, with their RESP headers.
const rawEntrySize = 256

// rawReadFits reports whether a read blocking for block may go as a raw
// command. A raw command waits for its reply only as long as the client's
// read timeout, whereas the typed one waits for the block and ten seconds
// more; a block of up to half the read timeout leaves a slow reply room.
func (s *Store) rawReadFits(block time.Duration) bool {
	var timeout time.Duration
	switch c := s.c.(type) {
	case *goredis.Client:
		timeout = c.Options().ReadTimeout
	case *goredis.ClusterClient:
		timeout = c.Options().ReadTimeout
	default:
		return false
	}
	// go-redis reads a timeout of zero or less, once the client is built,
	// as none at all.
	return timeout <= 0 || 2*block <= timeout
}

// Unfinished returns the votes of up to max entries of one shard that were
// delivered to this consumer and not acknowledged, after the log id after
// ("" for the first): the consumer group's history of this consumer, read
// with XREADGROUP from an id rather than ">". An entry deleted from the
// stream while pending comes back without fields; it has nothing left to
// flush and is acknowledged here, as Claim does.
func (s *Store) Unfinished(ctx context.Context, shard, max int, after string) ([]voting.Entry, error) {
	k, err := s.shard("read unfinished", shard)
	if err != nil || max <= 0 {
		return nil, err
	}
	if after == "" {
		after = "0"
	}
	streams, err := s.c.XReadGroup(ctx, &goredis.XReadGroupArgs{
		Group:    s.opts.Group,
		Consumer: s.opts.Consumer,
		Streams:  []string{k.log, after},
		Count:    int64(max),
		Block:    -1,
	}).Result()
	switch {
	case err == goredis.Nil, err != nil && goredis.HasErrorPrefix(err, "NOGROUP"):
		return nil, nil
	case err != nil:
		return nil, wrap(fmt.Sprintf("read unfinished on shard %d", shard), err)
	}
	var live []goredis.XMessage
	var deleted []string
	for _, st := range streams {
		for _, m := range st.Messages {
			if len(m.Values) == 0 {
				deleted = append(deleted, m.ID)
			} else {
				live = append(live, m)
			}
		}
	}
	if len(deleted) > 0 {
		if err := s.c.XAck(ctx, k.log, s.opts.Group, deleted...).Err(); err != nil {
			return nil, wrap(fmt.Sprintf("read unfinished on shard %d: ack deleted", shard), err)
		}
	}
	if len(live) == 0 && len(deleted) > 0 {
		// The page held only deleted entries: the next one starts after
		// them, which the caller knows only from an entry, so read on here.
		return s.Unfinished(ctx, shard, max, deleted[len(deleted)-1])
	}
	return s.entries(ctx, shard, appendMessages(nil, live)), nil
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
		out = append(out, s.entries(ctx, shard, appendMessages(nil, msgs))...)
		if next == "0-0" || next == "" {
			break
		}
		start = next
	}
	return out, nil
}

// Ack acknowledges entries of one shard that are safely in the ledger and
// deletes them from the log; see Acknowledge.
func (s *Store) Ack(ctx context.Context, shard int, logIDs []string) error {
	return s.Acknowledge(ctx, map[int][]string{shard: logIDs})
}

// Acknowledge acknowledges entries that are safely in the ledger, by shard,
// and deletes them from the log. On each shard the XACK and the XDEL go in
// one transaction, so a flushed vote leaves no memory behind in Redis and an
// entry is never deleted while still pending. On a single Redis every shard
// goes in one transaction, one round trip for the whole batch; a
// transaction cannot span a cluster's hash slots, so there each shard has
// one of its own, all sent at once.
func (s *Store) Acknowledge(ctx context.Context, logIDs map[int][]string) error {
	n := 0
	for shard, ids := range logIDs {
		if _, err := s.shard("ack", shard); err != nil {
			return err
		}
		n += len(ids)
	}
	if n == 0 {
		return nil
	}
	if _, ok := s.c.(*goredis.ClusterClient); !ok {
		_, err := s.c.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			for shard, ids := range logIDs {
				s.queueAck(ctx, p, shard, ids)
			}
			return nil
		})
		if err != nil {
			return wrap(fmt.Sprintf("ack %d entries on %d shards", n, len(logIDs)), err)
		}
		return nil
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for shard, ids := range logIDs {
		if len(ids) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.c.TxPipelined(ctx, func(p goredis.Pipeliner) error {
				s.queueAck(ctx, p, shard, ids)
				return nil
			})
			if err != nil {
				mu.Lock()
				if first == nil {
					first = wrap(fmt.Sprintf("ack %d entries on shard %d", len(ids), shard), err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// Reject copies votes the ledger refused to their shards' dead-letter
// streams, each with the reason and the log entry it came from; see
// voting.Stream. The flusher acknowledges those entries with the rest of
// their batch; should that batch be delivered again, its refused votes are
// set aside again, so a vote may stand twice in the dead-letter stream, with
// the same source entry.
func (s *Store) Reject(ctx context.Context, entries []voting.Entry, reason string) error {
	if len(entries) == 0 {
		return nil
	}
	pipe := s.c.Pipeline()
	for _, e := range entries {
		k, err := s.shard("reject", e.Shard)
		if err != nil {
			return err
		}
		values := []any{"source_id", e.LogID, "error", reason, voteFieldName(0), Encode(nil, &e.Vote)}
		pipe.XAdd(ctx, &goredis.XAddArgs{Stream: k.dead, Values: values})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return wrap(fmt.Sprintf("set aside %d votes", len(entries)), err)
	}
	return nil
}

// queueAck adds the XACK and XDEL of one shard's entries to p.
func (s *Store) queueAck(ctx context.Context, p goredis.Pipeliner, shard int, ids []string) {
	if len(ids) == 0 {
		return
	}
	k := &s.keys[shard]
	p.XAck(ctx, k.log, s.opts.Group, ids...)
	p.XDel(ctx, k.log, ids...)
}

func (s *Store) shard(op string, shard int) (*shardKeys, error) {
	if shard < 0 || shard >= len(s.keys) {
		return nil, fmt.Errorf("%s: shard %d of %d: %w", op, shard, len(s.keys), kind.ErrInvalid)
	}
	return &s.keys[shard], nil
}

// message is one stream entry as read: its id, the encoded votes of its
// vote fields and the time the append step stamped on it (field t, in
// microseconds; 0 when absent). fields holds every field and value in turn,
// and is only kept when the entry holds something else, for the dead-letter
// stream.
type message struct {
	id     string
	votes  []string
	at     int64
	fields []string
}

// stampField is the log entry field that holds the append step's clock.
const stampField = "t"

// field takes one field of an entry into m, and reports whether it was
// one the append script writes.
func (m *message) field(name, value string) bool {
	switch {
	case voteField(name):
		m.votes = append(m.votes, value)
	case name == stampField:
		at, err := strconv.ParseInt(value, 10, 64)
		if err != nil || at <= 0 {
			return false
		}
		m.at = at
	default:
		return false
	}
	return true
}

// appendMessages appends go-redis's stream messages to msgs.
func appendMessages(msgs []message, xs []goredis.XMessage) []message {
	for _, x := range xs {
		m := message{id: x.ID}
		other := false
		for f, v := range x.Values {
			if s, ok := v.(string); !ok || !m.field(f, s) {
				other = true
			}
		}
		if other || len(m.votes) == 0 {
			for f, v := range x.Values {
				m.fields = append(m.fields, f, fmt.Sprint(v))
			}
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// entries decodes stream messages into one Entry per vote; the votes of one
// message share its log id, and are acknowledged together once all of them
// are in the ledger. A vote that does not decode is copied to the
// dead-letter stream: no flusher could ever insert it. A message with no vote
// left is acknowledged there and then, since left pending it would be
// claimed forever; one that still holds good votes waits for them, so should
// it be delivered again its bad votes are copied again. If copying fails the
// message stays pending and is tried again at the next claim.
func (s *Store) entries(ctx context.Context, shard int, msgs []message) []voting.Entry {
	n := 0
	for i := range msgs {
		n += len(msgs[i].votes)
	}
	out := make([]voting.Entry, 0, n)
	var dead []deadLetter
	for i := range msgs {
		m := &msgs[i]
		if len(m.votes) == 0 {
			dead = append(dead, deadLetter{id: m.id, reason: "no vote field", values: m.values(), ack: true})
			continue
		}
		good := 0
		for j, enc := range m.votes {
			v, err := decode(enc)
			if err != nil {
				dead = append(dead, deadLetter{id: m.id, reason: err.Error(), values: []any{voteFieldName(j), enc}})
				continue
			}
			if m.at > 0 {
				v.CastAt = time.UnixMicro(m.at).UTC()
			}
			out = append(out, voting.Entry{Shard: shard, LogID: m.id, Vote: v})
			good++
		}
		if good == 0 {
			dead[len(dead)-1].ack = true
		}
	}
	if len(dead) > 0 {
		s.bury(ctx, shard, dead)
	}
	return out
}

// values returns the message's fields and values, as XADD takes them.
func (m *message) values() []any {
	if m.fields == nil {
		out := make([]any, 0, 2*len(m.votes)+2)
		for j, v := range m.votes {
			out = append(out, voteFieldName(j), v)
		}
		if m.at > 0 {
			out = append(out, stampField, strconv.FormatInt(m.at, 10))
		}
		return out
	}
	out := make([]any, len(m.fields))
	for i, f := range m.fields {
		out[i] = f
	}
	return out
}

// voteFieldName is the name the append script gives the j-th vote (from 0)
// of an entry.
func voteFieldName(j int) string {
	return "v" + strconv.Itoa(j+1)
}

// deadLetter is what goes to the dead-letter stream: the fields that did not
// decode, the log entry they came from and why, and whether that entry is
// to be acknowledged with it.
type deadLetter struct {
	id     string
	reason string
	values []any
	ack    bool
}

// bury copies dead letters to the shard's dead-letter stream and, in the
// same transaction, acknowledges and deletes the log entries they leave
// empty.
func (s *Store) bury(ctx context.Context, shard int, dead []deadLetter) {
	k := &s.keys[shard]
	var ids []string
	// A failed transaction leaves the entries pending: they come again at
	// the next claim.
	_, _ = s.c.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		for _, d := range dead {
			values := append([]any{"source_id", d.id, "error", d.reason}, d.values...)
			p.XAdd(ctx, &goredis.XAddArgs{Stream: k.dead, Values: values})
			if d.ack {
				ids = append(ids, d.id)
			}
		}
		if len(ids) > 0 {
			p.XAck(ctx, k.log, s.opts.Group, ids...)
			p.XDel(ctx, k.log, ids...)
		}
		return nil
	})
}
