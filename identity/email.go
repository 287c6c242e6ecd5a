package identity

import (
	"fmt"
	"net/mail"
	"strings"

	"github.com/wsisvote/prizes/internal/kind"
)

// maxEmail is the longest address accepted (RFC 5321's path limit).
const maxEmail = 254

// Email is an address as a person typed it, checked and in lower case (the
// accounts table keeps addresses in lower case, which every mail provider in
// practice treats alike), ready to be written to.
type Email struct {
	// Address is where mail goes.
	Address string
	// Canonical is the form that decides which account an address belongs
	// to: lower case, without a "+tag", and for Gmail without dots, so that
	// one mailbox is one voter however its address is spelled.
	Canonical string
	// Domain is the lower-case domain.
	Domain string
}

// ParseEmail checks a bare address (no display name, no comments). Its errors
// wrap kind.ErrInvalid.
func ParseEmail(s string) (Email, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Email{}, fmt.Errorf("parse email: email is required: %w", kind.ErrInvalid)
	}
	if len(s) > maxEmail || strings.ContainsAny(s, "\r\n<> ,;\"()") {
		return Email{}, fmt.Errorf("parse email: not a plain address: %w", kind.ErrInvalid)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return Email{}, fmt.Errorf("parse email: not a plain address: %w", kind.ErrInvalid)
	}
	local, domain, ok := strings.Cut(s, "@")
	domain = strings.ToLower(domain)
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") || strings.HasPrefix(domain, "[") {
		return Email{}, fmt.Errorf("parse email: the domain must be a host name: %w", kind.ErrInvalid)
	}
	local = strings.ToLower(local)
	return Email{Address: local + "@" + domain, Canonical: canonical(local, domain), Domain: domain}, nil
}

func canonical(local, domain string) string {
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	if domain == "googlemail.com" {
		domain = "gmail.com"
	}
	if domain == "gmail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	return local + "@" + domain
}
