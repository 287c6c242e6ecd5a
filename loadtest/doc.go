// Package loadtest generates vote traffic against a prizes API and measures
// it: a ballot generator that gives every voter one vote per category with a
// skewed popularity, a lean HTTP/1.1 client so that the generator is not what
// limits the measurement on a small machine, closed-loop (as fast as
// possible) and open-loop (fixed rate) runners, and a mergeable latency
// histogram. Open-loop latency is measured from the time a request was
// scheduled, not sent, so a server that falls behind shows its queueing
// instead of hiding it (coordinated omission).
//
// The bench subpackage uses it to compare the full vote path with a plain Gin
// handler on the same machine; cmd/prizes-loadtest is the binary.
package loadtest
