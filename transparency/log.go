package transparency

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"sync"
	"time"
)

// Leaf is one vote of the log as the ledger holds it.
type Leaf struct {
	Index     uint64
	VoteID    string
	ProjectID string
	Category  string
}

// Hash returns the leaf's hash.
func (l Leaf) Hash() []byte { return LeafHash(LeafData(Receipt(l.VoteID), l.ProjectID, l.Category)) }

// Checkpoint is one signed checkpoint of an edition's log.
type Checkpoint struct {
	Size     uint64
	Root     []byte
	Note     []byte
	SignedAt time.Time
}

// Store is what the log needs from the ledger.
type Store interface {
	// Head returns the log head of edition, empty when it has none.
	Head(ctx context.Context, edition string) (Head, error)
	// EachLeaf calls fn with the leaves of edition's log from index from up
	// to, not including, to, in order.
	EachLeaf(ctx context.Context, edition string, from, to uint64, fn func(Leaf) error) error
	// Leaf returns the leaf of a vote; ErrUnknownVote when the vote has
	// none.
	Leaf(ctx context.Context, edition, voteID string) (Leaf, error)
	// AddCheckpoint keeps a signed checkpoint. A checkpoint of that size is
	// kept once: adding it again changes nothing, and the one kept is
	// returned.
	AddCheckpoint(ctx context.Context, edition string, cp Checkpoint) (Checkpoint, error)
	// LatestCheckpoint returns the largest checkpoint of edition's log;
	// ErrNoCheckpoint when there is none.
	LatestCheckpoint(ctx context.Context, edition string) (Checkpoint, error)
	// CheckpointAt returns the checkpoint of that size; ErrNoCheckpoint when
	// there is none.
	CheckpointAt(ctx context.Context, edition string, size uint64) (Checkpoint, error)
	// Unsigned returns the editions whose log head is larger than their
	// latest checkpoint.
	Unsigned(ctx context.Context) ([]string, error)
}

// Log signs checkpoints of the editions' logs and answers proofs against
// them, from a tree per edition kept in memory and grown from the ledger as
// checkpoints are signed.
type Log struct {
	Store Store
	// Signer returns the checkpoint signer (the results key).
	Signer func(ctx context.Context) (*Signer, error)
	Now    func() time.Time

	mu    sync.Mutex
	trees map[string]*Tree
}

// SignCheckpoints signs a checkpoint of every log that grew since its last
// one. serve calls it every minute.
func (l *Log) SignCheckpoints(ctx context.Context) error {
	editions, err := l.Store.Unsigned(ctx)
	if err != nil || len(editions) == 0 {
		return err
	}
	for _, e := range editions {
		h, err := l.Store.Head(ctx, e)
		if err != nil {
			return err
		}
		if _, err := l.Sign(ctx, e, h); err != nil {
			return err
		}
	}
	return nil
}

