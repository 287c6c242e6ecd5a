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
)

// Voter is a voter account as operator tooling sees it.
type Voter struct {
	ID        int64
	CreatedAt time.Time
}

// CreateVoters creates n verified voter accounts in one statement and returns
// them in id order. It is operator tooling for rehearsals and load tests.
func (s *Store) CreateVoters(ctx context.Context, n int) ([]Voter, error) {
	if n <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `INSERT INTO accounts (display_name, created_at, verified_at)
		SELECT '', now(), now() FROM generate_series(1, $1)
		RETURNING id, created_at`, n)
	if err != nil {
		return nil, fmt.Errorf("create %d voters: %w", n, translate(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Voter, error) {
		var v Voter
		err := r.Scan(&v.ID, &v.CreatedAt)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("create %d voters: %w", n, translate(err))
	}
	return out, nil
}

// SigningKey is an Ed25519 key that signs access tokens.
type SigningKey struct {
	ID      string
	Private ed25519.PrivateKey
}

// keyLock serialises the creation of the first signing key by nodes that
// start together.
const keyLock = 7_201_330_002

// ActiveSigningKey returns the newest key that signs now, creating one
// when there is none, so every node of a deployment signs and verifies with
// the same keys without any key file to distribute.
func (s *Store) ActiveSigningKey(ctx context.Context) (SigningKey, error) {
	var k SigningKey
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, keyLock); err != nil {
			return err
		}
		var seed []byte
		// A key rotated in signs only from activates_at on, once every node
		// trusts it, and the key it replaces signs until then.
		err := tx.QueryRow(ctx, `SELECT kid, private_key FROM signing_keys
			WHERE coalesce(activates_at, created_at) <= clock_timestamp() AND (retired_at IS NULL OR retired_at > clock_timestamp())
			ORDER BY coalesce(activates_at, created_at) DESC, created_at DESC LIMIT 1`).Scan(&k.ID, &seed)
		if err == nil {
			if len(seed) != ed25519.SeedSize {
				return fmt.Errorf("signing key %q: bad seed length %d", k.ID, len(seed))
			}
			k.Private = ed25519.NewKeyFromSeed(seed)
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		k, err = newSigningKey()
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO signing_keys (kid, private_key) VALUES ($1, $2)`, k.ID, []byte(k.Private.Seed()))
		return err
	})
	if err != nil {
		return SigningKey{}, fmt.Errorf("active signing key: %w", translate(err))
	}
	return k, nil
}

// VerificationKeys returns the public keys of every key that signed tokens in
// the last maxAge, retired or not, so tokens signed before a rotation stay
// valid until they expire.
func (s *Store) VerificationKeys(ctx context.Context, maxAge time.Duration) (map[string]ed25519.PublicKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT kid, private_key FROM signing_keys
		WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)`, maxAge.Seconds())
	if err != nil {
		return nil, fmt.Errorf("verification keys: %w", translate(err))
	}
	out := make(map[string]ed25519.PublicKey)
	var kid string
	var seed []byte
	if _, err := pgx.ForEachRow(rows, []any{&kid, &seed}, func() error {
		if len(seed) != ed25519.SeedSize {
			return fmt.Errorf("signing key %q: bad seed length %d", kid, len(seed))
		}
		out[kid] = ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("verification keys: %w", translate(err))
	}
	return out, nil
}

func newSigningKey() (SigningKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return SigningKey{}, fmt.Errorf("generate signing key: %w", err)
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return SigningKey{}, fmt.Errorf("generate key id: %w", err)
	}
	return SigningKey{ID: hex.EncodeToString(id), Private: priv}, nil
}
