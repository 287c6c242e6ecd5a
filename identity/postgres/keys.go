package postgres

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/identity"
)

// SigningKey is an Ed25519 key of the signing_keys table, which every node
// shares. A key rotated in is published to verifiers at once but signs only
// from Activates on, so no node signs with a key another node does not trust
// yet; the key it replaces signs until then and verifies for a day after.
type SigningKey struct {
	ID        string
	Private   ed25519.PrivateKey
	Created   time.Time
	Activates time.Time
	// Retired is when the key stopped or stops signing; zero while it signs.
	Retired time.Time
}

// keyLock serialises the creation and rotation of keys by nodes that start
// or rotate together.
const keyLock = 7_201_330_002

// ActiveSigningKey returns the newest key that signs at now, creating one
// when there is none (a fresh deployment, or after every key was revoked).
func (s *Store) ActiveSigningKey(ctx context.Context, now time.Time) (SigningKey, error) {
	var k SigningKey
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, keyLock); err != nil {
			return err
		}
		var err error
		k, err = scanKey(tx.QueryRow(ctx, `SELECT kid, private_key, created_at, coalesce(activates_at, created_at),
				coalesce(retired_at, 'epoch'::timestamptz)
			FROM signing_keys
			WHERE coalesce(activates_at, created_at) <= $1 AND (retired_at IS NULL OR retired_at > $1)
			ORDER BY coalesce(activates_at, created_at) DESC, created_at DESC LIMIT 1`, now))
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		// Nodes starting together each ask for the first key; the one that
		// took the lock first made it, with its own clock's now, which may be
		// a little after this caller's. Such a key signs from its creation.
		k, err = scanKey(tx.QueryRow(ctx, `SELECT kid, private_key, created_at, coalesce(activates_at, created_at),
				coalesce(retired_at, 'epoch'::timestamptz)
			FROM signing_keys
			WHERE retired_at IS NULL AND coalesce(activates_at, created_at) = created_at
			ORDER BY created_at DESC LIMIT 1`))
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		k, err = insertKey(ctx, tx, now, now)
		return err
	})
	if err != nil {
		return SigningKey{}, wrap("active signing key", err)
	}
	return k, nil
}

// RotateSigningKey adds a key that signs from now+delay on and retires the
// keys signing now at the same moment. delay must exceed the interval at
// which nodes reload their verification keys.
func (s *Store) RotateSigningKey(ctx context.Context, now time.Time, delay time.Duration) (SigningKey, error) {
	var k SigningKey
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, keyLock); err != nil {
			return err
		}
		at := now.Add(delay)
		if _, err := tx.Exec(ctx, `UPDATE signing_keys SET retired_at = $1
			WHERE retired_at IS NULL OR retired_at > $1`, at); err != nil {
			return err
		}
		var err error
		k, err = insertKey(ctx, tx, now, at)
		return err
	})
	if err != nil {
		return SigningKey{}, wrap("rotate signing key", err)
	}
	return k, nil
}

// VerificationKeys returns the public keys of every key that signs now or
// will (a key rotated in is trusted before it signs), and of every key retired
// within maxAge, so tokens signed before a rotation stay valid until they
// expire.
func (s *Store) VerificationKeys(ctx context.Context, maxAge time.Duration) (map[string]ed25519.PublicKey, error) {
	rows, _ := s.pool.Query(ctx, `SELECT kid, private_key, created_at, coalesce(activates_at, created_at),
			coalesce(retired_at, 'epoch'::timestamptz)
		FROM signing_keys
		WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)`, maxAge.Seconds())
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SigningKey, error) { return scanKey(r) })
	if err != nil {
		return nil, wrap("verification keys", err)
	}
	out := make(map[string]ed25519.PublicKey, len(keys))
	for _, k := range keys {
		out[k.ID] = k.Private.Public().(ed25519.PublicKey)
	}
	return out, nil
}

// SigningKeys lists every key, newest first, without their private halves.
func (s *Store) SigningKeys(ctx context.Context) ([]SigningKey, error) {
	rows, _ := s.pool.Query(ctx, `SELECT kid, private_key, created_at, coalesce(activates_at, created_at),
			coalesce(retired_at, 'epoch'::timestamptz)
		FROM signing_keys ORDER BY coalesce(activates_at, created_at) DESC, created_at DESC`)
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SigningKey, error) {
		k, err := scanKey(r)
		k.Private = nil
		return k, err
	})
	if err != nil {
		return nil, wrap("list signing keys", err)
	}
	return keys, nil
}

// RevokeSigningKey deletes a key, for a key that leaked: nodes stop
// trusting its tokens at their next reload, instead of a day after its
// retirement. It returns identity.ErrNotFound for an unknown key id.
func (s *Store) RevokeSigningKey(ctx context.Context, kid string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM signing_keys WHERE kid = $1`, kid)
	if err != nil {
		return wrap("revoke signing key "+kid, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("revoke signing key %s: %w", kid, identity.ErrNotFound)
	}
	return nil
}

func scanKey(row pgx.Row) (SigningKey, error) {
	var k SigningKey
	var seed []byte
	if err := row.Scan(&k.ID, &seed, &k.Created, &k.Activates, &k.Retired); err != nil {
		return k, err
	}
	if len(seed) != ed25519.SeedSize {
		return k, fmt.Errorf("signing key %q: bad seed length %d", k.ID, len(seed))
	}
	if k.Retired.Equal(time.Unix(0, 0)) {
		k.Retired = time.Time{}
	}
	k.Private = ed25519.NewKeyFromSeed(seed)
	return k, nil
}

func insertKey(ctx context.Context, tx pgx.Tx, now, activates time.Time) (SigningKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return SigningKey{}, fmt.Errorf("generate signing key: %w", err)
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return SigningKey{}, fmt.Errorf("generate key id: %w", err)
	}
	k := SigningKey{ID: hex.EncodeToString(id), Private: priv, Created: now, Activates: activates}
	_, err = tx.Exec(ctx, `INSERT INTO signing_keys (kid, private_key, created_at, activates_at) VALUES ($1, $2, $3, $4)`,
		k.ID, []byte(priv.Seed()), now, activates)
	return k, err
}
