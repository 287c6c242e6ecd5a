package verify_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/transparency"
	"github.com/wsisvote/prizes/transparency/verify"
)

const edition = "e2026"

// published is a small edition as an auditor gets it: the signed results,
// the ledger file, the log's tree (to make proofs) and its key.
type published struct {
	results []byte
	ledger  []byte
	tree    *transparency.Tree
	signer  *transparency.Signer
	key     ed25519.PrivateKey
	votes   []transparency.FinalVote
}

func seed(b byte) ed25519.PrivateKey {
	s := make([]byte, ed25519.SeedSize)
	s[0] = b
	return ed25519.NewKeyFromSeed(s)
}

// publish builds the artefacts of 13 votes for projects p1 (counted), p2
// (counted, three invalidated) and p3, which is off the ballot.
func publish(tb testing.TB) published {
	tb.Helper()
	p := published{tree: transparency.NewTree(), key: seed(1)}
	var err error
	if p.signer, err = transparency.NewSigner("results-test", p.key); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < 13; i++ {
		v := transparency.FinalVote{Index: uint64(i), VoteID: fmt.Sprintf("0190a1b2-0000-7000-8000-%012d", i),
			ProjectID: "p1", Category: "C1", Counts: true, InWindow: true, OnBallot: true}
		switch {
		case i%4 == 1:
			v.ProjectID = "p2"
		case i%4 == 3 && i < 12:
			v.ProjectID, v.Counts, v.Reasons = "p2", false, []string{"lockstep"}
		case i == 12:
			v.ProjectID, v.OnBallot = "p3", false
		}
		p.votes = append(p.votes, v)
	}
	var file bytes.Buffer
	b := transparency.NewBuilder(&file)
	counts := map[string]int{}
	for _, v := range p.votes {
		if err := b.AddFinal(v); err != nil {
			tb.Fatal(err)
		}
		p.tree.Append(transparency.Leaf{VoteID: v.VoteID, ProjectID: v.ProjectID, Category: v.Category}.Hash())
		if st, _ := transparency.Final(v.Counts, v.InWindow, v.OnBallot, v.Reasons); st == transparency.Counted {
			counts[v.ProjectID]++
		}
	}
	if err := b.Flush(); err != nil {
		tb.Fatal(err)
	}
	p.ledger = file.Bytes()
	root, statusRoot := b.Roots()
	note, err := p.signer.Sign(edition, b.Size(), root)
	if err != nil {
		tb.Fatal(err)
	}
	doc := map[string]any{
		"edition": edition,
		"ledger":  map[string]any{"votes": 13, "counted": counts["p1"] + counts["p2"] + 1},
		"categories": []any{map[string]any{"code": "C1", "champions": map[string]any{"nominees": []any{
			map[string]any{"project_id": "p1", "votes": counts["p1"]},
			map[string]any{"project_id": "p2", "votes": counts["p2"]},
		}}}},
		"transparency": transparency.Summary{Origin: transparency.Origin(edition), LogKey: p.signer.VerifierKey,
			Checkpoint: string(note), Size: b.Size(), Root: base64.StdEncoding.EncodeToString(root),
			StatusRoot: base64.StdEncoding.EncodeToString(statusRoot)},
	}
	p.results = sign(tb, doc, p.key)
	return p
}

func sign(tb testing.TB, doc any, key ed25519.PrivateKey) []byte {
	tb.Helper()
	d, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := json.Marshal(map[string]any{"document": json.RawMessage(d), "algorithm": "Ed25519",
		"public_key": base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)),
		"signature":  base64.StdEncoding.EncodeToString(ed25519.Sign(key, d))})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func wantFailure(tb testing.TB, err error, check, says string) {
	tb.Helper()
	var f *verify.Failure
	if !errors.As(err, &f) || f.Check != check || !strings.Contains(f.Message, says) {
		tb.Fatalf("got %v; want a %q failure saying %q", err, check, says)
	}
}

func TestLedger(t *testing.T) {
	p := publish(t)
	d, err := verify.Results(p.results)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := verify.Ledger(d, bytes.NewReader(p.ledger))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Votes != 13 || rep.Counted != 9 || rep.Invalidated["lockstep"] != 3 || rep.Invalidated["off_ballot"] != 1 {
		t.Fatalf("report %+v", rep)
	}
	t.Run("a count changed and signed again with the results key", func(t *testing.T) {
		var s struct {
			Document json.RawMessage `json:"document"`
		}
		_ = json.Unmarshal(p.results, &s)
		changed := bytes.Replace(s.Document, []byte(`"votes":6`), []byte(`"votes":7`), 1)
		var doc any
		_ = json.Unmarshal(changed, &doc)
		d, err := verify.Results(sign(t, doc, p.key))
		if err != nil {
			t.Fatal(err)
		}
		_, err = verify.Ledger(d, bytes.NewReader(p.ledger))
		wantFailure(t, err, verify.CheckCounts, "project p1 has 6 counted votes in the file, 7 in the results")
	})
	t.Run("a line's leaf hash does not match its fields", func(t *testing.T) {
		lines := bytes.SplitAfter(p.ledger, []byte("\n"))
		lines[2] = bytes.Replace(lines[2], []byte(`"category":"C1"`), []byte(`"category":"C2"`), 1)
		_, err := verify.Ledger(d, bytes.NewReader(bytes.Join(lines, nil)))
		wantFailure(t, err, verify.CheckLedgerFile, "leaf 2: its hash is not that of its receipt")
	})
	t.Run("a checkpoint signed by another key", func(t *testing.T) {
		other, _ := transparency.NewSigner("results-test", seed(2))
		var s struct {
			Document json.RawMessage `json:"document"`
		}
		_ = json.Unmarshal(p.results, &s)
		var doc map[string]any
		_ = json.Unmarshal(s.Document, &doc)
		tr := doc["transparency"].(map[string]any)
		tr["log_key"] = other.VerifierKey
		_, err := verify.Results(sign(t, doc, p.key))
		wantFailure(t, err, verify.CheckCheckpoint, "failed to verify signatures")
	})
}

