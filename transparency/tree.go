package transparency

import (
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

var (
	hasher  = rfc6962.DefaultHasher
	factory = &compact.RangeFactory{Hash: hasher.HashChildren}
)

// EmptyRoot is the root hash of a tree with no leaves (SHA-256 of nothing).
func EmptyRoot() []byte { return hasher.EmptyRoot() }

// Head is the state of a log that appending needs: its size and the roots of
// the perfect subtrees that cover it, left to right (a compact range, at most
// 64 hashes). The flusher keeps it beside the ledger.
type Head struct {
	Size   uint64
	Hashes [][]byte
}

// Append returns the head after appending leaves, given as leaf hashes.
func (h Head) Append(leafHashes [][]byte) (Head, error) {
	r, err := factory.NewRange(0, h.Size, h.Hashes)
	if err != nil {
		return Head{}, fmt.Errorf("log head of size %d: %w", h.Size, err)
	}
	for _, l := range leafHashes {
		if err := r.Append(l, nil); err != nil {
			return Head{}, fmt.Errorf("append to log of size %d: %w", r.End(), err)
		}
	}
	return Head{Size: r.End(), Hashes: r.Hashes()}, nil
}

// Root returns the head's root hash.
func (h Head) Root() ([]byte, error) {
	if h.Size == 0 {
		return EmptyRoot(), nil
	}
	r, err := factory.NewRange(0, h.Size, h.Hashes)
	if err != nil {
		return nil, fmt.Errorf("log head of size %d: %w", h.Size, err)
	}
	return r.GetRootHash(nil)
}

// Tree is a whole log in memory: every perfect subtree's hash, by level,
// about two hashes (64 bytes) per leaf, 84 MB for 1.3 million votes. It answers proofs for any size up to
// its own. It is not safe for concurrent use.
type Tree struct {
	r      *compact.Range
	levels [][][32]byte
}

// NewTree returns an empty tree.
func NewTree() *Tree { return &Tree{r: factory.NewEmptyRange(0)} }

// Append adds one leaf, given as its leaf hash.
func (t *Tree) Append(leafHash []byte) {
	// A range that starts at 0 can always be appended to.
	_ = t.r.Append(leafHash, func(id compact.NodeID, h []byte) {
		for len(t.levels) <= int(id.Level) {
			t.levels = append(t.levels, nil)
		}
		t.levels[id.Level] = append(t.levels[id.Level], [32]byte(h))
	})
}

// Size returns the number of leaves.
func (t *Tree) Size() uint64 { return t.r.End() }

// node returns the hash of a perfect subtree inside the tree.
func (t *Tree) node(id compact.NodeID) ([]byte, error) {
	if int(id.Level) >= len(t.levels) || id.Index >= uint64(len(t.levels[id.Level])) {
		return nil, fmt.Errorf("node %d/%d is beyond a tree of size %d", id.Level, id.Index, t.Size())
	}
	h := t.levels[id.Level][id.Index]
	return h[:], nil
}

// LeafHash returns the hash of leaf index.
func (t *Tree) LeafHash(index uint64) ([]byte, error) { return t.node(compact.NewNodeID(0, index)) }

// Root returns the root hash of the tree's first size leaves.
func (t *Tree) Root(size uint64) ([]byte, error) {
	if size > t.Size() {
		return nil, fmt.Errorf("root of size %d: the tree has %d leaves", size, t.Size())
	}
	if size == 0 {
		return EmptyRoot(), nil
	}
	ids := compact.RangeNodes(0, size, nil)
	hashes := make([][]byte, len(ids))
	for i, id := range ids {
		h, err := t.node(id)
		if err != nil {
			return nil, err
		}
		hashes[i] = h
	}
	r, err := factory.NewRange(0, size, hashes)
	if err != nil {
		return nil, err
	}
	return r.GetRootHash(nil)
}

// Inclusion returns the proof that leaf index is in the tree of the given
// size.
func (t *Tree) Inclusion(index, size uint64) ([][]byte, error) {
	if size > t.Size() {
		return nil, fmt.Errorf("inclusion proof in size %d: the tree has %d leaves", size, t.Size())
	}
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return t.rehash(nodes)
}

// Consistency returns the proof that the tree of size2 extends that of
// size1.
func (t *Tree) Consistency(size1, size2 uint64) ([][]byte, error) {
	if size2 > t.Size() {
		return nil, fmt.Errorf("consistency proof to size %d: the tree has %d leaves", size2, t.Size())
	}
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return t.rehash(nodes)
}

func (t *Tree) rehash(nodes proof.Nodes) ([][]byte, error) {
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		h, err := t.node(id)
		if err != nil {
			return nil, err
		}
		hashes[i] = h
	}
	return nodes.Rehash(hashes, hasher.HashChildren)
}
