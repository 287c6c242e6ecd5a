package prizes

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"time"

	"github.com/wsisvote/prizes/voting"
)

// LedgerSummary is what published results say about the votes ledger: how
// many votes it holds, how many count, the voting window they were counted
// in and how many fell outside it, and a digest of every vote, so a later
// change to any vote (its status included) shows.
type LedgerSummary struct {
	Votes int64 `json:"votes"`
	// Counted counts the votes whose status counts, cast inside Window.
	Counted int64 `json:"counted"`
	// Window is the edition's published voting window; a null bound is open.
	Window WindowBounds `json:"voting_window"`
	// OutsideWindow counts the votes whose status counts but that were cast
	// outside Window; they count nowhere.
	OutsideWindow int64  `json:"outside_window"`
	Digest        string `json:"digest"`
}

// WindowBounds is a voting window as documents show it.
type WindowBounds struct {
	Opens  *time.Time `json:"opens"`
	Closes *time.Time `json:"closes"`
}

// NewWindowBounds shows w, in UTC.
func NewWindowBounds(w voting.Window) WindowBounds {
	var out WindowBounds
	if !w.Opens.IsZero() {
		t := w.Opens.UTC()
		out.Opens = &t
	}
	if !w.Closes.IsZero() {
		t := w.Closes.UTC()
		out.Closes = &t
	}
	return out
}

// LedgerHasher computes a LedgerSummary from votes fed in ascending vote id
// order. Each vote contributes one line:
//
//	id,voter_id,project_id,category,slot,status,cast_at_unix_microseconds\n
//
// Votes whose status counts are counted when cast inside window, and
// otherwise counted as outside it.
type LedgerHasher struct {
	h       hash.Hash
	buf     []byte
	window  voting.Window
	votes   int64
	counted int64
	outside int64
}

// NewLedgerHasher returns an empty hasher for an edition's votes, counted in
// its voting window.
func NewLedgerHasher(window voting.Window) *LedgerHasher {
	return &LedgerHasher{h: sha256.New(), window: window}
}

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
	switch {
	case !v.Status.Counts():
	case l.window.Contains(v.CastAt):
		l.counted++
	default:
		l.outside++
	}
}

// Summary returns the summary of the votes fed so far.
func (l *LedgerHasher) Summary() LedgerSummary {
	return LedgerSummary{Votes: l.votes, Counted: l.counted, Window: NewWindowBounds(l.window), OutsideWindow: l.outside,
		Digest: "sha256:" + hex.EncodeToString(l.h.Sum(nil))}
}
