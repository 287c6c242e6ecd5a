package main

import (
	"flag"
	"net/http"
	"time"
)

// httpConfig bounds what one client can hold of an HTTP server: how long a
// request may take to arrive and to be answered, how large its headers may
// be, and how many connections may be open at once.
type httpConfig struct {
	HeaderTimeout  time.Duration
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	IdleTimeout    time.Duration
	MaxHeaderBytes int
	MaxConns       int
	MaxConnsPerIP  int
}

// bind registers the HTTP server flags on fs with defaults from the
// environment.
//
// The defaults: every request body here is small (a vote is under 1 KB, the
// largest form a few KB), so 10 s to read a whole request is generous even
// on a poor mobile link, while a client trickling its request is cut off
// then. 30 s to answer leaves room for the slowest handler, publishing,
// which digests the whole ledger (under 2 s for the 1.3 million votes of
// WSIS 2021), at ten times that volume. 16 KB of headers is many times
// what a browser with a token sends. 10,000 connections bound the
// process's memory (about 25 KB each while a request trickles in) and stay
// well under common descriptor limits; 512 from one address is twice what
// the load generator opens from one host, and leaves room for many voters
// behind one NAT.
func (c *httpConfig) bind(fs *flag.FlagSet, e env) error {
	b := binder{fs: fs, e: e}
	num, dur := b.num, b.dur
	for _, err := range []error{
		dur(&c.HeaderTimeout, "http-header-timeout", "HTTP_HEADER_TIMEOUT", 5*time.Second, "how long a client may take to send a request's headers"),
		dur(&c.ReadTimeout, "http-read-timeout", "HTTP_READ_TIMEOUT", 10*time.Second,
			"how long a client may take to send a whole request, headers and body"),
		dur(&c.WriteTimeout, "http-write-timeout", "HTTP_WRITE_TIMEOUT", 30*time.Second,
			"how long a request may take from its headers to the end of its answer"),
		dur(&c.IdleTimeout, "http-idle-timeout", "HTTP_IDLE_TIMEOUT", 120*time.Second, "how long a keep-alive connection may wait for its next request"),
		num(&c.MaxHeaderBytes, "http-max-header-bytes", "HTTP_MAX_HEADER_BYTES", 16<<10, "most bytes of request headers (larger get 431)"),
		num(&c.MaxConns, "max-conns", "MAX_CONNS", 10000,
			"most connections the API holds open; beyond it a connection is answered 503 too_many_connections and closed (0: no cap)"),
		num(&c.MaxConnsPerIP, "max-conns-per-ip", "MAX_CONNS_PER_IP", 512,
			"most connections the API holds open from one client IP (an IPv6 /64); PRIZES_LIMIT_EXEMPT networks, such as a reverse proxy's, are not capped (0: no cap)"),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// server returns an http.Server for h with the configured timeouts and
// header size.
func (c *httpConfig) server(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: c.HeaderTimeout,
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    c.MaxHeaderBytes,
	}
}
