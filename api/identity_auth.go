package api

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/web"
)

// maxAuthBody bounds the sign-in request bodies, which hold an address, a
// code, a name and a country at most.
const maxAuthBody = 4 << 10

// ChallengeHeader carries a solved proof-of-work challenge, base64 JSON as
// identity.Solution.Encode writes it.
const ChallengeHeader = "X-Challenge"

// identityClient is where a request came from, as identity sees it.
func identityClient(c *gin.Context, ip netip.Addr) identity.Client {
	return identity.Client{IP: ip, UserAgent: clean(c.Request.UserAgent(), maxUserAgent)}
}

// challenge is GET /api/v1/challenge?purpose=code|vote: a signed puzzle.
func (s *server) challenge(c *gin.Context) {
	purpose := c.DefaultQuery("purpose", identity.PurposeCode)
	ch, err := s.ident.signIn.IssueChallenge(c.Request.Context(), identity.ChallengeRequest{
		Purpose: purpose, Client: identityClient(c, clientAddr(c))})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ch)
}

type codeRequest struct {
	Email string `json:"email"`
}

type statusBody struct {
	Status string `json:"status"`
}

// requestCode is POST /api/v1/auth/email-code {"email"} with a solved
// challenge in X-Challenge. It answers 202 alike for every address that
// passes the checks, so it tells nobody which addresses have accounts.
func (s *server) requestCode(c *gin.Context) {
	var req codeRequest
	if err := decodeBody(c, maxAuthBody, &req); err != nil {
		s.fail(c, fmt.Errorf("request code: %w", err))
		return
	}
	err := s.ident.signIn.RequestCode(c.Request.Context(), identity.CodeRequest{
		Email: req.Email, Solution: c.GetHeader(ChallengeHeader), Client: identityClient(c, clientAddr(c))})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, statusBody{Status: "sent"})
}

type tokenRequest struct {
	Email       string `json:"email"`
	Code        string `json:"code"`
	DisplayName string `json:"display_name"`
	Country     string `json:"country"`
}

type jurorJSON struct {
	Edition  string `json:"edition"`
	Category string `json:"category"`
}

type accountJSON struct {
	ID          int64       `json:"id"`
	Email       string      `json:"email"`
	DisplayName string      `json:"display_name"`
	Country     string      `json:"country"`
	CreatedAt   time.Time   `json:"created_at"`
	Roles       []string    `json:"roles"`
	Jury        []jurorJSON `json:"jury"`
}

func accountOf(a identity.Account, grants []identity.Grant) accountJSON {
	out := accountJSON{ID: a.ID, Email: a.Email, DisplayName: a.DisplayName, Country: a.Country,
		CreatedAt: a.CreatedAt.UTC(), Roles: identity.Roles(grants), Jury: []jurorJSON{}}
	for _, g := range grants {
		if g.Role == identity.RoleJuror {
			out.Jury = append(out.Jury, jurorJSON{Edition: g.Edition, Category: g.Category})
		}
	}
	return out
}

type tokenResponse struct {
	AccessToken      string      `json:"access_token"`
	TokenType        string      `json:"token_type"`
	ExpiresIn        int64       `json:"expires_in"`
	RefreshToken     string      `json:"refresh_token"`
	RefreshExpiresAt time.Time   `json:"refresh_expires_at"`
	Account          accountJSON `json:"account"`
}

// issue answers a session with a new access token carrying the account's
// roles and juror scopes, and for the vote path's fraud scorer when the
// session began and the class of the account's email domain.
func (s *server) issue(c *gin.Context, sess identity.Session) {
	acct := accountOf(sess.Account, sess.Grants)
	tok, err := s.accessToken(sess)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, tokenResponse{
		AccessToken: tok, TokenType: "Bearer", ExpiresIn: int64(s.ident.accessTTL / time.Second),
		RefreshToken: sess.Refresh, RefreshExpiresAt: sess.RefreshExpires.UTC(), Account: acct,
	})
}

// accessToken signs the access token of a session: the account's roles
// and juror scopes, and for the vote path's fraud scorer when the session
// began and the class of the account's email domain.
func (s *server) accessToken(sess identity.Session) (string, error) {
	acct := accountOf(sess.Account, sess.Grants)
	claims := Claims{Role: RoleVoter, Roles: acct.Roles, Since: sess.Account.CreatedAt.Unix(), EmailClass: sess.EmailClass}
	if !sess.SignedInAt.IsZero() {
		claims.AuthTime = sess.SignedInAt.Unix()
	}
	claims.Subject = strconv.FormatInt(sess.Account.ID, 10)
	for _, j := range acct.Jury {
		claims.Jury = append(claims.Jury, JurorScope(j))
	}
	tok, err := s.ident.issuer.Signer().IssueClaims(claims, s.ident.accessTTL)
	if err != nil {
		return "", fmt.Errorf("issue access token: %w", err)
	}
	return tok, nil
}

// signInToken is POST /api/v1/auth/token {"email","code"[,"display_name",
// "country"]}: an access token and a refresh token.
func (s *server) signInToken(c *gin.Context) {
	var req tokenRequest
	if err := decodeBody(c, maxAuthBody, &req); err != nil {
		s.fail(c, fmt.Errorf("sign in: %w", err))
		return
	}
	sess, err := s.ident.signIn.SignIn(c.Request.Context(), identity.SignInRequest{
		Email: req.Email, Code: req.Code, Client: identityClient(c, clientAddr(c)),
		Profile: identity.Profile{DisplayName: req.DisplayName, Country: req.Country},
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.issue(c, sess)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// refreshToken is POST /api/v1/auth/refresh {"refresh_token"}: the next
// refresh token of the family and a new access token with current roles.
func (s *server) refreshToken(c *gin.Context) {
	var req refreshRequest
	if err := decodeBody(c, maxAuthBody, &req); err != nil {
		s.fail(c, fmt.Errorf("refresh: %w", err))
		return
	}
	sess, err := s.ident.signIn.Refresh(c.Request.Context(), identity.RefreshRequest{
		Token: req.RefreshToken, Client: identityClient(c, clientAddr(c))})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.issue(c, sess)
}

// signOut is POST /api/v1/auth/sign-out {"refresh_token"}: the session ends.
// Access tokens already issued run out within their 15 minutes.
func (s *server) signOut(c *gin.Context) {
	var req refreshRequest
	if err := decodeBody(c, maxAuthBody, &req); err != nil {
		s.fail(c, fmt.Errorf("sign out: %w", err))
		return
	}
	if err := s.ident.signIn.SignOut(c.Request.Context(), req.RefreshToken); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// powScript is GET /static/pow.js: the browser solver of the challenge.
func (s *server) powScript(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=3600")
	c.Data(http.StatusOK, "text/javascript; charset=utf-8", web.PowJS())
}
