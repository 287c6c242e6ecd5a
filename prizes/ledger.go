package prizes

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"

	"github.com/wsisvote/prizes/voting"
)

// LedgerSummary is what published results say about the votes ledger: how
// many votes it holds, how many count, and a digest of every vote, so a
// later change to any vote (its status included) shows.
type LedgerSummary struct {
	Votes   int64  `json:"votes"`
	Counted int64  `json:"counted"`
	Digest  string `json:"digest"`
}

// LedgerHasher computes a LedgerSummary from votes fed in ascending vote id
// order. Each vote contributes one line:
//
//	id,voter_id,project_id,category,slot,status,cast_at_unix_microseconds\n
type LedgerHasher struct {
	h       hash.Hash
	buf     []byte
	votes   int64
	counted int64
}

// NewLedgerHasher returns an empty hasher.
func NewLedgerHasher() *LedgerHasher { return &LedgerHasher{h: sha256.New()} }

// Add feeds one vote.
func (l *LedgerHasher) Add(v voting.Vote) {
	b := l.buf[:0]
	b = append(b, v.ID...)
	b = append(b, ',')
	b = strconv.AppendInt(b, v.VoterID, 10)
	b = append(b, ',')
	b = append(b, v.ProjectID...)
	b = append(b, ',')
	b = append(b, v.Category...)
	b = append(b, ',')
	b = append(b, v.Slot...)
	b = append(b, ',')
	b = append(b, v.Status...)
	b = append(b, ',')
	b = strconv.AppendInt(b, v.CastAt.UnixMicro(), 10)
	b = append(b, '\n')
	l.h.Write(b)
	l.buf = b
	l.votes++
	if v.Status.Counts() {
		l.counted++
	}
}

// Summary returns the summary of the votes fed so far.
func (l *LedgerHasher) Summary() LedgerSummary {
	return LedgerSummary{Votes: l.votes, Counted: l.counted, Digest: "sha256:" + hex.EncodeToString(l.h.Sum(nil))}
}