func TestReceipt(t *testing.T) {
	p := publish(t)
	d, err := verify.Results(p.results)
	if err != nil {
		t.Fatal(err)
	}
	v := p.votes[5]
	proofAt := func(size uint64, cp []byte) verify.InclusionProof {
		hashes, err := p.tree.Inclusion(v.Index, size)
		if err != nil {
			t.Fatal(err)
		}
		ip := verify.InclusionProof{Index: v.Index, TreeSize: size, ProjectID: v.ProjectID, Category: v.Category,
			Checkpoint: string(cp)}
		for _, h := range hashes {
			ip.Hashes = append(ip.Hashes, base64.StdEncoding.EncodeToString(h))
		}
		if size < 13 {
			c, _ := p.tree.Consistency(size, 13)
			for _, h := range c {
				ip.Consistency = append(ip.Consistency, base64.StdEncoding.EncodeToString(h))
			}
		}
		return ip
	}
	root8, _ := p.tree.Root(8)
	cp8, _ := p.signer.Sign(edition, 8, root8)
	t.Run("against the final checkpoint", func(t *testing.T) {
		if err := verify.Receipt(d, proofAt(13, []byte(d.Transparency.Checkpoint)), v.VoteID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("against a checkpoint from during voting", func(t *testing.T) {
		if err := verify.Receipt(d, proofAt(8, cp8), v.VoteID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a proof served during voting, leading to another size", func(t *testing.T) {
		ip := proofAt(8, cp8)
		ip.LatestSize = 10
		wantFailure(t, verify.Receipt(d, ip, v.VoteID), verify.CheckConsistency, "fetch the proof again")
	})
	t.Run("another vote id", func(t *testing.T) {
		err := verify.Receipt(d, proofAt(13, []byte(d.Transparency.Checkpoint)), p.votes[6].VoteID)
		wantFailure(t, err, verify.CheckInclusion, "is not leaf 5")
	})
	t.Run("a forked checkpoint of the final size", func(t *testing.T) {
		forked := transparency.NewTree()
		for i := 0; i < 13; i++ {
			forked.Append(transparency.LeafHash([]byte{byte(i)}))
		}
		forked.Append(transparency.Leaf{VoteID: v.VoteID, ProjectID: v.ProjectID, Category: v.Category}.Hash())
		// The fork shows the vote as leaf 13 of a log of 14 while the results
		// say the log has 13 leaves: beyond the final checkpoint.
		root, _ := forked.Root(14)
		cp, _ := p.signer.Sign(edition, 14, root)
		hashes, _ := forked.Inclusion(13, 14)
		ip := verify.InclusionProof{Index: 13, TreeSize: 14, ProjectID: v.ProjectID, Category: v.Category, Checkpoint: string(cp)}
		for _, h := range hashes {
			ip.Hashes = append(ip.Hashes, base64.StdEncoding.EncodeToString(h))
		}
		wantFailure(t, verify.Receipt(d, ip, v.VoteID), verify.CheckConsistency, "beyond the final one")
	})
}

func TestConsistency(t *testing.T) {
	p := publish(t)
	d, err := verify.Results(p.results)
	if err != nil {
		t.Fatal(err)
	}
	tr := d.Transparency
	root8, _ := p.tree.Root(8)
	cp8, _ := p.signer.Sign(edition, 8, root8)
	final := []byte(tr.Checkpoint)
	c, _ := p.tree.Consistency(8, 13)
	if err := verify.Consistency(cp8, final, tr.Origin, tr.LogKey, c); err != nil {
		t.Fatalf("8 -> 13: %v", err)
	}
	t.Run("a fork: two checkpoints of one size with different roots", func(t *testing.T) {
		other := transparency.NewTree()
		for i := 0; i < 8; i++ {
			other.Append(transparency.LeafHash([]byte{byte(i)}))
		}
		root, _ := other.Root(8)
		forked, _ := p.signer.Sign(edition, 8, root)
		err := verify.Consistency(cp8, forked, tr.Origin, tr.LogKey, nil)
		wantFailure(t, err, verify.CheckConsistency, "fork: two checkpoints of size 8")
		err = verify.Consistency(forked, final, tr.Origin, tr.LogKey, c)
		wantFailure(t, err, verify.CheckConsistency, "is not a prefix of the log of size 13")
	})
	t.Run("a checkpoint of another edition's log", func(t *testing.T) {
		cp, _ := p.signer.Sign("other", 8, root8)
		err := verify.Consistency(cp, final, tr.Origin, tr.LogKey, c)
		wantFailure(t, err, verify.CheckCheckpoint, "Origin")
	})
}
