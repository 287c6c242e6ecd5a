package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/loadtest/baseline"
)

func runBaseline(ctx context.Context, a *app, args []string) error {
	fs := a.flags("baseline")
	addr := fs.String("addr", "127.0.0.1:8090", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	gin.SetMode(gin.ReleaseMode)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("baseline: listen: %w", err)
	}
	// The server is configured as prizes serve configures its own, so the
	// two differ only in their handlers.
	srv := &http.Server{Handler: baseline.New(), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 120 * time.Second}
	fmt.Fprintf(a.stdout, "baseline listening on %s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = srv.Shutdown(sctx)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	return nil
}