// Sign signs and keeps the checkpoint of edition's log at head h, and
// returns the one kept (an earlier one of the same size if there is one).
func (l *Log) Sign(ctx context.Context, edition string, h Head) (Checkpoint, error) {
	root, err := h.Root()
	if err != nil {
		return Checkpoint{}, err
	}
	s, err := l.Signer(ctx)
	if err != nil {
		return Checkpoint{}, err
	}
	note, err := s.Sign(edition, h.Size, root)
	if err != nil {
		return Checkpoint{}, err
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	return l.Store.AddCheckpoint(ctx, edition, Checkpoint{Size: h.Size, Root: root, Note: note, SignedAt: now()})
}

// tree returns edition's tree grown to at least size leaves, checked against
// root. The caller holds l.mu.
func (l *Log) tree(ctx context.Context, edition string, size uint64, root []byte) (*Tree, error) {
	if l.trees == nil {
		l.trees = map[string]*Tree{}
	}
	t := l.trees[edition]
	if t == nil {
		t = NewTree()
		l.trees[edition] = t
	}
	if t.Size() < size {
		err := l.Store.EachLeaf(ctx, edition, t.Size(), size, func(lf Leaf) error {
			if lf.Index != t.Size() {
				return fmt.Errorf("leaf %d of %s where %d was due: %w", lf.Index, edition, t.Size(), ErrLogMismatch)
			}
			t.Append(lf.Hash())
			return nil
		})
		if err != nil {
			delete(l.trees, edition)
			return nil, err
		}
	}
	got, err := t.Root(size)
	if err != nil {
		delete(l.trees, edition)
		return nil, fmt.Errorf("log of %s at size %d: %w", edition, size, ErrLogMismatch)
	}
	if !bytes.Equal(got, root) {
		delete(l.trees, edition)
		return nil, fmt.Errorf("the ledger's first %d votes of %s hash to %s, the checkpoint says %s: %w",
			size, edition, b64(got), b64(root), ErrLogMismatch)
	}
	return t, nil
}

// InclusionProof proves a vote is a leaf of the log at a signed checkpoint.
// Hashes are base64; docs/transparency.md describes each field.
type InclusionProof struct {
	Edition     string   `json:"edition"`
	VoteID      string   `json:"vote_id"`
	Receipt     string   `json:"receipt"`
	Index       uint64   `json:"leaf_index"`
	TreeSize    uint64   `json:"tree_size"`
	ProjectID   string   `json:"project_id"`
	Category    string   `json:"category"`
	Leaf        string   `json:"leaf"`
	Hashes      []string `json:"hashes"`
	Checkpoint  string   `json:"checkpoint"`
	Consistency []string `json:"consistency_to_final,omitempty"`
	// LatestSize is the size of the latest checkpoint, which Consistency
	// leads to from this one (when it is not this one).
	LatestSize uint64 `json:"latest_size"`
}

// Inclusion proves that vote voteID is in edition's log at the checkpoint of
// the given size, or at the latest checkpoint when size is 0; a proof
// against an older checkpoint comes with the consistency proof from it to
// the latest one.
func (l *Log) Inclusion(ctx context.Context, edition, voteID string, size uint64) (InclusionProof, error) {
	latest, err := l.Store.LatestCheckpoint(ctx, edition)
	if err != nil {
		return InclusionProof{}, err
	}
	cp := latest
	if size != 0 && size != latest.Size {
		if cp, err = l.Store.CheckpointAt(ctx, edition, size); err != nil {
			return InclusionProof{}, err
		}
	}
	leaf, err := l.Store.Leaf(ctx, edition, voteID)
	if err != nil {
		return InclusionProof{}, err
	}
	if leaf.Index >= cp.Size {
		return InclusionProof{}, fmt.Errorf("vote %s is leaf %d, after the checkpoint of size %d: %w", voteID, leaf.Index, cp.Size, ErrUnknownVote)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t, err := l.tree(ctx, edition, latest.Size, latest.Root)
	if err != nil {
		return InclusionProof{}, err
	}
	if root, err := t.Root(cp.Size); err != nil || !bytes.Equal(root, cp.Root) {
		return InclusionProof{}, fmt.Errorf("checkpoint %d of %s: %w", cp.Size, edition, ErrLogMismatch)
	}
	hashes, err := t.Inclusion(leaf.Index, cp.Size)
	if err != nil {
		return InclusionProof{}, err
	}
	p := InclusionProof{Edition: edition, VoteID: voteID, Receipt: Receipt(voteID), Index: leaf.Index, TreeSize: cp.Size,
		ProjectID: leaf.ProjectID, Category: leaf.Category, Leaf: b64(leaf.Hash()), Hashes: b64s(hashes),
		Checkpoint: string(cp.Note), LatestSize: latest.Size}
	if cp.Size < latest.Size {
		c, err := t.Consistency(cp.Size, latest.Size)
		if err != nil {
			return InclusionProof{}, err
		}
		p.Consistency = b64s(c)
	}
	return p, nil
}

// ConsistencyProof proves the log at checkpoint To extends the log at
// checkpoint From; both checkpoints come with it.
type ConsistencyProof struct {
	Edition        string   `json:"edition"`
	From           uint64   `json:"from"`
	To             uint64   `json:"to"`
	Hashes         []string `json:"hashes"`
	FromCheckpoint string   `json:"from_checkpoint"`
	ToCheckpoint   string   `json:"to_checkpoint"`
}

// Consistency proves that edition's log at checkpoint to extends the log at
// checkpoint from.
func (l *Log) Consistency(ctx context.Context, edition string, from, to uint64) (ConsistencyProof, error) {
	if from > to {
		return ConsistencyProof{}, fmt.Errorf("consistency from %d to %d: %w", from, to, ErrBadRange)
	}
	a, err := l.Store.CheckpointAt(ctx, edition, from)
	if err != nil {
		return ConsistencyProof{}, err
	}
	b, err := l.Store.CheckpointAt(ctx, edition, to)
	if err != nil {
		return ConsistencyProof{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t, err := l.tree(ctx, edition, b.Size, b.Root)
	if err != nil {
		return ConsistencyProof{}, err
	}
	hashes, err := t.Consistency(from, to)
	if err != nil {
		return ConsistencyProof{}, err
	}
	return ConsistencyProof{Edition: edition, From: from, To: to, Hashes: b64s(hashes),
		FromCheckpoint: string(a.Note), ToCheckpoint: string(b.Note)}, nil
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func b64s(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b64(b)
	}
	return out
}

// Checkpoint returns edition's checkpoint of the given size, or its latest
// when size is 0.
func (l *Log) Checkpoint(ctx context.Context, edition string, size uint64) (Checkpoint, error) {
	if size == 0 {
		return l.Store.LatestCheckpoint(ctx, edition)
	}
	return l.Store.CheckpointAt(ctx, edition, size)
}
