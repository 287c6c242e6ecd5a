package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The proof-of-work puzzle, in the spirit of ALTCHA: the server picks a
// secret number n up to MaxNumber and publishes SHA-256(salt + n) with an
// HMAC signature over it; the client finds n by trying every number in turn,
// which takes MaxNumber/2 hashes on average, while checking an answer takes
// one hash and one HMAC. The salt carries the expiry, the purpose and the id
// of the signing key, so all of them are covered by the signature and no
// state is kept until a solution is spent. No cookie and no third party are
// involved.

// Purposes a challenge is issued for; a solution only passes for its own.
const (
	PurposeCode = "code"
	PurposeVote = "vote"
)

// Algorithm is the only puzzle hash.
const Algorithm = "SHA-256"

// Challenge is a puzzle as the client receives it.
type Challenge struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	MaxNumber int64  `json:"maxnumber"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// Solution is a solved puzzle as the client sends it back, base64-encoded
// JSON in the X-Challenge header (see Encode).
type Solution struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	Number    int64  `json:"number"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// Encode returns the solution as the X-Challenge header carries it.
func (s Solution) Encode() string {
	b, _ := json.Marshal(s)
	return base64.StdEncoding.EncodeToString(b)
}

// maxSolution bounds the encoded solutions DecodeSolution reads.
const maxSolution = 2 << 10

// DecodeSolution reads an X-Challenge header. An empty header is
// ErrChallengeRequired; anything that does not decode is ErrChallengeInvalid.
func DecodeSolution(header string) (Solution, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return Solution{}, fmt.Errorf("decode challenge solution: %w", ErrChallengeRequired)
	}
	if len(header) > maxSolution {
		return Solution{}, fmt.Errorf("decode challenge solution: longer than %d bytes: %w", maxSolution, ErrChallengeInvalid)
	}
	raw, err := base64.StdEncoding.DecodeString(header)
	if err != nil {
		if raw, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(header, "=")); err != nil {
			return Solution{}, fmt.Errorf("decode challenge solution: not base64: %w", ErrChallengeInvalid)
		}
	}
	var s Solution
	if err := json.Unmarshal(raw, &s); err != nil {
		return Solution{}, fmt.Errorf("decode challenge solution: not JSON: %w", ErrChallengeInvalid)
	}
	return s, nil
}

// puzzle is the signed content of a challenge, as read back from its salt.
type puzzle struct {
	expires time.Time
	purpose string
	keyID   string
}

// newChallenge makes a puzzle for purpose, signed with key, that expires at
// expires and needs up to maxNumber hashes. rnd supplies the salt and the
// secret number.
func newChallenge(rnd io.Reader, key Secret, purpose string, expires time.Time, maxNumber int64) (Challenge, error) {
	var b [20]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return Challenge{}, fmt.Errorf("new challenge: %w", err)
	}
	q := url.Values{}
	q.Set("expires", strconv.FormatInt(expires.Unix(), 10))
	q.Set("k", key.ID)
	q.Set("p", purpose)
	salt := hex.EncodeToString(b[:12]) + "?" + q.Encode()
	number := int64(binary.BigEndian.Uint64(b[12:]) % uint64(maxNumber+1))
	sum := sha256.Sum256([]byte(salt + strconv.FormatInt(number, 10)))
	challenge := hex.EncodeToString(sum[:])
	return Challenge{
		Algorithm: Algorithm,
		Challenge: challenge,
		MaxNumber: maxNumber,
		Salt:      salt,
		Signature: hex.EncodeToString(mac(key.Key, "challenge", challenge)),
	}, nil
}

