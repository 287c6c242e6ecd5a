package antifraud

import (
	"strings"
	"unicode/utf8"
)

// agentClass is what a User-Agent header says about the software that sent
// a vote.
type agentClass uint8

const (
	// agentOther is a browser, or an app that names itself: no signal.
	agentOther agentClass = iota
	// agentMissing is no User-Agent at all, which no browser sends.
	agentMissing
	// agentHeadless is a headless browser or an HTTP library.
	agentHeadless
	// agentMalformed is a header no real client writes: no product token
	// first, broken syntax, or a browser's "Mozilla/" without the platform
	// comment every browser gives.
	agentMalformed
)

// headlessMarkers appear in the User-Agent of headless and scripted
// browsers, which otherwise start with "Mozilla/" like any browser.
var headlessMarkers = []string{"Headless", "PhantomJS", "SlimerJS", "PowerShell"}

// libraryProducts are the first product names of HTTP libraries and
// command-line clients, compared without regard to case.
var libraryProducts = []string{
	"curl", "wget", "python-requests", "python-urllib", "python-httpx", "httpx", "aiohttp",
	"go-http-client", "okhttp", "java", "apache-httpclient", "jakarta", "axios", "node-fetch",
	"node", "undici", "got", "postmanruntime", "insomnia", "scrapy", "libwww-perl",
	"lwp-trivial", "ruby", "faraday", "guzzlehttp", "php", "httpie", "dart", "reqwest",
	"deno", "bun", "wget2", "http.rb", "rest-client",
}

// classifyAgent reads ua without allocating. Only the first product and a
// few markers are looked at: the header is the client's to write, so the
// class is evidence about careless automation, never proof.
func classifyAgent(ua string) agentClass {
	if strings.TrimSpace(ua) == "" {
		return agentMissing
	}
	if !utf8.ValidString(ua) || strings.Contains(ua, "\uFFFD") {
		return agentMalformed
	}
	// The first product is token ["/" version].
	end := 0
	for end < len(ua) && tokenByte(ua[end]) {
		end++
	}
	name := ua[:end]
	if name == "" {
		return agentMalformed
	}
	if end < len(ua) && ua[end] == '/' {
		v := end + 1
		for v < len(ua) && tokenByte(ua[v]) {
			v++
		}
		if v == end+1 {
			return agentMalformed
		}
	}
	// A header cut to the stored length may have lost closing parentheses,
	// never opening ones.
	if strings.Count(ua, ")") > strings.Count(ua, "(") {
		return agentMalformed
	}
	if strings.EqualFold(name, "Mozilla") {
		if !strings.Contains(ua, "(") {
			return agentMalformed
		}
		for _, m := range headlessMarkers {
			if strings.Contains(ua, m) {
				return agentHeadless
			}
		}
		return agentOther
	}
	for _, p := range libraryProducts {
		if strings.EqualFold(name, p) {
			return agentHeadless
		}
	}
	return agentOther
}

// tokenByte reports whether b may appear in an HTTP token (RFC 9110).
func tokenByte(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
}
