package api_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/internal/kind"
)

// TestVerifier_CacheKeysWholeToken checks that a token is found in the
// cache only by all of its bytes: once a token is cached, the same token
// with one character of its signature changed is still refused, for a token
// of the usual size and for one long enough to be hashed another way.
func TestVerifier_CacheKeysWholeToken(t *testing.T) {
	f := newFixture(t)
	short := f.token(t, "42", api.RoleVoter)
	claims := api.Claims{RegisteredClaims: jwt.RegisteredClaims{Subject: "42"}, Role: api.RoleVoter,
		Roles: []string{api.RoleVoter, api.RoleJuror}}
	for i := range 40 {
		claims.Jury = append(claims.Jury, api.JurorScope{Edition: "demo", Category: fmt.Sprintf("category-%02d", i)})
	}
	long, err := f.signer.IssueClaims(claims, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(long) <= 1<<10 {
		t.Fatalf("long token is only %d bytes, not past the 1 KiB hashed on the stack", len(long))
	}
	for _, tt := range []namedToken{{"usual size", short}, {"long", long}} {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 { // the second time from the cache
				if _, err := f.verify.Verify(tt.token); err != nil {
					t.Fatalf("Verify: %v", err)
				}
			}
			b := []byte(tt.token)
			i := len(b) - 10 // in the signature, past any prefix
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			if c, err := f.verify.Verify(string(b)); !errors.Is(err, kind.ErrUnauthenticated) {
				t.Errorf("altered token: claims %+v, error %v; want it refused", c, err)
			}
		})
	}
}