// verify checks a solution for purpose at now: signed by a key of the ring,
// not expired, for this purpose, and solved. It does not spend it. Its
// errors wrap ErrChallengeInvalid.
func (k *keyring) verify(s Solution, purpose string, now time.Time) (puzzle, error) {
	bad := func(why string) (puzzle, error) {
		return puzzle{}, fmt.Errorf("verify challenge: %s: %w", why, ErrChallengeInvalid)
	}
	if s.Algorithm != Algorithm {
		return bad("unknown algorithm")
	}
	_, query, ok := strings.Cut(s.Salt, "?")
	if !ok {
		return bad("salt carries no parameters")
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return bad("salt parameters do not parse")
	}
	p := puzzle{purpose: q.Get("p"), keyID: q.Get("k")}
	exp, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	if err != nil {
		return bad("no expiry")
	}
	p.expires = time.Unix(exp, 0)
	key, ok := k.challengeKey(p.keyID)
	if !ok {
		return bad("unknown signing key")
	}
	sig, err := hex.DecodeString(s.Signature)
	if err != nil || !hmac.Equal(sig, mac(key, "challenge", s.Challenge)) {
		return bad("bad signature")
	}
	// The signature covers the challenge, and the challenge covers the salt
	// once the number is shown to match, so the parameters read above are
	// trusted only after this check.
	sum := sha256.Sum256([]byte(s.Salt + strconv.FormatInt(s.Number, 10)))
	if s.Number < 0 || hex.EncodeToString(sum[:]) != s.Challenge {
		return bad("wrong number")
	}
	if !now.Before(p.expires) {
		return bad("expired")
	}
	if p.purpose != purpose {
		return bad(fmt.Sprintf("issued for %q, not %q", p.purpose, purpose))
	}
	return p, nil
}

// ErrUnsolvable means a puzzle has no solution up to its MaxNumber: it was
// not made by this package, or was tampered with.
var ErrUnsolvable = errors.New("challenge has no solution")

// Solve finds the number of a challenge by trying each in turn, as a browser
// does, and returns the solution to send back. It is the solver of the load
// generator and of tests; it stops with ctx's error when ctx ends.
func Solve(ctx context.Context, c Challenge) (Solution, error) {
	if c.Algorithm != Algorithm {
		return Solution{}, fmt.Errorf("solve challenge: algorithm %q: %w", c.Algorithm, ErrUnsolvable)
	}
	want, err := hex.DecodeString(c.Challenge)
	if err != nil || len(want) != sha256.Size {
		return Solution{}, fmt.Errorf("solve challenge: challenge is not a SHA-256 digest: %w", ErrUnsolvable)
	}
	buf := make([]byte, 0, len(c.Salt)+20)
	buf = append(buf, c.Salt...)
	for n := int64(0); n <= c.MaxNumber; n++ {
		if n&0xffff == 0 && ctx.Err() != nil {
			return Solution{}, fmt.Errorf("solve challenge: %w", ctx.Err())
		}
		buf = strconv.AppendInt(buf[:len(c.Salt)], n, 10)
		if sum := sha256.Sum256(buf); hmac.Equal(sum[:], want) {
			return Solution{Algorithm: c.Algorithm, Challenge: c.Challenge, Number: n, Salt: c.Salt, Signature: c.Signature}, nil
		}
	}
	return Solution{}, fmt.Errorf("solve challenge: %w", ErrUnsolvable)
}

// Difficulty decides how much work a challenge asks for. It starts at Base
// hashes and doubles for every doubling of load past LoadThreshold and of
// one client's requests past ClientThreshold, and once more for a client
// that looks scripted, up to Max.
type Difficulty struct {
	Base int64
	Max  int64
	// LoadThreshold is how many challenges of one purpose a minute, across
	// every node, are ordinary.
	LoadThreshold int64
	// ClientThreshold is how many challenges a minute one client address
	// may ask for before its puzzles get harder.
	ClientThreshold int64
}

// DefaultDifficulty asks about 50,000 hashes of an ordinary visitor: a
// fraction of a second in a phone's browser, and a real cost for whoever
// wants millions.
func DefaultDifficulty() Difficulty {
	return Difficulty{Base: 50_000, Max: 5_000_000, LoadThreshold: 3_000, ClientThreshold: 20}
}

// For returns the MaxNumber of a challenge, given the challenges of its
// purpose issued this minute, those the client asked for this minute, and
// whether the client looks scripted.
func (d Difficulty) For(load, client int64, suspicious bool) int64 {
	level := doublings(load, d.LoadThreshold) + doublings(client, d.ClientThreshold)
	if suspicious {
		level++
	}
	n := d.Base
	for range min(level, 40) {
		if n >= d.Max/2 {
			return d.Max
		}
		n *= 2
	}
	return min(n, d.Max)
}

// doublings is how many times n doubled past threshold: 0 at or below it, 1
// up to twice it, 2 up to four times, and so on.
func doublings(n, threshold int64) int {
	if threshold <= 0 || n <= threshold {
		return 0
	}
	return bits.Len64(uint64((n - 1) / threshold))
}
