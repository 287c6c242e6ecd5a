package fraudgen

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Streams of randomness: each part of the traffic draws from its own, so
// that changing one attack's size leaves the honest traffic and the other
// attacks as they were.
const (
	streamWorld = iota + 1
	streamPopularity
	streamHonest
	streamCrowds
	streamIDs
	streamAttack // + the attack's index
)

func newRand(seed uint64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(mix(seed), mix(seed^(stream*0x9e3779b97f4a7c15+1))))
}

// mix is the SplitMix64 finaliser: it spreads consecutive numbers over the
// whole range.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// weighted is a value drawn with a weight.
type weighted struct {
	s string
	w float64
}

func appendCDF(cdf []float64, w float64) []float64 {
	last := 0.0
	if len(cdf) > 0 {
		last = cdf[len(cdf)-1]
	}
	return append(cdf, last+w)
}

// pick draws an index with the weights whose running sums are cdf.
func pick(r *rand.Rand, cdf []float64) int {
	u := r.Float64() * cdf[len(cdf)-1]
	i, _ := slices.BinarySearch(cdf, u)
	return min(i, len(cdf)-1)
}

func pickWeighted(r *rand.Rand, ws []weighted) string {
	total := 0.0
	for _, w := range ws {
		total += w.w
	}
	u := r.Float64() * total
	for _, w := range ws {
		if u < w.w {
			return w.s
		}
		u -= w.w
	}
	return ws[len(ws)-1].s
}

// zipfWeights returns n weights, the k-th (from 1) proportional to 1/k^s,
// summing to 1.
func zipfWeights(n int, s float64) []float64 {
	w := make([]float64, n)
	total := 0.0
	for k := range w {
		w[k] = 1 / math.Pow(float64(k+1), s)
		total += w[k]
	}
	for k := range w {
		w[k] /= total
	}
	return w
}

// logNormal draws a positive number whose logarithm is normal, with the
// given median and spread.
func logNormal(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

// between draws uniformly from [lo, hi).
func between(r *rand.Rand, lo, hi float64) float64 { return lo + r.Float64()*(hi-lo) }

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// poisson draws a Poisson count with mean m (normal approximation above
// 30).
func poisson(r *rand.Rand, m float64) int {
	if m > 30 {
		return max(0, int(math.Round(m+math.Sqrt(m)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-m), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// syllables build invented names: domains of organisations, disposable
// mail services and attackers' throwaway sites.
var (
	onsets = []string{"b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "ch", "sh", "br", "tr", "kw", "ny", "mb", "nd"}
	nuclei = []string{"a", "e", "i", "o", "u", "a", "e", "i", "ai", "ou"}
)

func inventName(r *rand.Rand, syl int) string {
	b := make([]byte, 0, 12)
	for i := 0; i < syl; i++ {
		b = append(b, onsets[r.IntN(len(onsets))]...)
		b = append(b, nuclei[r.IntN(len(nuclei))]...)
	}
	if chance(r, 0.3) {
		b = append(b, "nrlskt"[r.IntN(6)])
	}
	return string(b)
}
