package transparency

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"slices"

	"github.com/transparency-dev/merkle/compact"
)

// Summary is what the signed results say about the log: the key that signs
// its checkpoints, the final checkpoint (the whole note) with its size and
// root, and the root of the status tree. Hashes are base64, as in
// checkpoints.
type Summary struct {
	Origin     string `json:"origin"`
	LogKey     string `json:"log_key"`
	Checkpoint string `json:"checkpoint"`
	Size       uint64 `json:"size"`
	Root       string `json:"root"`
	StatusRoot string `json:"status_root"`
}

// Final decides a vote's status in the published ledger. A vote is counted
// when its ledger status counts, it was cast inside the voting window and
// its project is on the ballot; otherwise it is invalidated with its reasons:
// the review's (or ingest's) reason codes, outside_window or off_ballot.
func Final(counts, inWindow, onBallot bool, reasons []string) (FinalStatus, []string) {
	switch {
	case !counts:
		out := slices.Clone(reasons)
		slices.Sort(out)
		out = slices.Compact(out)
		if len(out) == 0 {
			out = []string{ReasonNoReason}
		}
		return Invalidated, out
	case !inWindow:
		return Invalidated, []string{ReasonOutsideWindow}
	case !onBallot:
		return Invalidated, []string{ReasonOffBallot}
	}
	return Counted, []string{}
}

// Line is one vote of the anonymised ledger file. The file is JSON Lines, one
// vote a line in leaf order; docs/transparency.md describes it.
type Line struct {
	Index     uint64      `json:"index"`
	Leaf      string      `json:"leaf"`
	Receipt   string      `json:"receipt"`
	ProjectID string      `json:"project_id"`
	Category  string      `json:"category"`
	Status    FinalStatus `json:"status"`
	Reasons   []string    `json:"reasons"`
}

// Builder recomputes, from the votes in leaf order, the vote log's root, the
// status tree's root and, when it has a writer, the ledger file. Each vote
// is the next leaf whatever its recorded index; the file keeps the recorded
// index, so that an auditor finds a gap, and a root computed here differs
// from the log head's when a vote is missing.
type Builder struct {
	votes, statuses *compact.Range
	w               *bufio.Writer
	enc             *json.Encoder
}

// NewBuilder returns a builder that writes the ledger file to w, or none when
// w is nil.
func NewBuilder(w io.Writer) *Builder {
	b := &Builder{votes: factory.NewEmptyRange(0), statuses: factory.NewEmptyRange(0)}
	if w != nil {
		b.w = bufio.NewWriterSize(w, 64<<10)
		b.enc = json.NewEncoder(b.w)
	}
	return b
}

// Add feeds the vote recorded at leaf index. It returns an error only when
// the file cannot be written.
func (b *Builder) Add(index uint64, voteID, project, category string, status FinalStatus, reasons []string) error {
	receipt := Receipt(voteID)
	leaf := LeafHash(LeafData(receipt, project, category))
	// Ranges that start at 0 can always be appended to.
	_ = b.votes.Append(leaf, nil)
	_ = b.statuses.Append(LeafHash(StatusLeafData(receipt, project, category, status, reasons)), nil)
	if b.enc == nil {
		return nil
	}
	return b.enc.Encode(Line{Index: index, Leaf: base64.StdEncoding.EncodeToString(leaf), Receipt: receipt,
		ProjectID: project, Category: category, Status: status, Reasons: reasons})
}

// Size returns the number of votes fed.
func (b *Builder) Size() uint64 { return b.votes.End() }

// Roots returns the roots of the vote log and of the status tree.
func (b *Builder) Roots() (root, statusRoot []byte) {
	return rangeRoot(b.votes), rangeRoot(b.statuses)
}

// Flush writes out what the ledger file has buffered.
func (b *Builder) Flush() error {
	if b.w == nil {
		return nil
	}
	return b.w.Flush()
}

func rangeRoot(r *compact.Range) []byte {
	if r.End() == 0 {
		return EmptyRoot()
	}
	root, _ := r.GetRootHash(nil)
	return root
}

// FinalVote is a vote of the log with what decides its final status.
type FinalVote struct {
	Index     uint64
	VoteID    string
	ProjectID string
	Category  string
	// Counts says the ledger status counts (counted or flagged).
	Counts   bool
	InWindow bool
	OnBallot bool
	Reasons  []string
}

// AddFinal feeds the vote with its final status decided by Final.
func (b *Builder) AddFinal(v FinalVote) error {
	st, reasons := Final(v.Counts, v.InWindow, v.OnBallot, v.Reasons)
	return b.Add(v.Index, v.VoteID, v.ProjectID, v.Category, st, reasons)
}
