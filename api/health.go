package api

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// readyTimeout bounds each readiness check, so a hung dependency makes the
// node unready rather than hanging the probe.
const readyTimeout = 2 * time.Second

type statusResponse struct {
	Status string   `json:"status"`
	Failed []string `json:"failed,omitempty"`
}

// healthz is GET /healthz: the process is up and serving.
func (s *server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, statusResponse{Status: "ok"})
}

// readyz is GET /readyz: every dependency answers. The checks run
// concurrently. The answer names the failed checks only; their errors, which
// may carry internal addresses, go to the log.
func (s *server) readyz(c *gin.Context) {
	ctx := c.Request.Context()
	errs := make([]error, len(s.ready))
	var wg sync.WaitGroup
	for i, ch := range s.ready {
		wg.Go(func() { errs[i] = runCheck(ctx, ch) })
	}
	wg.Wait()

	var failed []string
	for i, err := range errs {
		if err != nil {
			name := s.ready[i].Name
			failed = append(failed, name)
			s.log.Error("readiness check failed", "check", name, "err", fmt.Errorf("check %s: %w", name, err))
		}
	}
	if len(failed) > 0 {
		c.JSON(http.StatusServiceUnavailable, statusResponse{Status: "unavailable", Failed: failed})
		return
	}
	c.JSON(http.StatusOK, statusResponse{Status: "ok"})
}

// runCheck runs one check under readyTimeout. A check that panics fails
// instead of taking the process down, since it runs outside the handler's
// recovery.
func runCheck(parent context.Context, ch Check) (err error) {
	ctx, cancel := context.WithTimeout(parent, readyTimeout)
	defer cancel()
	defer func() {
		if rec := recover(); rec != nil {
			err = fmt.Errorf("check panicked: %v", rec)
		}
	}()
	return ch.Fn(ctx)
}
