package main

import (
	"net/http"
	"net/http/pprof"
	"time"
)

// serveProfiles serves Go's runtime profiles on addr, apart from the API so
// they are never exposed with it, and returns a function that stops it.
func serveProfiles(a *app, addr string) func() {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
			a.log.Warn("profiles not served", "addr", addr, "err", err)
		}
	}()
	a.log.Info("serving profiles", "addr", addr)
	return func() { srv.Close() }
}
