package api

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/wsisvote/prizes/internal/kind"
)

// Roles a token can carry (RoleOwner and RoleJuror are in prizes_roles.go).
// Tokens from a sign-in carry every role of the account (voter and owner
// always, juror and organiser when granted); tokens minted for rehearsals
// carry the voter role alone.
const (
	RoleVoter     = "voter"
	RoleOrganiser = "organiser"
)

// AnyRole is every role, for routes open to anyone signed in.
var AnyRole = []string{RoleVoter, RoleOwner, RoleJuror, RoleOrganiser}

// Token limits.
const (
	// maxToken bounds the tokens Verify parses; ours are about 250 bytes.
	maxToken = 4 << 10
	// clockSkew is how far apart the clocks of the nodes that issue and
	// verify tokens may be.
	clockSkew = 5 * time.Second
	// DefaultTokenCache is how many verified tokens a Verifier remembers
	// unless told otherwise.
	DefaultTokenCache = 1 << 17
)

// Claims are the claims of a service token. The subject is the account id in
// decimal.
type Claims struct {
	jwt.RegisteredClaims
	// Role is the token's main role; voter for every sign-in.
	Role string `json:"role"`
	// Roles are all the roles of the account, Role among them; rehearsal
	// tokens leave it out.
	Roles []string `json:"roles,omitempty"`
	// Jury lists the edition and category of each juror grant.
	Jury []JurorScope `json:"jury,omitempty"`
	// Since is when the account was created, in Unix seconds.
	Since int64 `json:"since,omitempty"`
	// AuthTime is when the session began (its sign-in, which refreshing
	// keeps), in Unix seconds, as OpenID Connect names it.
	AuthTime int64 `json:"auth_time,omitempty"`
	// EmailClass is the class of the account's email domain
	// (voting.EmailDisposable, EmailFree or EmailOrganisation); the
	// address itself is never in a token.
	EmailClass string `json:"email_class,omitempty"`
}

// JurorScope is the edition and category a juror scores.
type JurorScope struct {
	Edition  string `json:"e"`
	Category string `json:"c"`
}

// HasRole reports whether the claims carry role.
func (c Claims) HasRole(role string) bool {
	return c.Role == role || slices.Contains(c.Roles, role)
}

// JurorOf reports whether the claims make their holder a juror of category
// in edition. A juror sees and scores only the finalists of their scopes.
func (c Claims) JurorOf(edition, category string) bool {
	if !c.HasRole(RoleJuror) {
		return false
	}
	return slices.Contains(c.Jury, JurorScope{Edition: edition, Category: category})
}

// AccountID returns the subject as an account id, or false when it is not
// one.
func (c Claims) AccountID() (int64, bool) {
	id, err := strconv.ParseInt(c.Subject, 10, 64)
	return id, err == nil && id > 0
}

// Signer issues EdDSA (Ed25519) tokens under one key id. It is safe for
// concurrent use.
type Signer struct {
	kid string
	key ed25519.PrivateKey
	now func() time.Time
}

// NewSigner returns a signer for key under the key id kid, which verifiers
// use to pick the public key. now is the clock (time.Now when nil).
func NewSigner(kid string, key ed25519.PrivateKey, now func() time.Time) (*Signer, error) {
	if kid == "" {
		return nil, errors.New("new token signer: key id is empty")
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("new token signer %q: private key is %d bytes, want %d", kid, len(key), ed25519.PrivateKeySize)
	}
	if now == nil {
		now = time.Now
	}
	return &Signer{kid: kid, key: key, now: now}, nil
}

// Issue returns a token for subject with role, valid from now for ttl. since
// is when the account was created; the zero time leaves it out.
func (s *Signer) Issue(subject, role string, since time.Time, ttl time.Duration) (string, error) {
	if subject == "" || role == "" || ttl <= 0 {
		return "", fmt.Errorf("issue token: subject %q, role %q and ttl %v must all be set", subject, role, ttl)
	}
	now := s.now()
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   subject,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Role: role,
	}
	if !since.IsZero() {
		c.Since = since.Unix()
	}
	return s.sign(c)
}

// IssueClaims returns a token with c's subject, roles and scopes, valid from
// now for ttl; the times in c are replaced.
func (s *Signer) IssueClaims(c Claims, ttl time.Duration) (string, error) {
	if c.Subject == "" || c.Role == "" || ttl <= 0 {
		return "", fmt.Errorf("issue token: subject %q, role %q and ttl %v must all be set", c.Subject, c.Role, ttl)
	}
	now := s.now()
	c.IssuedAt = jwt.NewNumericDate(now)
	c.NotBefore = jwt.NewNumericDate(now)
	c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	return s.sign(c)
}

func (s *Signer) sign(c Claims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = s.kid
	signed, err := t.SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("issue token for %q: %w", c.Subject, err)
	}
	return signed, nil
}

