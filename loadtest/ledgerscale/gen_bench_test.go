package ledgerscale

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

func BenchmarkVotes_Next(b *testing.B) {
	var cats []string
	var projects [][]string
	for c := range 18 {
		cats = append(cats, "C"+string(rune('a'+c)))
		var ps []string
		for range 20 {
			ps = append(ps, uuid.NewString())
		}
		projects = append(projects, ps)
	}
	bl := newBallot("e", cats, projects, 1.1, newRand(1, 1))
	v := newVotes(&bl, 1, int64(b.N), 1, time.Now())
	for v.Next() {
		v.Values()
	}
}
