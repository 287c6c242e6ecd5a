package transparency_test

import (
	"bytes"
	"crypto/sha256"
	"strconv"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/wsisvote/prizes/transparency"
)

func leaf(i int) []byte {
	return transparency.LeafHash([]byte("vote " + strconv.Itoa(i)))
}

// TestTree_proofs checks every inclusion and consistency proof of trees up
// to 33 leaves with the library's verifier, and the head kept by appending
// batches against the tree.
func TestTree_proofs(t *testing.T) {
	tree := transparency.NewTree()
	var head transparency.Head
	for n := 1; n <= 33; n++ {
		tree.Append(leaf(n - 1))
		var err error
		if head, err = head.Append([][]byte{leaf(n - 1)}); err != nil {
			t.Fatal(err)
		}
		root, err := tree.Root(uint64(n))
		if err != nil {
			t.Fatal(err)
		}
		headRoot, err := head.Root()
		if err != nil || !bytes.Equal(root, headRoot) {
			t.Fatalf("size %d: head root %x, tree root %x", n, headRoot, root)
		}
		for i := 0; i < n; i++ {
			p, err := tree.Inclusion(uint64(i), uint64(n))
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(i), uint64(n), leaf(i), p, root); err != nil {
				t.Fatalf("leaf %d in %d: %v", i, n, err)
			}
		}
		for m := 1; m <= n; m++ {
			older, _ := tree.Root(uint64(m))
			p, err := tree.Consistency(uint64(m), uint64(n))
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(m), uint64(n), p, older, root); err != nil {
				t.Fatalf("%d -> %d: %v", m, n, err)
			}
		}
	}
	if _, err := tree.Inclusion(0, 34); err == nil {
		t.Fatal("a proof beyond the tree's size was given")
	}
}

func TestHead_Root_empty(t *testing.T) {
	root, err := transparency.Head{}.Root()
	want := sha256.Sum256(nil)
	if err != nil || !bytes.Equal(root, want[:]) {
		t.Fatalf("empty root %x, %v; want SHA-256 of nothing", root, err)
	}
}

func TestFinal(t *testing.T) {
	cases := []struct {
		name                     string
		counts, inWindow, ballot bool
		reasons                  []string
		status                   transparency.FinalStatus
		want                     string
	}{
		{"counted", true, true, true, []string{"young_account"}, transparency.Counted, ""},
		{"invalidated by review", false, true, true, []string{"lockstep", "bot", "bot"}, transparency.Invalidated, "bot;lockstep"},
		{"invalidated without reason", false, true, true, nil, transparency.Invalidated, "unspecified"},
		{"outside the window", true, false, true, nil, transparency.Invalidated, "outside_window"},
		{"off the ballot", true, true, false, nil, transparency.Invalidated, "off_ballot"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, reasons := transparency.Final(c.counts, c.inWindow, c.ballot, c.reasons)
			got := ""
			for i, r := range reasons {
				if i > 0 {
					got += ";"
				}
				got += r
			}
			if st != c.status || got != c.want {
				t.Fatalf("Final = %s %q; want %s %q", st, got, c.status, c.want)
			}
		})
	}
}
