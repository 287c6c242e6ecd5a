package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/wsisvote/prizes/internal/kind"
)

// Secret is one random key of a purpose, shared by every node through the
// Secrets store.
type Secret struct {
	ID        string
	Key       []byte
	CreatedAt time.Time
}

// Purposes of secrets, with how often each rotates and how long a replaced
// one is kept.
const (
	// PurposeStable keys the hashes of email addresses and sign-in codes.
	// It never rotates: an erased account's address hash must keep
	// matching, or the person could sign up again and vote twice.
	PurposeStable = "stable"
	// PurposeChallenge signs proof-of-work puzzles. A replaced key is kept
	// long enough for puzzles it signed to expire.
	PurposeChallenge = "challenge"
	// PurposeClient keys the hashes of client addresses. Once a key is
	// deleted, the hashes made with it can no longer be linked to an
	// address, which is what bounds how long an address is identifiable.
	PurposeClient = "client"
)

// Secrets stores the secrets of each purpose.
type Secrets interface {
	// Secrets returns the secrets of purpose, newest first. It first creates
	// a new one when there is none or when the newest is older than rotate
	// (never when rotate is zero), and deletes those replaced more than keep
	// ago (never when keep is zero). Concurrent callers on several nodes
	// create one secret between them. It returns kind.ErrUnavailable when the
	// store cannot be reached.
	Secrets(ctx context.Context, purpose string, now time.Time, rotate, keep time.Duration) ([]Secret, error)
}

// StableSecret returns the secret of PurposeStable, creating it when there
// is none. Should two nodes ever have raced to create it, the oldest is the
// one: the store makes one, but the oldest is the safe pick, since hashes
// made with it may already be stored. It returns kind.ErrUnavailable when the
// store cannot be reached or returns no secret.
func StableSecret(ctx context.Context, s Secrets, now time.Time) (Secret, error) {
	stable, err := s.Secrets(ctx, PurposeStable, now, 0, 0)
	if err != nil {
		return Secret{}, fmt.Errorf("stable secret: %w", err)
	}
	if len(stable) == 0 {
		return Secret{}, fmt.Errorf("stable secret: the store returned none: %w", kind.ErrUnavailable)
	}
	return stable[len(stable)-1], nil
}

// keyring is the set of secrets a service holds at one time.
type keyring struct {
	stable    Secret
	challenge []Secret
	client    Secret
}

func (k *keyring) challengeKey(id string) ([]byte, bool) {
	for _, s := range k.challenge {
		if s.ID == id {
			return s.Key, true
		}
	}
	return nil, false
}

// mac is HMAC-SHA256 of the parts under key, each part followed by a zero
// byte so that no two sequences of parts give the same input.
func mac(key []byte, parts ...string) []byte {
	h := hmac.New(sha256.New, key)
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}

// emailHash is the stable keyed hash of a canonical address: the key by
// which accounts are found.
func (k *keyring) emailHash(canonical string) []byte {
	return mac(k.stable.Key, "email", canonical)
}

// HashEmail returns the key by which the account of e is found, under the
// stable secret (see StableSecret), for operator tooling that works on
// accounts by address.
func HashEmail(stable Secret, e Email) []byte {
	return mac(stable.Key, "email", e.Canonical)
}

// codeHash binds a sign-in code to the address it was sent for.
func (k *keyring) codeHash(canonical, code string) []byte {
	return mac(k.stable.Key, "code", canonical, code)
}

// clientHash is the rotating keyed hash of a client's subscriber address.
func (k *keyring) clientHash(c Client) string {
	sub := c.subscriber()
	if sub == "" {
		return ""
	}
	return hex.EncodeToString(mac(k.client.Key, "client", sub)[:12])
}
