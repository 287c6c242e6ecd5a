// Package verify checks an edition's published results offline: the
// results document's signature, the signed checkpoints of the vote log, a
// voter's inclusion proof, consistency between two checkpoints, and the
// anonymised ledger file, from which it recomputes both Merkle roots and
// every published count. It needs no database and does not import the code
// that builds the log; docs/transparency.md describes every format it reads.
package verify

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// Failure is a check that did not pass: which one, and what was found.
type Failure struct {
	Check   string
	Message string
}

func (f *Failure) Error() string { return f.Check + ": " + f.Message }

func fail(check, format string, args ...any) error {
	return &Failure{Check: check, Message: fmt.Sprintf(format, args...)}
}

// The checks, as a Failure names them.
const (
	CheckSignature   = "results signature"
	CheckCheckpoint  = "checkpoint"
	CheckInclusion   = "inclusion"
	CheckConsistency = "consistency"
	CheckLedgerFile  = "ledger file"
	CheckLogRoot     = "log root"
	CheckStatusRoot  = "status root"
	CheckCounts      = "counts"
)

// Signed is the signed results envelope as GET .../results serves it.
type Signed struct {
	Document  json.RawMessage `json:"document"`
	Algorithm string          `json:"algorithm"`
	PublicKey string          `json:"public_key"`
	Signature string          `json:"signature"`
}

// Document is the part of the results document these checks read.
type Document struct {
	Edition string `json:"edition"`
	Ledger  struct {
		Votes   int64 `json:"votes"`
		Counted int64 `json:"counted"`
	} `json:"ledger"`
	Categories []struct {
		Code      string `json:"code"`
		Champions struct {
			Nominees []struct {
				ProjectID string `json:"project_id"`
				Votes     int64  `json:"votes"`
			} `json:"nominees"`
		} `json:"champions"`
	} `json:"categories"`
	Transparency *Transparency `json:"transparency"`
}

// Transparency is the results document's part about the vote log: the key
// that signs checkpoints, the final checkpoint, and the root of the tree
// over the final statuses.
type Transparency struct {
	Origin     string `json:"origin"`
	LogKey     string `json:"log_key"`
	Checkpoint string `json:"checkpoint"`
	Size       uint64 `json:"size"`
	Root       string `json:"root"`
	StatusRoot string `json:"status_root"`
}

// Results checks the envelope's Ed25519 signature over the document's exact
// bytes and the final checkpoint it holds, and returns the document.
func Results(signedJSON []byte) (Document, error) {
	var s Signed
	if err := json.Unmarshal(signedJSON, &s); err != nil {
		return Document{}, fail(CheckSignature, "the results file is not a signed results document: %v", err)
	}
	pub, err := base64.StdEncoding.DecodeString(s.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize || s.Algorithm != "Ed25519" {
		return Document{}, fail(CheckSignature, "public_key is not a base64 Ed25519 key")
	}
	sig, err := base64.StdEncoding.DecodeString(s.Signature)
	if err != nil || !ed25519.Verify(pub, s.Document, sig) {
		return Document{}, fail(CheckSignature, "the signature does not verify against the document's bytes: the document was changed or not signed by this key")
	}
	var d Document
	if err := json.Unmarshal(s.Document, &d); err != nil {
		return Document{}, fail(CheckSignature, "the signed document does not decode: %v", err)
	}
	if d.Transparency == nil {
		return Document{}, fail(CheckCheckpoint, "the results have no transparency section (published without the vote log)")
	}
	cp, err := OpenCheckpoint([]byte(d.Transparency.Checkpoint), d.Transparency.Origin, d.Transparency.LogKey)
	if err != nil {
		return Document{}, err
	}
	if cp.Size != d.Transparency.Size || base64.StdEncoding.EncodeToString(cp.Hash) != d.Transparency.Root {
		return Document{}, fail(CheckCheckpoint, "the final checkpoint (size %d, root %s) is not the size %d and root %s the document states",
			cp.Size, base64.StdEncoding.EncodeToString(cp.Hash), d.Transparency.Size, d.Transparency.Root)
	}
	return d, nil
}

// OpenCheckpoint checks a signed checkpoint note against the log's verifier
// key and origin and returns its content.
func OpenCheckpoint(signed []byte, origin, verifierKey string) (*log.Checkpoint, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return nil, fail(CheckCheckpoint, "log key %q: %v", verifierKey, err)
	}
	cp, _, _, err := log.ParseCheckpoint(signed, origin, v)
	if err != nil {
		return nil, fail(CheckCheckpoint, "%v", err)
	}
	return cp, nil
}

