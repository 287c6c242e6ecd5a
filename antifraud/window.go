package antifraud

import (
	"math"
	"math/bits"
	"sync"
)

// The ingest scorer keeps what it has seen recently in fixed-size tables of
// sliding windows, one entry per network, device or project. Memory is
// allocated once, when the scorer is made, and never grows: a table is an
// array of slots, each key may sit in one of tableWays slots of its set,
// and a new key takes an empty slot of its set or else the one touched
// longest ago. Keys are 64-bit hashes, so no string is kept. A lock per
// shard lets concurrent votes for different keys proceed in parallel.

const (
	tableShards = 64 // a power of two
	tableWays   = 4
)

// ingestTable is a fixed-size table of entries E keyed by a non-zero hash.
type ingestTable[E any] struct {
	shards [tableShards]ingestShard[E]
	sets   uint64 // sets per shard, a power of two
}

type ingestShard[E any] struct {
	mu   sync.Mutex
	keys []uint64 // 0 is an empty slot
	last []int64  // when each slot was last touched, for eviction
	ents []E
	used int
	// The padding keeps each shard's lock on its own cache lines.
	_ [40]byte
}

// newIngestTable returns a table of at least capacity slots (at least one
// set per shard), rounded up to a power of two.
func newIngestTable[E any](capacity int) *ingestTable[E] {
	perShard := max(1, (capacity+tableShards*tableWays-1)/(tableShards*tableWays))
	sets := uint64(1) << bits.Len(uint(perShard-1))
	t := &ingestTable[E]{sets: sets}
	n := int(sets) * tableWays
	for i := range t.shards {
		s := &t.shards[i]
		s.keys = make([]uint64, n)
		s.last = make([]int64, n)
		s.ents = make([]E, n)
	}
	return t
}

// shard returns the shard that holds key and key's set in it. The caller
// locks the shard around slot.
func (t *ingestTable[E]) shard(key uint64) (*ingestShard[E], uint64) {
	return &t.shards[key&(tableShards-1)], (key >> 6) & (t.sets - 1)
}

// slot returns key's entry in set, taking a slot for it when it has none:
// an empty one, or else the one touched longest ago, whose entry is
// cleared. now (any monotonic unit) marks the slot as touched. s.mu must be
// held.
func (s *ingestShard[E]) slot(key, set uint64, now int64) *E {
	base := int(set) * tableWays
	empty, oldest := -1, base
	for i := base; i < base+tableWays; i++ {
		switch k := s.keys[i]; {
		case k == key:
			s.last[i] = now
			return &s.ents[i]
		case k == 0:
			if empty < 0 {
				empty = i
			}
		case s.last[i] < s.last[oldest] || s.keys[oldest] == 0:
			oldest = i
		}
	}
	i := oldest
	if empty >= 0 {
		i = empty
		s.used++
	}
	var zero E
	s.keys[i], s.last[i], s.ents[i] = key, now, zero
	return &s.ents[i]
}

// Len returns how many slots hold an entry.
func (t *ingestTable[E]) Len() int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		n += s.used
		s.mu.Unlock()
	}
	return n
}

// Cap returns how many entries the table can hold.
func (t *ingestTable[E]) Cap() int { return tableShards * int(t.sets) * tableWays }

