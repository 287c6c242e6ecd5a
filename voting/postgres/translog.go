package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/transparency"
)

var _ transparency.Store = (*Store)(nil)

// Head returns the log head of edition, empty when it has none.
func (s *Store) Head(ctx context.Context, edition string) (transparency.Head, error) {
	var size int64
	var hashes [][]byte
	err := s.pool.QueryRow(ctx, `SELECT size, hashes FROM log_heads WHERE edition_id = $1`, edition).Scan(&size, &hashes)
	if errors.Is(err, pgx.ErrNoRows) {
		return transparency.Head{}, nil
	}
	if err != nil {
		return transparency.Head{}, fmt.Errorf("log head of %q: %w", edition, database.Translate(err))
	}
	return transparency.Head{Size: uint64(size), Hashes: hashes}, nil
}

// EachLeaf calls fn with the leaves of edition's log in [from, to), in order.
func (s *Store) EachLeaf(ctx context.Context, edition string, from, to uint64, fn func(transparency.Leaf) error) error {
	rows, err := s.pool.Query(ctx, `SELECT leaf_index, id, project_id, category_code FROM votes
		WHERE edition_id = $1 AND leaf_index >= $2 AND leaf_index < $3 ORDER BY leaf_index`,
		pgx.QueryResultFormats{pgx.BinaryFormatCode}, edition, int64(from), int64(to))
	if err != nil {
		return fmt.Errorf("read log of %q: %w", edition, database.Translate(err))
	}
	defer rows.Close()
	names := newNames()
	for rows.Next() {
		raw := rows.RawValues()
		if len(raw) != 4 || len(raw[0]) != 8 || len(raw[1]) != 16 || len(raw[2]) != 16 {
			return fmt.Errorf("read log of %q: unexpected row layout", edition)
		}
		p, c := names.of(raw[2], raw[3])
		l := transparency.Leaf{Index: binary.BigEndian.Uint64(raw[0]), VoteID: uuid.UUID(raw[1]).String(), ProjectID: p, Category: c}
		if err := fn(l); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read log of %q: %w", edition, database.Translate(err))
	}
	return nil
}

// Leaf returns the leaf of a vote.
func (s *Store) Leaf(ctx context.Context, edition, voteID string) (transparency.Leaf, error) {
	id, err := uuid.Parse(voteID)
	if err != nil {
		return transparency.Leaf{}, fmt.Errorf("vote %q: %w", voteID, transparency.ErrUnknownVote)
	}
	var l transparency.Leaf
	var index *int64
	err = s.pool.QueryRow(ctx, `SELECT leaf_index, id::text, project_id::text, category_code FROM votes
		WHERE id = $1 AND edition_id = $2`, id, edition).Scan(&index, &l.VoteID, &l.ProjectID, &l.Category)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && index == nil) {
		return transparency.Leaf{}, fmt.Errorf("vote %q: %w", voteID, transparency.ErrUnknownVote)
	}
	if err != nil {
		return transparency.Leaf{}, fmt.Errorf("leaf of vote %q: %w", voteID, database.Translate(err))
	}
	l.Index = uint64(*index)
	return l, nil
}

// AddCheckpoint keeps a signed checkpoint, once per size.
func (s *Store) AddCheckpoint(ctx context.Context, edition string, cp transparency.Checkpoint) (transparency.Checkpoint, error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO log_checkpoints (edition_id, size, root, note, signed_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, edition, int64(cp.Size), cp.Root, cp.Note, cp.SignedAt); err != nil {
		return transparency.Checkpoint{}, fmt.Errorf("keep checkpoint %d of %q: %w", cp.Size, edition, database.Translate(err))
	}
	return s.CheckpointAt(ctx, edition, cp.Size)
}

// LatestCheckpoint returns the largest checkpoint of edition's log.
func (s *Store) LatestCheckpoint(ctx context.Context, edition string) (transparency.Checkpoint, error) {
	return s.checkpoint(ctx, edition, `SELECT size, root, note, signed_at FROM log_checkpoints
		WHERE edition_id = $1 ORDER BY size DESC LIMIT 1`, edition)
}

// CheckpointAt returns the checkpoint of that size.
func (s *Store) CheckpointAt(ctx context.Context, edition string, size uint64) (transparency.Checkpoint, error) {
	return s.checkpoint(ctx, edition, `SELECT size, root, note, signed_at FROM log_checkpoints
		WHERE edition_id = $1 AND size = $2`, edition, int64(size))
}

func (s *Store) checkpoint(ctx context.Context, edition, query string, args ...any) (transparency.Checkpoint, error) {
	var cp transparency.Checkpoint
	var size int64
	err := s.pool.QueryRow(ctx, query, args...).Scan(&size, &cp.Root, &cp.Note, &cp.SignedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return cp, fmt.Errorf("checkpoint of %q: %w", edition, transparency.ErrNoCheckpoint)
	}
	if err != nil {
		return cp, fmt.Errorf("checkpoint of %q: %w", edition, database.Translate(err))
	}
	cp.Size = uint64(size)
	cp.SignedAt = cp.SignedAt.UTC()
	return cp, nil
}