// Consistency checks that checkpoint b extends checkpoint a, both signed by
// the log, with a consistency proof between them. Two checkpoints of the same
// size must have the same root: different roots are a fork, the log showing
// different histories to different people.
func Consistency(a, b []byte, origin, verifierKey string, hashes [][]byte) error {
	ca, err := OpenCheckpoint(a, origin, verifierKey)
	if err != nil {
		return err
	}
	cb, err := OpenCheckpoint(b, origin, verifierKey)
	if err != nil {
		return err
	}
	if ca.Size > cb.Size {
		ca, cb = cb, ca
	}
	if ca.Size == cb.Size {
		if !bytes.Equal(ca.Hash, cb.Hash) {
			return fail(CheckConsistency, "fork: two checkpoints of size %d signed by the log with different roots (%s, %s)",
				ca.Size, base64.StdEncoding.EncodeToString(ca.Hash), base64.StdEncoding.EncodeToString(cb.Hash))
		}
		return nil
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, ca.Size, cb.Size, hashes, ca.Hash, cb.Hash); err != nil {
		return fail(CheckConsistency, "the log of size %d is not a prefix of the log of size %d: %v", ca.Size, cb.Size, err)
	}
	return nil
}

// InclusionProof is an inclusion proof as GET .../log/proof/inclusion
// serves it: a vote's leaf, the checkpoint it is proved against, and, when
// that is not the final checkpoint and the edition is published, the
// consistency proof from it to the final one.
type InclusionProof struct {
	Index       uint64   `json:"leaf_index"`
	TreeSize    uint64   `json:"tree_size"`
	ProjectID   string   `json:"project_id"`
	Category    string   `json:"category"`
	Hashes      []string `json:"hashes"`
	Checkpoint  string   `json:"checkpoint"`
	Consistency []string `json:"consistency_to_final,omitempty"`
	// LatestSize is the checkpoint Consistency leads to: the latest when
	// the proof was served, the final one once the results are published.
	LatestSize uint64 `json:"latest_size"`
}

// Receipt checks that the vote with id voteID, for the project and category
// the proof states, is in the log the results' final checkpoint commits to.
// The proof's own checkpoint must be signed by the log key the results name.
func Receipt(d Document, p InclusionProof, voteID string) error {
	t := d.Transparency
	cp, err := OpenCheckpoint([]byte(p.Checkpoint), t.Origin, t.LogKey)
	if err != nil {
		return err
	}
	if cp.Size != p.TreeSize {
		return fail(CheckInclusion, "the proof is for size %d but its checkpoint has size %d", p.TreeSize, cp.Size)
	}
	hashes, err := decodeHashes(p.Hashes)
	if err != nil {
		return fail(CheckInclusion, "%v", err)
	}
	leaf := leafHash(voteLeaf(receipt(voteID), p.ProjectID, p.Category))
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, p.Index, p.TreeSize, leaf, hashes, cp.Hash); err != nil {
		return fail(CheckInclusion, "vote %s for %s in %s is not leaf %d of the log of size %d: %v",
			voteID, p.ProjectID, p.Category, p.Index, p.TreeSize, err)
	}
	root, err := base64.StdEncoding.DecodeString(t.Root)
	if err != nil {
		return fail(CheckCheckpoint, "root %q is not base64", t.Root)
	}
	switch {
	case cp.Size == t.Size:
		if !bytes.Equal(cp.Hash, root) {
			return fail(CheckConsistency, "fork: the proof's checkpoint and the final one both have size %d and different roots", cp.Size)
		}
	case cp.Size > t.Size:
		return fail(CheckConsistency, "the proof's checkpoint (size %d) is beyond the final one (size %d)", cp.Size, t.Size)
	case p.LatestSize != 0 && p.LatestSize != t.Size:
		return fail(CheckConsistency, "the proof was served when the log had %d votes and leads there, not to the final size %d: fetch the proof again now that the results are published", p.LatestSize, t.Size)
	default:
		c, err := decodeHashes(p.Consistency)
		if err != nil {
			return fail(CheckConsistency, "%v", err)
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, cp.Size, t.Size, c, cp.Hash, root); err != nil {
			return fail(CheckConsistency, "the proof's checkpoint (size %d) is not a prefix of the final log (size %d): %v", cp.Size, t.Size, err)
		}
	}
	return nil
}

func decodeHashes(in []string) ([][]byte, error) {
	out := make([][]byte, len(in))
	for i, s := range in {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("hash %d of the proof is not a base64 SHA-256 hash", i)
		}
		out[i] = b
	}
	return out, nil
}

// receipt is the hex SHA-256 of a vote id in lower case.
func receipt(voteID string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(voteID)))
	return hex.EncodeToString(sum[:])
}

// voteLeaf is a leaf of the vote log: receipt,project,category.
func voteLeaf(receipt, project, category string) []byte {
	return []byte(receipt + "," + project + "," + category)
}

// statusLeaf is a leaf of the status tree: receipt,project,category,status,reasons
// with the reasons joined by semicolons.
func statusLeaf(receipt, project, category, status string, reasons []string) []byte {
	return []byte(receipt + "," + project + "," + category + "," + status + "," + strings.Join(reasons, ";"))
}

func leafHash(data []byte) []byte { return rfc6962.DefaultHasher.HashLeaf(data) }
