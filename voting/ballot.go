package voting

import (
	"crypto/hmac"
	"crypto/sha256"
	"slices"
	"strings"
)

// BallotOrder returns ps in the order one reader sees them on the ballot of
// a category. The order is a keyed pseudo-random permutation: each project
// is ranked by HMAC-SHA256 under the edition's ballot key of (category,
// seed, project id), so the same seed always gives the same order, different
// seeds give independent orders, and without the key nobody can tell which
// order another reader sees. The seed is the voter for a signed-in reader
// (stable for that voter) and the day for anonymous readers.
//
// editionKey is derived per edition (see EditionBallotKey). ps is not
// modified.
func BallotOrder(editionKey []byte, category, seed string, ps []Project) []Project {
	type ranked struct {
		rank [sha256.Size]byte
		p    Project
	}
	rs := make([]ranked, len(ps))
	mac := hmac.New(sha256.New, editionKey)
	for i, p := range ps {
		mac.Reset()
		mac.Write([]byte(category))
		mac.Write([]byte{0})
		mac.Write([]byte(seed))
		mac.Write([]byte{0})
		mac.Write([]byte(p.ID))
		copy(rs[i].rank[:], mac.Sum(nil))
		rs[i].p = p
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		if c := strings.Compare(string(a.rank[:]), string(b.rank[:])); c != 0 {
			return c
		}
		return strings.Compare(a.p.ID, b.p.ID)
	})
	out := make([]Project, len(rs))
	for i, r := range rs {
		out[i] = r.p
	}
	return out
}

// EditionBallotKey derives the ballot key of one edition from a service
// secret, so that every edition orders its ballots independently and a key
// never has to be stored per edition.
func EditionBallotKey(secret []byte, edition string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("ballot-order"))
	mac.Write([]byte{0})
	mac.Write([]byte(edition))
	return mac.Sum(nil)
}
