package main

import (
	"context"

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
	return serveHandler(ctx, a, "baseline", "baseline", *addr, baseline.New())
}
