package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/identity"
)

// The site's cookies. The __Host- prefix makes the browser refuse them
// unless they are Secure, for this host only and for every path; all are
// HttpOnly, so the tokens never reach a script, and SameSite=Lax.
const (
	accessCookie  = "__Host-access"
	refreshCookie = "__Host-refresh"
	csrfCookie    = "__Host-csrf"
	csrfField     = "csrf"
)

// visitor is who is reading a page: nobody, or a signed-in account.
type visitor struct {
	claims Claims
	id     int64
}

func (v visitor) signedIn() bool { return v.id != 0 }

// setCookie sets one of the site's cookies; maxAge 0 makes it last the
// browser session and a negative one deletes it.
func setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// visitorOf returns the signed-in account of the request: its access token
// when that verifies, or else a new one from its refresh token, which is
// rotated as the API's refresh route does. A session that cannot be
// renewed is forgotten.
func (st *site) visitorOf(c *gin.Context) visitor {
	if v, ok := c.Get("prizes.visitor"); ok {
		return v.(visitor)
	}
	v := st.resolveVisitor(c)
	c.Set("prizes.visitor", v)
	return v
}

func (st *site) resolveVisitor(c *gin.Context) visitor {
	if tok, err := c.Cookie(accessCookie); err == nil && tok != "" {
		if claims, err := st.tokens.Verify(tok); err == nil {
			if id, ok := claims.AccountID(); ok {
				return visitor{claims: claims, id: id}
			}
		}
	}
	refresh, err := c.Cookie(refreshCookie)
	if err != nil || refresh == "" || st.ident.signIn == nil {
		return visitor{}
	}
	sess, err := st.ident.signIn.Refresh(c.Request.Context(), identity.RefreshRequest{
		Token: refresh, Client: identityClient(c, clientAddr(c))})
	if err != nil {
		if kindOf(err).status != http.StatusServiceUnavailable {
			st.forgetSession(c)
		}
		return visitor{}
	}
	v, err := st.startSession(c, sess)
	if err != nil {
		return visitor{}
	}
	return v
}

// startSession signs an access token for sess and sets the session cookies.
func (st *site) startSession(c *gin.Context, sess identity.Session) (visitor, error) {
	tok, err := st.accessToken(sess)
	if err != nil {
		return visitor{}, err
	}
	claims, err := st.tokens.Verify(tok)
	if err != nil {
		return visitor{}, err
	}
	setCookie(c, accessCookie, tok, int(st.ident.accessTTL/time.Second))
	if left := sess.RefreshExpires.Sub(st.now()); left > 0 {
		setCookie(c, refreshCookie, sess.Refresh, int(left/time.Second))
	}
	id, _ := claims.AccountID()
	v := visitor{claims: claims, id: id}
	c.Set("prizes.visitor", v)
	return v, nil
}

func (st *site) forgetSession(c *gin.Context) {
	setCookie(c, accessCookie, "", -1)
	setCookie(c, refreshCookie, "", -1)
	c.Set("prizes.visitor", visitor{})
}

// csrfToken returns the token every state-changing form carries: an HMAC
// under the site key of the reader's CSRF cookie, which is made here when
// the reader has none yet. The cookie is renewed at sign-in and sign-out, so
// a token is bound to one session.
func (st *site) csrfToken(c *gin.Context) string {
	if seed := c.GetString("prizes.csrf"); seed != "" {
		return st.csrfOf(seed)
	}
	seed, err := c.Cookie(csrfCookie)
	if err != nil || len(seed) < 20 {
		seed = st.newCSRFSeed(c)
	}
	return st.csrfOf(seed)
}

func (st *site) newCSRFSeed(c *gin.Context) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	seed := base64.RawURLEncoding.EncodeToString(b)
	setCookie(c, csrfCookie, seed, 0)
	// A page rendered after this in the same request uses the new seed.
	c.Set("prizes.csrf", seed)
	return seed
}

func (st *site) csrfOf(seed string) string {
	mac := hmac.New(sha256.New, st.cfg.Key)
	mac.Write([]byte("csrf\x00"))
	mac.Write([]byte(seed))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// checkCSRF reports whether a posted form carries the token of the
// reader's CSRF cookie.
func (st *site) checkCSRF(c *gin.Context) bool {
	seed, err := c.Cookie(csrfCookie)
	if err != nil || seed == "" {
		return false
	}
	got := c.PostForm(csrfField)
	return hmac.Equal([]byte(got), []byte(st.csrfOf(seed)))
}