// Checkpoints returns every checkpoint of edition's log, smallest first.
func (s *Store) Checkpoints(ctx context.Context, edition string) ([]transparency.Checkpoint, error) {
	rows, _ := s.pool.Query(ctx, `SELECT size, root, note, signed_at FROM log_checkpoints
		WHERE edition_id = $1 ORDER BY size`, edition)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (transparency.Checkpoint, error) {
		var cp transparency.Checkpoint
		var size int64
		err := r.Scan(&size, &cp.Root, &cp.Note, &cp.SignedAt)
		cp.Size = uint64(size)
		return cp, err
	})
	if err != nil {
		return nil, fmt.Errorf("checkpoints of %q: %w", edition, database.Translate(err))
	}
	return out, nil
}

// Unsigned returns the editions whose log head is larger than their latest
// checkpoint.
func (s *Store) Unsigned(ctx context.Context) ([]string, error) {
	rows, _ := s.pool.Query(ctx, `SELECT h.edition_id FROM log_heads h
		WHERE h.size > coalesce((SELECT max(size) FROM log_checkpoints c WHERE c.edition_id = h.edition_id), -1)
		ORDER BY 1`)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("logs to sign: %w", database.Translate(err))
	}
	return out, nil
}

// FinalVotes calls fn with every vote of edition's log in leaf order, with
// what decides its final status: whether its status counts, whether it was
// cast inside the published voting window and whether its project is on
// the ballot, and its reasons. It returns how many votes of the edition
// have no leaf (written with the log off) before reading any.
//
// The rows come in PostgreSQL's binary format and are taken apart here, as
// in readVotes, and are read in leaf order from the leaf index, with no sort.
func (s *Store) FinalVotes(ctx context.Context, edition string, fn func(transparency.FinalVote) error) (unlogged int64, err error) {
	var stopped error // fn's error, returned as it is
	err = s.inWindowSnapshot(ctx, edition, func(tx pgx.Tx, b bounds) error {
		err := tx.QueryRow(ctx, `SELECT count(*) FROM votes WHERE edition_id = $1 AND leaf_index IS NULL`, edition).Scan(&unlogged)
		if err != nil || unlogged > 0 {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT v.leaf_index, v.id, v.project_id, v.category_code,
				v.status IN ('counted', 'flagged'), `+inWindow+`, v.project_id IN (SELECT id FROM (`+ballot+`) b),
				array_to_string(v.reasons, ';')
			FROM votes v WHERE v.edition_id = $1 AND v.leaf_index IS NOT NULL ORDER BY v.leaf_index`,
			pgx.QueryExecModeDescribeExec, pgx.QueryResultFormats{pgx.BinaryFormatCode}, edition, b.opens, b.closes)
		stopped, err = eachFinalVote(rows, fn)
		return err
	})
	switch {
	case stopped != nil:
		return 0, stopped
	case err != nil:
		return 0, fmt.Errorf("final votes of %q: %w", edition, database.Translate(err))
	}
	return unlogged, nil
}

// eachFinalVote takes apart the binary rows of FinalVotes' query and calls fn
// with each, until fn's first error (stopped) or the rows' (err).
func eachFinalVote(rows pgx.Rows, fn func(transparency.FinalVote) error) (stopped, err error) {
	defer rows.Close()
	names := newNames()
	for rows.Next() {
		raw := rows.RawValues()
		if len(raw) != 8 || len(raw[0]) != 8 || len(raw[1]) != 16 || len(raw[2]) != 16 ||
			len(raw[4]) != 1 || len(raw[5]) != 1 || len(raw[6]) != 1 {
			return nil, errors.New("unexpected row layout")
		}
		p, c := names.of(raw[2], raw[3])
		v := transparency.FinalVote{Index: binary.BigEndian.Uint64(raw[0]), VoteID: uuid.UUID(raw[1]).String(),
			ProjectID: p, Category: c, Counts: raw[4][0] == 1, InWindow: raw[5][0] == 1, OnBallot: raw[6][0] == 1}
		if len(raw[7]) > 0 {
			v.Reasons = strings.Split(string(raw[7]), ";")
		}
		if err := fn(v); err != nil {
			return err, nil
		}
	}
	return nil, rows.Err()
}

// names interns the project ids and category codes of a ledger read, so
// that a million rows share a few hundred strings.
type names struct {
	projects   map[[16]byte]string
	categories map[string]string
}

func newNames() names {
	return names{projects: map[[16]byte]string{}, categories: map[string]string{}}
}

// of returns the project id of the 16 raw UUID bytes and the category code.
func (n names) of(project, category []byte) (string, string) {
	p, ok := n.projects[[16]byte(project)]
	if !ok {
		p = uuid.UUID(project).String()
		n.projects[[16]byte(project)] = p
	}
	c, ok := n.categories[string(category)]
	if !ok {
		c = string(category)
		n.categories[c] = c
	}
	return p, c
}
