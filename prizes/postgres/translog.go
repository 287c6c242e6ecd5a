package postgres

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"io"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/transparency"
)

// finalCheckpoint gives the signed checkpoint of an edition's log at its
// final size and root, and the verifier key of the log.
type finalCheckpoint func(ctx context.Context, size uint64, root []byte) (note []byte, logKey string, err error)

// logSummary computes the transparency part of an edition's results: the
// roots of the vote log and of the status tree recomputed from the ledger in
// leaf order, with the final checkpoint. It returns nil when some of the
// edition's votes have no leaf (it ran with the log off).
func (s *Store) logSummary(ctx context.Context, ed prizes.Edition, final finalCheckpoint) (*transparency.Summary, error) {
	b := transparency.NewBuilder(nil)
	unlogged, err := s.ledger.FinalVotes(ctx, ed.ID, b.AddFinal)
	if err != nil || unlogged > 0 {
		return nil, err
	}
	root, statusRoot := b.Roots()
	note, key, err := final(ctx, b.Size(), root)
	if err != nil {
		return nil, err
	}
	return &transparency.Summary{Origin: transparency.Origin(ed.ID), LogKey: key, Checkpoint: string(note),
		Size: b.Size(), Root: base64.StdEncoding.EncodeToString(root), StatusRoot: base64.StdEncoding.EncodeToString(statusRoot)}, nil
}

// signFinal is publication's finalCheckpoint: the ledger's root must be the
// log head's (the flusher's), and the checkpoint of that size is the one
// kept, signed now with the results key if there is none yet.
func (s *Store) signFinal(edition, kid string, key ed25519.PrivateKey) finalCheckpoint {
	return func(ctx context.Context, size uint64, root []byte) ([]byte, string, error) {
		head, err := s.ledger.Head(ctx, edition)
		if err != nil {
			return nil, "", err
		}
		headRoot, err := head.Root()
		if err != nil {
			return nil, "", err
		}
		if head.Size != size || !bytes.Equal(headRoot, root) {
			return nil, "", fmt.Errorf("the ledger's %d votes in leaf order hash to %x, the log head of size %d to %x: %w",
				size, root, head.Size, headRoot, transparency.ErrLogMismatch)
		}
		signer, err := transparency.NewSigner(kid, key)
		if err != nil {
			return nil, "", err
		}
		log := &transparency.Log{Store: s.ledger, Signer: func(context.Context) (*transparency.Signer, error) { return signer, nil }, Now: s.now}
		cp, err := log.Sign(ctx, edition, head)
		if err != nil {
			return nil, "", err
		}
		if !bytes.Equal(cp.Root, root) {
			return nil, "", fmt.Errorf("checkpoint %d of %s, signed before, has another root: %w", size, edition, transparency.ErrLogMismatch)
		}
		return cp.Note, signer.VerifierKey, nil
	}
}

// storedFinal is a recount's finalCheckpoint: the latest checkpoint kept,
// which after publication is the final one, under the published results
// key. A ledger changed since then shows as a size or root that differs
// from the checkpoint's.
func (s *Store) storedFinal(edition, kid string, pub ed25519.PublicKey) finalCheckpoint {
	return func(ctx context.Context, _ uint64, _ []byte) ([]byte, string, error) {
		cp, err := s.ledger.LatestCheckpoint(ctx, edition)
		if err != nil {
			return nil, "", err
		}
		key, err := transparency.VerifierKey(kid, pub)
		return cp.Note, key, err
	}
}

// WriteLedger writes a published edition's anonymised ledger file (see
// transparency.Line) to w. It returns prizes.ErrNotPublished before
// publication and transparency.ErrNoCheckpoint when the edition has no log.
func (s *Store) WriteLedger(ctx context.Context, edition string, w io.Writer) error {
	signed, err := s.Results(ctx, edition)
	if err != nil {
		return err
	}
	res, err := signed.Results()
	if err != nil {
		return err
	}
	if res.Transparency == nil {
		return fmt.Errorf("ledger file of %s: published without a log: %w", edition, transparency.ErrNoCheckpoint)
	}
	b := transparency.NewBuilder(w)
	unlogged, err := s.ledger.FinalVotes(ctx, edition, b.AddFinal)
	if err == nil && unlogged > 0 {
		err = fmt.Errorf("%d votes have no leaf: %w", unlogged, transparency.ErrLogMismatch)
	}
	if err == nil {
		err = b.Flush()
	}
	if err != nil {
		return fmt.Errorf("ledger file of %s: %w", edition, err)
	}
	return nil
}

// ResultKey returns the results signing key, which also signs the vote
// logs' checkpoints, creating it when there is none.
func (s *Store) ResultKey(ctx context.Context) (kid string, key ed25519.PrivateKey, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("results key: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if kid, key, err = resultKey(ctx, tx); err != nil {
		return "", nil, fmt.Errorf("results key: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return "", nil, fmt.Errorf("results key: %w", err)
	}
	return kid, key, nil
}
