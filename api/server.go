// Package api is the HTTP face of the service: it authenticates requests,
// decodes them, calls the voting domain and maps its errors to HTTP statuses
// and stable JSON codes. It is the only package that knows Gin and JWT; a
// *gin.Context never leaves it.
package api

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/voting"
)

// Caster casts votes; *voting.Service is one.
type Caster interface {
	// Cast records b. It returns voting.ErrUnknownEdition, ErrUnknownProject,
	// ErrNotNominated, ErrClosed, ErrInvalid, ErrDuplicate or ErrUnavailable,
	// wrapped with the operation; any other error is an internal failure.
	Cast(ctx context.Context, b voting.Ballot) (voting.Receipt, error)
}

// TallyReader reads the live vote counts of an edition.
type TallyReader interface {
	// Tally returns the live count of every project of edition that has
	// votes, keyed by project id. It returns kind.ErrUnavailable when the
	// store cannot be reached.
	Tally(ctx context.Context, edition string) (map[string]int64, error)
}

// Check is one readiness probe of a dependency, such as a Redis or
// PostgreSQL ping.
type Check struct {
	Name string
	// Fn returns nil when the dependency is usable. It must return soon
	// after ctx is done.
	Fn func(ctx context.Context) error
}

// Observer is told the outcome of requests, for metrics. Its methods are
// called on the request path and must not block.
type Observer interface {
	// VoteResult reports the outcome of one vote request: "accepted" or the
	// error code it was answered with.
	VoteResult(code string)
	// ObserveRequest reports one request by its route template (or
	// "unmatched"), its status and how long it took.
	ObserveRequest(route string, status int, d time.Duration)
}

// Config is what the HTTP layer is built from. Votes, Catalogue and Tokens
// are required; the rest may be left zero.
type Config struct {
	Votes     Caster
	Catalogue *voting.Catalogue
	// Tally serves the live tally route; without it the route is not served.
	Tally TallyReader
	// Tokens verifies the bearer tokens of voters and organisers.
	Tokens *Verifier
	// Ready are the checks /readyz runs.
	Ready []Check
	// Metrics, when set, is told the outcome of every request.
	Metrics Observer
	// Registry, when set, is served as /metrics.
	Registry http.Handler
	// TrustedProxies are the addresses or CIDR ranges of reverse proxies
	// whose X-Forwarded-For and X-Real-IP headers are believed. With none,
	// the client address is always the TCP peer, so a client cannot choose
	// the network its votes are attributed to.
	TrustedProxies []string
	// Logger receives server-side failures (5xx answers) only.
	Logger *slog.Logger
	// Prizes configures the prize lifecycle routes.
	Prizes PrizesConfig
	// Identity configures sign-in, tokens and abuse controls.
	Identity IdentityConfig
	// Site configures the public site; it is served when Site.Key is set.
	Site SiteConfig
	// BallotKey keys the order in which each reader sees a category's
	// nominees (see voting.BallotOrder), on the site and the API alike. Every
	// node must have the same key, so that a voter sees one order whichever
	// node answers; without one the server makes its own, and orders change
	// when it restarts.
	BallotKey []byte
}

// Validate reports what is missing or malformed in c. New does not call it,
// so that a caller decides whether a bad configuration stops the process.
func (c Config) Validate() error {
	var errs []error
	if c.Votes == nil {
		errs = append(errs, errors.New("votes caster is required"))
	}
	if c.Catalogue == nil {
		errs = append(errs, errors.New("catalogue is required"))
	}
	if c.Tokens == nil {
		errs = append(errs, errors.New("token verifier is required"))
	}
	for _, p := range c.TrustedProxies {
		if !validProxy(p) {
			errs = append(errs, fmt.Errorf("trusted proxy %q is neither an address nor a CIDR range", p))
		}
	}
	for i, ch := range c.Ready {
		if ch.Name == "" || ch.Fn == nil {
			errs = append(errs, fmt.Errorf("readiness check %d needs a name and a function", i))
		}
	}
	if err := c.Site.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("validate api config: %w", err)
	}
	return nil
}

func validProxy(p string) bool {
	if strings.Contains(p, "/") {
		_, err := netip.ParsePrefix(p)
		return err == nil
	}
	_, err := netip.ParseAddr(p)
	return err == nil
}