// KeyID returns the id of the signer's key.
func (s *Signer) KeyID() string { return s.kid }

// Verifier checks tokens against a set of Ed25519 public keys by key id. It
// remembers the tokens it verified until they expire, so the vote path checks
// a signature once per token rather than once per request. It is safe for
// concurrent use.
type Verifier struct {
	keys atomic.Pointer[map[string]ed25519.PublicKey]
	// gen counts key withdrawals. A token is remembered with the generation
	// it was verified under and only found again under the same one, so a
	// verification racing a withdrawal cannot outlive it in the cache.
	gen    atomic.Uint64
	now    func() time.Time
	parser *jwt.Parser
	cache  *tokenCache // nil when caching is off
}

// VerifierOption tunes a Verifier.
type VerifierOption func(*verifierOptions)

type verifierOptions struct {
	cacheSize int
}

// WithCacheSize bounds how many verified tokens the verifier remembers; zero
// or less turns the cache off.
func WithCacheSize(n int) VerifierOption {
	return func(o *verifierOptions) { o.cacheSize = n }
}

// NewVerifier returns a verifier that accepts tokens signed by the private
// half of keys[kid]. now is the clock (time.Now when nil).
func NewVerifier(keys map[string]ed25519.PublicKey, now func() time.Time, opts ...VerifierOption) (*Verifier, error) {
	own, err := copyKeys(keys)
	if err != nil {
		return nil, fmt.Errorf("new token verifier: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	o := verifierOptions{cacheSize: DefaultTokenCache}
	for _, opt := range opts {
		opt(&o)
	}
	v := &Verifier{
		now: now,
		// Only EdDSA is accepted: a token naming "none" or an HMAC algorithm
		// (signed, say, with the public key's bytes as the secret) is refused
		// before any key is looked at.
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(clockSkew),
			jwt.WithTimeFunc(now),
			jwt.WithStrictDecoding(),
		),
	}
	v.keys.Store(&own)
	if o.cacheSize > 0 {
		v.cache = newTokenCache(o.cacheSize)
	}
	return v, nil
}

// SetKeys replaces the verification keys, for key rotation. When a key is
// withdrawn or replaced, every remembered token is forgotten, so a token
// signed with a withdrawn key stops working at once rather than at its
// expiry. On error the current keys stay in force.
func (v *Verifier) SetKeys(keys map[string]ed25519.PublicKey) error {
	own, err := copyKeys(keys)
	if err != nil {
		return fmt.Errorf("set token verification keys: %w", err)
	}
	old := *v.keys.Swap(&own)
	for kid, k := range old {
		if nk, ok := own[kid]; !ok || !k.Equal(nk) {
			v.gen.Add(1)
			if v.cache != nil {
				v.cache.clear()
			}
			break
		}
	}
	return nil
}

func copyKeys(keys map[string]ed25519.PublicKey) (map[string]ed25519.PublicKey, error) {
	if len(keys) == 0 {
		return nil, errors.New("no keys")
	}
	own := make(map[string]ed25519.PublicKey, len(keys))
	for kid, k := range keys {
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("key %q is %d bytes, want %d", kid, len(k), ed25519.PublicKeySize)
		}
		own[kid] = k
	}
	return own, nil
}

// Verify checks token's signature, algorithm, key id and times, and returns
// its claims. Every error wraps kind.ErrUnauthenticated.
func (v *Verifier) Verify(token string) (Claims, error) {
	if len(token) > maxToken {
		return Claims{}, fmt.Errorf("verify token: longer than %d bytes: %w", maxToken, kind.ErrUnauthenticated)
	}
	now := v.now()
	// The generation is read before the keys are, so a token verified with
	// keys that are being withdrawn is remembered under a stale generation.
	gen := v.gen.Load()
	var sum [sha256.Size]byte
	if v.cache != nil {
		sum = tokenKey(token)
		if c, ok := v.cache.get(sum, gen, now); ok {
			return c, nil
		}
	}
	var c Claims
	if _, err := v.parser.ParseWithClaims(token, &c, v.key); err != nil {
		return Claims{}, fmt.Errorf("verify token: %w: %w", kind.ErrUnauthenticated, err)
	}
	// The parser requires an expiry, so ExpiresAt is set here.
	if exp := c.ExpiresAt.Time; v.cache != nil && now.Before(exp) {
		v.cache.put(sum, c, gen, exp, now)
	}
	return c, nil
}

// Keys returns the verification keys in force, by key id.
func (v *Verifier) Keys() map[string]ed25519.PublicKey { return *v.keys.Load() }

func (v *Verifier) key(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	k, ok := (*v.keys.Load())[kid]
	if !ok {
		return nil, errors.New("unknown key id")
	}
	return k, nil
}
