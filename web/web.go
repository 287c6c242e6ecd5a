// Package web holds what the service sends to browsers: the public site's
// templates, its stylesheet and scripts, the proof-of-work solver and the
// message catalogues of the six UN languages, embedded so the binary serves
// them with no files beside it. The api package renders and serves them.
package web

import (
	"embed"
	"io/fs"
	"path"
	"sort"
)

//go:embed static/pow.js
var powJS []byte

// PowJS returns the browser solver of the proof-of-work challenge. Callers
// must not modify it.
func PowJS() []byte { return powJS }

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

//go:embed locales/*.json
var locales embed.FS

// Templates returns the site's html/template files, one per page plus the
// layout (layout.html) they share.
func Templates() fs.FS { return templates }

// Static returns the site's stylesheet and scripts, under static/.
func Static() fs.FS { return static }

// Locales returns the message catalogues, JSON files named
// <part>.<tag>.json (messages.en.json, mail.fr.json, ...) in go-i18n's format: a key named by meaning maps to
// its text, or to its CLDR plural forms (zero, one, two, few, many, other)
// where the text counts something. English is the source; every other file
// must have every English key.
func Locales() fs.FS { return locales }

// Languages returns the languages of the site, the six UN languages, with
// English, the default, first.
func Languages() []string { return []string{"en", "fr", "es", "ru", "zh", "ar"} }

// LocaleFiles returns the paths in Locales of one language's catalogue files,
// sorted: every part of the site keeps its messages in its own
// <part>.<lang>.json, and a key is defined in one part only.
func LocaleFiles(lang string) []string {
	names, _ := fs.Glob(locales, "locales/*."+lang+".json")
	sort.Strings(names)
	for i, n := range names {
		names[i] = path.Clean(n)
	}
	return names
}