// server holds the dependencies the handlers share. It is built once by New
// and only read afterwards.
type server struct {
	votes     Caster
	catalogue *voting.Catalogue
	tallies   TallyReader
	tokens    *Verifier
	ready     []Check
	obs       Observer
	log       *slog.Logger
	policies  map[string]Policy
	ident     identityDeps
	site      *site
	ballotKey []byte
	// openapi is the OpenAPI document of the routes served, built once.
	openapi []byte
	// prizes are the lifecycle stores, which the API's routes and the
	// site's workspaces share.
	prizes PrizesConfig
}

// New builds the HTTP handler. A trusted proxy list that does not parse is
// logged and replaced by none, so a configuration mistake can only make the
// server trust less; call Config.Validate first to refuse it instead.
func New(cfg Config) *Handler {
	// Gin's mode is process-wide. Release mode keeps its route dump and debug
	// warnings off standard output; setting it here rather than in an init
	// function leaves importing the package free of side effects.
	gin.SetMode(gin.ReleaseMode)

	s := &server{
		votes:     cfg.Votes,
		catalogue: cfg.Catalogue,
		tallies:   cfg.Tally,
		tokens:    cfg.Tokens,
		ready:     cfg.Ready,
		obs:       cfg.Metrics,
		log:       cfg.Logger,
		policies:  make(map[string]Policy),
		ballotKey: cfg.BallotKey,
		prizes:    cfg.Prizes,
	}
	if s.ballotKey == nil {
		s.ballotKey = make([]byte, 32)
		rand.Read(s.ballotKey)
	}
	if s.obs == nil {
		s.obs = noObserver{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}

	e := gin.New()
	// A redirect would turn a vote POSTed to a slightly wrong path into a
	// second request the client may not repeat; a clear 404 is better.
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.HandleMethodNotAllowed = true
	e.TrustedPlatform = ""
	// Only X-Forwarded-For is read, and only from a trusted proxy.
	e.RemoteIPHeaders = []string{"X-Forwarded-For"}
	if err := e.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		s.log.Error("trusted proxies ignored", "err", fmt.Errorf("configure trusted proxies: %w", err))
		_ = e.SetTrustedProxies(nil)
	}

	if cfg.Metrics != nil {
		e.Use(s.observe)
	}
	e.Use(securityHeaders, gin.CustomRecoveryWithWriter(nil, s.recovered))
	e.NoRoute(func(c *gin.Context) { s.fail(c, kind.ErrNotFound) })
	e.NoMethod(func(c *gin.Context) { s.fail(c, errMethodNotAllowed) })

	v1 := e.Group("/api/v1", noStore)
	s.handle(v1, http.MethodPost, "/editions/:edition/votes", Policy{Roles: []string{RoleVoter}, InHandler: true}, s.castVote)
	s.handle(v1, http.MethodGet, "/editions/:edition/projects", Policy{Public: true}, s.projects)
	if s.tallies != nil {
		s.handle(v1, http.MethodGet, "/editions/:edition/tally", Policy{Public: true}, s.tally)
	}

	root := e.Group("/")
	s.prizesRoutes(v1, cfg.Prizes)
	s.identityRoutes(root, v1, cfg.Identity)
	if cfg.Site.Key != nil {
		if err := s.siteRoutes(e, cfg.Site); err != nil {
			s.log.Error("public site not served", "err", err)
		}
	}
	s.handle(root, http.MethodGet, "/healthz", Policy{Public: true}, s.healthz)
	s.handle(root, http.MethodGet, "/readyz", Policy{Public: true}, s.readyz)
	if cfg.Registry != nil {
		s.handle(root, http.MethodGet, "/metrics", Policy{Public: true}, gin.WrapH(cfg.Registry))
	}
	s.handle(v1, http.MethodGet, "/openapi.json", Policy{Public: true}, s.openAPI)
	doc, err := openAPIDocument(s.policies)
	if err != nil {
		s.log.Error("openapi document not served", "err", err)
	}
	s.openapi = doc
	return &Handler{Engine: e, policies: s.policies}
}

// noObserver is the Observer used when the configuration has none.
type noObserver struct{}

func (noObserver) VoteResult(string)                         {}
func (noObserver) ObserveRequest(string, int, time.Duration) {}
