package verify

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
)

// Line is one vote of the anonymised ledger file (JSON Lines, one vote a
// line, in leaf order).
type Line struct {
	Index     uint64   `json:"index"`
	Leaf      string   `json:"leaf"`
	Receipt   string   `json:"receipt"`
	ProjectID string   `json:"project_id"`
	Category  string   `json:"category"`
	Status    string   `json:"status"`
	Reasons   []string `json:"reasons"`
}

// LedgerReport is what a ledger file holds, as the check recomputed it.
type LedgerReport struct {
	Votes       int64            `json:"votes"`
	Counted     int64            `json:"counted"`
	Invalidated map[string]int64 `json:"invalidated_by_reason"`
	Root        string           `json:"root"`
	StatusRoot  string           `json:"status_root"`
	// Projects counts the counted votes per project.
	Projects map[string]int64 `json:"projects"`
}

// Ledger reads a ledger file and checks it against the results document:
// every line's leaf hash, the roots of the vote log and the status tree, and
// every nominee's published count, the ledger's size and its counted votes.
// The first difference found is returned as a *Failure.
func Ledger(d Document, r io.Reader) (LedgerReport, error) {
	t := d.Transparency
	f := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	votes, statuses := f.NewEmptyRange(0), f.NewEmptyRange(0)
	rep := LedgerReport{Invalidated: map[string]int64{}, Projects: map[string]int64{}}
	var offBallot int64
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	dec.DisallowUnknownFields()
	for {
		var l Line
		if err := dec.Decode(&l); err == io.EOF {
			break
		} else if err != nil {
			return rep, fail(CheckLedgerFile, "line %d: %v", rep.Votes+1, err)
		}
		if l.Index != uint64(rep.Votes) {
			return rep, fail(CheckLedgerFile, "line %d holds leaf %d, want %d: a vote was dropped, added or moved", rep.Votes+1, l.Index, rep.Votes)
		}
		leaf := leafHash(voteLeaf(l.Receipt, l.ProjectID, l.Category))
		if base64.StdEncoding.EncodeToString(leaf) != l.Leaf {
			return rep, fail(CheckLedgerFile, "leaf %d: its hash is not that of its receipt, project and category", l.Index)
		}
		switch l.Status {
		case "counted":
			if len(l.Reasons) > 0 {
				return rep, fail(CheckLedgerFile, "leaf %d: a counted vote with reasons %v", l.Index, l.Reasons)
			}
			rep.Counted++
			rep.Projects[l.ProjectID]++
		case "invalidated":
			if len(l.Reasons) == 0 || !slices.IsSorted(l.Reasons) {
				return rep, fail(CheckLedgerFile, "leaf %d: an invalidated vote needs its reason codes, sorted", l.Index)
			}
			for _, reason := range l.Reasons {
				rep.Invalidated[reason]++
			}
			if slices.Contains(l.Reasons, "off_ballot") {
				offBallot++
			}
		default:
			return rep, fail(CheckLedgerFile, "leaf %d: status %q, want counted or invalidated", l.Index, l.Status)
		}
		// Appending to a range that starts at 0 cannot fail.
		_ = votes.Append(leaf, nil)
		_ = statuses.Append(leafHash(statusLeaf(l.Receipt, l.ProjectID, l.Category, l.Status, l.Reasons)), nil)
		rep.Votes++
	}
	rep.Root = rootOf(votes)
	rep.StatusRoot = rootOf(statuses)
	if uint64(rep.Votes) != t.Size {
		return rep, fail(CheckLogRoot, "the file has %d votes, the final checkpoint %d", rep.Votes, t.Size)
	}
	if rep.Root != t.Root {
		return rep, fail(CheckLogRoot, "the votes of the file hash to root %s, the final checkpoint says %s: a vote's receipt, project or category differs from what the log committed to", rep.Root, t.Root)
	}
	if rep.StatusRoot != t.StatusRoot {
		return rep, fail(CheckStatusRoot, "the statuses of the file hash to root %s, the results say %s: a vote's final status or reasons differ from the published ones", rep.StatusRoot, t.StatusRoot)
	}
	if rep.Votes != d.Ledger.Votes {
		return rep, fail(CheckCounts, "the file has %d votes, the results' ledger %d", rep.Votes, d.Ledger.Votes)
	}
	if rep.Counted+offBallot != d.Ledger.Counted {
		return rep, fail(CheckCounts, "the file has %d counted votes (and %d for projects off the ballot), the results' ledger counts %d",
			rep.Counted, offBallot, d.Ledger.Counted)
	}
	nominees := map[string]bool{}
	for _, c := range d.Categories {
		for _, n := range c.Champions.Nominees {
			nominees[n.ProjectID] = true
			if got := rep.Projects[n.ProjectID]; got != n.Votes {
				return rep, fail(CheckCounts, "category %s: project %s has %d counted votes in the file, %d in the results", c.Code, n.ProjectID, got, n.Votes)
			}
		}
	}
	for p, n := range rep.Projects {
		if !nominees[p] {
			return rep, fail(CheckCounts, "project %s has %d counted votes in the file but is no nominee of the results", p, n)
		}
	}
	return rep, nil
}

func rootOf(r *compact.Range) string {
	if r.End() == 0 {
		return base64.StdEncoding.EncodeToString(rfc6962.DefaultHasher.EmptyRoot())
	}
	root, _ := r.GetRootHash(nil)
	return base64.StdEncoding.EncodeToString(root)
}

// String sums up a report in a line.
func (r LedgerReport) String() string {
	return fmt.Sprintf("%d votes, %d counted; log root %s; status root %s", r.Votes, r.Counted, r.Root, r.StatusRoot)
}
