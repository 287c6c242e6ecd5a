package api

import (
	"encoding/base64"
	"net/http"
	"sort"
	"sync/atomic"

	"github.com/gin-gonic/gin"
)

// Issuer holds the signer that issues access tokens now. Key rotation swaps
// the signer while requests use it.
type Issuer struct {
	cur atomic.Pointer[Signer]
}

// NewIssuer returns an issuer signing with s.
func NewIssuer(s *Signer) *Issuer {
	i := &Issuer{}
	i.cur.Store(s)
	return i
}

// Set makes s the signer of new tokens.
func (i *Issuer) Set(s *Signer) { i.cur.Store(s) }

// Signer returns the signer of new tokens.
func (i *Issuer) Signer() *Signer { return i.cur.Load() }

// jwk is one Ed25519 public key as RFC 8037 writes it.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Kid string `json:"kid"`
	X   string `json:"x"`
}

type jwks struct {
	Keys []jwk `json:"keys"`
}

// jwks is GET /.well-known/jwks.json: the keys this node verifies tokens
// with, so that another service can check our tokens itself. It lists the
// verifier's keys rather than the database's, so it never promises a key
// the node would refuse.
func (s *server) jwks(c *gin.Context) {
	keys := s.tokens.Keys()
	out := jwks{Keys: make([]jwk, 0, len(keys))}
	for kid, k := range keys {
		out.Keys = append(out.Keys, jwk{Kty: "OKP", Crv: "Ed25519", Alg: "EdDSA", Use: "sig", Kid: kid,
			X: base64.RawURLEncoding.EncodeToString(k)})
	}
	sort.Slice(out.Keys, func(i, j int) bool { return out.Keys[i].Kid < out.Keys[j].Kid })
	// Verifiers reload keys every minute; a client caching longer could miss
	// a rotated-in key.
	c.Header("Cache-Control", "public, max-age=60")
	c.JSON(http.StatusOK, out)
}
