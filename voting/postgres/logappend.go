package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wsisvote/prizes/transparency"
	"github.com/wsisvote/prizes/voting"
)

// insertLogged writes votes into the ledger and appends each new one to its
// edition's transparency log, in one transaction: the editions' log heads
// are locked, the batch's rows are numbered from them in batch order, copied
// in with their leaf indexes, and the heads moved on. The head's row lock
// orders the batches of concurrent flushers, so leaf order is commit order
// and each vote gets one leaf; a replayed batch conflicts and goes through
// insertLoggedStaged, where only the rows that are new get leaves. Rows are
// encoded and hashed before the lock is taken.
func (s *Store) insertLogged(ctx context.Context, votes []voting.Vote) (int, error) {
	buf := s.copyBuffer()
	defer s.releaseCopyBuffer(buf)
	leafAt := make([]int, len(votes))
	var err error
	if buf.b, err = appendCopy(buf.b[:0], votes, leafAt); err != nil {
		return 0, fmt.Errorf("ledger insert %d votes: %w", len(votes), err)
	}
	leaves := make([][]byte, len(votes))
	for i := range votes {
		v := &votes[i]
		leaves[i] = transparency.LeafHash(transparency.LeafData(transparency.Receipt(v.ID), v.ProjectID, v.Category))
	}
	var inserted int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		heads, err := lockHeads(ctx, tx, votes)
		if err != nil {
			return err
		}
		all := make([]int, len(votes))
		for i := range all {
			all[i] = i
		}
		if err := heads.number(votes, leaves, all, func(i int, index uint64) { setLeaf(buf.b, leafAt[i], index) }); err != nil {
			return err
		}
		tag, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(buf.b), copyInto("votes", true))
		if err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		inserted = tag.RowsAffected()
		return heads.save(ctx, tx)
	})
	if err == nil {
		return int(inserted), nil
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != uniqueViolation {
		return 0, fmt.Errorf("ledger insert %d votes: %w", len(votes), translateRow(err))
	}
	n, err := s.insertLoggedStaged(ctx, votes, buf.b, leaves)
	if err != nil {
		return 0, fmt.Errorf("ledger insert %d votes: %w", len(votes), translateRow(err))
	}
	return n, nil
}

// insertLoggedStaged is insertLogged for a batch some of whose rows are in
// the ledger already: the batch is copied into a staging table, the rows
// whose id and slot are free are inserted, and those alone are numbered, in
// batch order, under the heads' lock.
func (s *Store) insertLoggedStaged(ctx context.Context, votes []voting.Vote, encoded []byte, leaves [][]byte) (int, error) {
	var inserted int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		heads, err := lockHeads(ctx, tx, votes)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS votes_staging
			(LIKE votes INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`); err != nil {
			return fmt.Errorf("create staging: %w", err)
		}
		if _, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(encoded), copyInto("votes_staging", true)); err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		rows, _ := tx.Query(ctx, `INSERT INTO votes (id, edition_id, voter_id, project_id, category_code, slot,
				status, reasons, cast_at, client_net, user_agent, device_hint, account_age_s)
			SELECT id, edition_id, voter_id, project_id, category_code, slot,
				status, reasons, cast_at, client_net, user_agent, device_hint, account_age_s
			FROM votes_staging ON CONFLICT DO NOTHING RETURNING id::text`)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		inserted = len(ids)
		fresh := make(map[string]bool, len(ids))
		for _, id := range ids {
			fresh[id] = true
		}
		var picked []int
		for i := range votes {
			if id := canonicalID(votes[i].ID); fresh[id] {
				picked = append(picked, i)
				delete(fresh, id)
			}
		}
		setIDs := make([]uuid.UUID, 0, len(picked))
		setIdx := make([]int64, 0, len(picked))
		setEditions := make([]string, 0, len(picked))
		if err := heads.number(votes, leaves, picked, func(i int, index uint64) {
			setIDs = append(setIDs, uuid.MustParse(votes[i].ID))
			setIdx = append(setIdx, int64(index))
			setEditions = append(setEditions, votes[i].Edition)
		}); err != nil {
			return err
		}
		// The whole primary key, edition with the id, finds each row in its
		// own edition's partition rather than looking for it in all.
		if _, err := tx.Exec(ctx, `UPDATE votes SET leaf_index = u.i
			FROM unnest($1::uuid[], $2::bigint[], $3::text[]) AS u(id, i, edition_id)
			WHERE votes.id = u.id AND votes.edition_id = u.edition_id`,
			setIDs, setIdx, setEditions); err != nil {
			return fmt.Errorf("number leaves: %w", err)
		}
		return heads.save(ctx, tx)
	})
	return inserted, err
}

// canonicalID is a vote id as PostgreSQL prints a uuid.
func canonicalID(id string) string {
	u, err := uuid.Parse(id)
	if err != nil {
		return id
	}
	return u.String()
}

// logHeads are the locked log heads of the editions of one batch.
type logHeads map[string]*transparency.Head

// lockHeads locks the log heads of the batch's editions, in edition order
// so that two flushers never wait on each other in a cycle, creating those
// that do not exist yet.
func lockHeads(ctx context.Context, tx pgx.Tx, votes []voting.Vote) (logHeads, error) {
	var editions []string
	for i := range votes {
		if !slices.Contains(editions, votes[i].Edition) {
			editions = append(editions, votes[i].Edition)
		}
	}
	slices.Sort(editions)
	read := func() (logHeads, error) {
		rows, _ := tx.Query(ctx, `SELECT edition_id, size, hashes FROM log_heads
			WHERE edition_id = ANY($1) ORDER BY edition_id FOR UPDATE`, editions)
		heads := logHeads{}
		var e string
		var size int64
		var hashes [][]byte
		_, err := pgx.ForEachRow(rows, []any{&e, &size, &hashes}, func() error {
			heads[e] = &transparency.Head{Size: uint64(size), Hashes: hashes}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("lock log heads: %w", err)
		}
		return heads, nil
	}
	heads, err := read()
	if err != nil || len(heads) == len(editions) {
		return heads, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO log_heads (edition_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, editions); err != nil {
		return nil, fmt.Errorf("create log heads: %w", err)
	}
	return read()
}

// number gives the votes picked (indexes into votes, in order) the next leaf
// indexes of their editions' logs, reporting each with set, and moves the
// heads on.
func (h logHeads) number(votes []voting.Vote, leaves [][]byte, picked []int, set func(i int, index uint64)) error {
	added := map[string][][]byte{}
	for _, i := range picked {
		e := votes[i].Edition
		set(i, h[e].Size+uint64(len(added[e])))
		added[e] = append(added[e], leaves[i])
	}
	for e, l := range added {
		next, err := h[e].Append(l)
		if err != nil {
			return err
		}
		*h[e] = next
	}
	return nil
}

// save writes the heads back.
func (h logHeads) save(ctx context.Context, tx pgx.Tx) error {
	for e, head := range h {
		if _, err := tx.Exec(ctx, `UPDATE log_heads SET size = $2, hashes = $3 WHERE edition_id = $1`,
			e, int64(head.Size), head.Hashes); err != nil {
			return fmt.Errorf("save log head of %s: %w", e, err)
		}
	}
	return nil
}