// nonZero returns h, or 1 for 0, which marks an empty slot.
func nonZero(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

// mix64 scrambles x into a well-spread 64-bit hash (the SplitMix64
// finaliser). Accounts are hashed with it, without a seed, so a sketch's
// estimate for the same accounts is the same in every process.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// The crowd window counts the votes and the distinct accounts seen on one
// network over crowdBuckets consecutive ticks: a sliding window that covers
// between crowdBuckets-1 and crowdBuckets ticks back from now. Distinct
// accounts are a HyperLogLog of hllRegisters registers per bucket, merged
// over the window: about 18% standard error, which is plenty for thresholds
// that ramp over a factor of ten. The merged registers, their sum and the
// window's votes are kept up to date as votes come and rebuilt from the
// buckets when the tick changes, so a vote costs a few operations.
const (
	crowdBuckets = 4
	hllBits      = 5
	hllRegisters = 1 << hllBits
)

type crowdWindow struct {
	ticks [crowdBuckets]int64
	votes [crowdBuckets]uint32
	regs  [crowdBuckets][hllRegisters]uint8

	// The window as of tick at: merged registers, the sum of 2^-r over
	// them, how many are 0, and its votes.
	at     int64
	merged [hllRegisters]uint8
	sum    float64
	zeros  int
	total  uint32
}

// add records a vote by the account whose hash is h at tick, and returns the
// votes and the estimated distinct accounts in the window ending at tick.
func (w *crowdWindow) add(tick int64, h uint64) (votes uint32, accounts float64) {
	b := int(uint64(tick) % crowdBuckets)
	if w.ticks[b] != tick {
		w.ticks[b], w.votes[b], w.regs[b] = tick, 0, [hllRegisters]uint8{}
	}
	if w.at != tick || w.sum == 0 {
		w.rebuild(tick)
	}
	w.votes[b]++
	w.total++
	j := h >> (64 - hllBits)
	r := uint8(bits.LeadingZeros64(h<<hllBits|1<<(hllBits-1)) + 1)
	if r > w.regs[b][j] {
		w.regs[b][j] = r
	}
	if old := w.merged[j]; r > old {
		w.sum += hllInverse[r] - hllInverse[old]
		if old == 0 {
			w.zeros--
		}
		w.merged[j] = r
	}
	return w.total, hllEstimate(w.sum, w.zeros)
}

// rebuild merges the buckets within the window ending at tick.
func (w *crowdWindow) rebuild(tick int64) {
	w.at, w.total, w.merged = tick, 0, [hllRegisters]uint8{}
	for i, t := range w.ticks {
		if t > tick-crowdBuckets && t <= tick {
			w.total += w.votes[i]
			for j, r := range &w.regs[i] {
				w.merged[j] = max(w.merged[j], r)
			}
		}
	}
	w.sum, w.zeros = 0, 0
	for _, r := range w.merged {
		w.sum += hllInverse[r]
		if r == 0 {
			w.zeros++
		}
	}
}

// hllInverse[r] is 2^-r, hllLinear[z] is the linear-counting estimate with
// z empty registers.
var hllInverse, hllLinear = func() (inv [66]float64, lin [hllRegisters + 1]float64) {
	for r := range inv {
		inv[r] = math.Ldexp(1, -r)
	}
	for z := 1; z <= hllRegisters; z++ {
		lin[z] = hllRegisters * math.Log(float64(hllRegisters)/float64(z))
	}
	return inv, lin
}()

// hllEstimate is the HyperLogLog estimate from the sum of 2^-r over the
// registers and the number of them at 0, with linear counting for small
// counts (where most of the thresholds sit).
func hllEstimate(sum float64, zeros int) float64 {
	const m = hllRegisters
	const alpha = 0.697 // the bias correction for 32 registers
	e := alpha * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		return hllLinear[zeros]
	}
	return e
}

// The device window remembers the last deviceAccounts distinct accounts
// seen with one device hint, and when each was last seen; counting those
// seen within the window is exact up to deviceAccounts, where the signal's
// ramp ends anyway.
const deviceAccounts = 16

type deviceWindow struct {
	accounts [deviceAccounts]uint32 // hashes; 0 is empty
	seen     [deviceAccounts]int64  // Unix seconds
}

// add records a vote by the account whose hash is h at now (Unix seconds),
// and returns how many distinct accounts used the device since now-window.
func (w *deviceWindow) add(now int64, h uint32, window int64) int {
	h |= 1
	at, oldest, n := -1, 0, 0
	for i, a := range w.accounts {
		switch {
		case a == h:
			at = i
		case w.seen[i] < w.seen[oldest]:
			oldest = i
		}
		if a != 0 && a != h && w.seen[i] > now-window {
			n++
		}
	}
	if at < 0 {
		at = oldest
		if w.accounts[at] != 0 && w.seen[at] > now-window {
			n-- // the account it replaces was counted
		}
		w.accounts[at] = h
	}
	w.seen[at] = now
	return n + 1
}

// The burst window counts votes from young accounts (one day old at most)
// for one project, or for all of one category, over burstBuckets ticks, and
// keeps what left the window as a decayed sum, the usual level the window is
// compared with.
const burstBuckets = 4

type burstWindow struct {
	ticks [burstBuckets]int64
	young [burstBuckets]uint32
	// base is the young votes that left the window, each weighed by
	// 2^-(age in ticks / half-life), as of baseTick.
	base     float64
	baseTick int64
}

// add records a vote at tick (a young account's when young is set) and
// returns the young votes in the window and the decayed count before it, as
// of tick.
func (w *burstWindow) add(tick int64, young bool, halfLife float64) (float64, float64) {
	for i, t := range w.ticks {
		if t > tick-burstBuckets {
			continue
		}
		// A bucket that left the window goes into the base.
		if n := w.young[i]; n > 0 {
			if t > w.baseTick {
				w.base = w.base*math.Exp2(-float64(t-w.baseTick)/halfLife) + float64(n)
				w.baseTick = t
			} else {
				w.base += float64(n) * math.Exp2(-float64(w.baseTick-t)/halfLife)
			}
		}
		w.young[i] = 0
	}
	b := int(uint64(tick) % burstBuckets)
	if w.ticks[b] != tick {
		w.ticks[b], w.young[b] = tick, 0
	}
	if young {
		w.young[b]++
	}
	var in uint32
	for i, t := range w.ticks {
		if t > tick-burstBuckets && t <= tick {
			in += w.young[i]
		}
	}
	base := w.base
	if base > 0 && tick > w.baseTick {
		base *= math.Exp2(-float64(tick-w.baseTick) / halfLife)
	}
	return float64(in), base
}
