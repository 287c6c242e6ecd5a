// Package transparency is the verifiable side of the ledger: a Merkle log in
// the style of RFC 6962 with one leaf per vote in the order the ledger
// committed them, signed checkpoints of it, and at publication a second tree
// over the votes' final statuses and the anonymised ledger file both trees
// are recomputed from. Hashing and proofs are github.com/transparency-dev/merkle's;
// checkpoints are the note format of github.com/transparency-dev/formats.
//
// The offline checks an auditor runs live apart, in transparency/verify,
// which does not import this package.
package transparency

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/transparency-dev/merkle/rfc6962"
)

// Receipt returns the receipt hash of a vote id: the lower-case hex SHA-256
// of the id as the voter got it. Leaves and the ledger file carry this, never
// the vote id itself nor the voter.
func Receipt(voteID string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(voteID)))
	return hex.EncodeToString(sum[:])
}

// LeafData is the content of a vote's leaf in the vote log:
//
//	<receipt>,<project_id>,<category>
//
// with no line feed. No status is in it, so the log says nothing during
// voting about fraud review.
func LeafData(receipt, project, category string) []byte {
	b := make([]byte, 0, len(receipt)+len(project)+len(category)+2)
	b = append(b, receipt...)
	b = append(b, ',')
	b = append(b, project...)
	b = append(b, ',')
	return append(b, category...)
}

// StatusLeafData is the content of a vote's leaf in the status tree built at
// publication:
//
//	<receipt>,<project_id>,<category>,<final status>,<reason>;<reason>...
//
// with the reasons sorted and joined by semicolons (empty when none).
func StatusLeafData(receipt, project, category string, status FinalStatus, reasons []string) []byte {
	b := LeafData(receipt, project, category)
	b = append(b, ',')
	b = append(b, status...)
	b = append(b, ',')
	return append(b, strings.Join(reasons, ";")...)
}

// LeafHash is the RFC 6962 hash of a leaf's content: SHA-256 of 0x00 and
// the content.
func LeafHash(data []byte) []byte { return rfc6962.DefaultHasher.HashLeaf(data) }

// FinalStatus is a vote's status in the published ledger: whether it is in
// the published counts.
type FinalStatus string

const (
	// Counted is a vote in the published counts.
	Counted FinalStatus = "counted"
	// Invalidated is a vote left out of them, with its reason codes.
	Invalidated FinalStatus = "invalidated"
)

// Reasons a vote is left out of the count besides fraud review's own codes.
const (
	// ReasonOutsideWindow marks a vote cast outside the published voting
	// window.
	ReasonOutsideWindow = "outside_window"
	// ReasonOffBallot marks a vote for a project no longer on the ballot.
	ReasonOffBallot = "off_ballot"
	// ReasonNoReason stands for a vote review left out without a recorded
	// reason, so that every invalidated line says something.
	ReasonNoReason = "unspecified"
)
