package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Fault is a TCP proxy between the code under test and a real server that a
// test makes misbehave: Toxiproxy, run in process. Connections made to Addr
// reach the upstream until a toxic is added.
type Fault struct {
	// Addr is the proxy's listening address, host:port on loopback.
	Addr  string
	proxy *toxiproxy.Proxy
}

// Toxic is one way of misbehaving, in Toxiproxy's terms: a type (latency,
// timeout, reset_peer, bandwidth, slicer, ...), the direction it acts on
// ("upstream": towards the server, "downstream": towards the client) and
// its attributes.
type Toxic struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream"`
	Attributes map[string]any `json:"attributes"`
}

// Delay holds every byte sent to the server for d before passing it on: the
// server runs each command late, after its client may have given up, as a
// server that is paused (SIGSTOP) and resumed does.
func Delay(d time.Duration) Toxic {
	return Toxic{Name: "delay", Type: "latency", Stream: "upstream",
		Attributes: map[string]any{"latency": d.Milliseconds()}}
}

// Latency adds d, give or take jitter, to every answer.
func Latency(d, jitter time.Duration) Toxic {
	return Toxic{Name: "latency", Type: "latency", Stream: "downstream",
		Attributes: map[string]any{"latency": d.Milliseconds(), "jitter": jitter.Milliseconds()}}
}

// HalfOpen drops every byte sent to the server and never closes the
// connection: the client writes into a void and waits for an answer that
// never comes, as across a dead link.
func HalfOpen() Toxic {
	return Toxic{Name: "half_open", Type: "timeout", Stream: "upstream",
		Attributes: map[string]any{"timeout": 0}}
}

// Reset resets each connection (TCP RST) as soon as the client sends on it.
func Reset() Toxic {
	return Toxic{Name: "reset", Type: "reset_peer", Stream: "upstream",
		Attributes: map[string]any{"timeout": 0}}
}

// Bandwidth limits the answers to kbps kilobytes per second.
func Bandwidth(kbps int) Toxic {
	return Toxic{Name: "bandwidth", Type: "bandwidth", Stream: "downstream",
		Attributes: map[string]any{"rate": kbps}}
}

// FaultProxy starts a proxy to upstream (host:port) on a free loopback port
// and stops it when the test ends.
func FaultProxy(tb testing.TB, upstream string) *Fault {
	tb.Helper()
	// The toxics log through zerolog's global logger, at trace level.
	zerolog.SetGlobalLevel(zerolog.Disabled)
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, "fault-"+ID(tb), "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		tb.Fatalf("start fault proxy to %s: %v", upstream, err)
	}
	tb.Cleanup(p.Stop)
	return &Fault{Addr: p.Listen, proxy: p}
}

// Add makes the proxy misbehave as t says, on open connections and new ones.
func (f *Fault) Add(tb testing.TB, t Toxic) {
	tb.Helper()
	b, err := json.Marshal(t)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := f.proxy.Toxics.AddToxicJson(bytes.NewReader(b)); err != nil {
		tb.Fatalf("add toxic %s: %v", t.Name, err)
	}
}

// Clear removes every toxic: what was held back is passed on, and the proxy
// forwards faithfully again.
func (f *Fault) Clear() {
	f.proxy.Toxics.ResetToxics(context.Background())
}
