// Package web holds what the service sends to browsers: for now the
// proof-of-work solver, embedded so the binary serves it with no files
// beside it.
package web

import _ "embed"

// powJS is static/pow.js.
//
//go:embed static/pow.js
var powJS []byte

// PowJS returns the browser solver of the proof-of-work challenge. Callers
// must not modify it.
func PowJS() []byte { return powJS }
