package transparency

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// Origin names an edition's log in its checkpoints (their first line).
func Origin(edition string) string { return "wsisvote.prizes/log/" + edition }

// algEd25519 is the note format's algorithm byte for Ed25519 keys.
const algEd25519 = 1

// Signer signs checkpoints with an Ed25519 key, as signed notes.
type Signer struct {
	signer note.Signer
	// VerifierKey is the note verifier key of the signer,
	// "<name>+<key hash>+<base64 of 0x01 and the public key>": what anyone
	// needs to check its checkpoints.
	VerifierKey string
}

// NewSigner returns a signer named name (the key's id) for key.
func NewSigner(name string, key ed25519.PrivateKey) (*Signer, error) {
	vkey, err := note.NewEd25519VerifierKey(name, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("checkpoint signer %q: %w", name, err)
	}
	// vkey is name+hash+key, the hash 8 hex digits; the signer key is the
	// same with the seed. (The base64 key may hold '+' itself.)
	hash, _, _ := strings.Cut(strings.TrimPrefix(vkey, name+"+"), "+")
	skey := "PRIVATE+KEY+" + name + "+" + hash + "+" +
		base64.StdEncoding.EncodeToString(append([]byte{algEd25519}, key.Seed()...))
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("checkpoint signer %q: %w", name, err)
	}
	return &Signer{signer: s, VerifierKey: vkey}, nil
}

// Sign returns the signed note of the checkpoint of edition's log at the
// given size and root hash. Ed25519 signatures are deterministic, so the same
// checkpoint signed twice gives the same bytes.
func (s *Signer) Sign(edition string, size uint64, root []byte) ([]byte, error) {
	cp := log.Checkpoint{Origin: Origin(edition), Size: size, Hash: root}
	b, err := note.Sign(&note.Note{Text: string(cp.Marshal())}, s.signer)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint %d of %s: %w", size, edition, err)
	}
	return b, nil
}

// VerifierKey returns the note verifier key of an Ed25519 public key named
// name, as Signer.VerifierKey gives it.
func VerifierKey(name string, pub ed25519.PublicKey) (string, error) {
	return note.NewEd25519VerifierKey(name, pub)
}
