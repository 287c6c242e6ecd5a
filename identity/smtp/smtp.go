// Package smtp is the mail adapter of identity: it sends sign-in codes to an
// SMTP server (a relay, a provider's submission port, or Mailpit locally),
// over plain TCP, STARTTLS or implicit TLS, with or without authentication.
package smtp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/kind"
)

var _ identity.Mailer = (*Mailer)(nil)

// TLS modes.
const (
	// TLSNone sends in the clear; only for a server on the same host or
	// network, such as Mailpit.
	TLSNone = "none"
	// TLSStartTLS upgrades the connection with STARTTLS and refuses to send
	// when the server does not offer it (port 587).
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (port 465).
	TLSImplicit = "tls"
)

// Config says how to reach the mail server.
type Config struct {
	Host string
	Port int
	// TLS is TLSNone, TLSStartTLS or TLSImplicit (default TLSStartTLS).
	TLS string
	// Username and Password, when set, authenticate with PLAIN, which is
	// only used over TLS or to a server on loopback.
	Username string
	Password string
	// From is the sender, such as "WSIS Prizes <noreply@example.org>".
	From string
	// HelloName is the name given in EHLO (default "localhost").
	HelloName string
	// Timeout bounds one delivery (default 15 seconds).
	Timeout time.Duration
	// TLSConfig, when set, is used for the TLS handshake (tests use it to
	// trust their own certificate authority).
	TLSConfig *tls.Config
	// Now is the clock for the Date header (time.Now).
	Now func() time.Time
}

// Mailer sends mail over SMTP, one connection per message: sign-in codes are
// few and far between next to votes, and a fresh connection never finds a
// server-closed one.
type Mailer struct {
	cfg  Config
	from *mail.Address
}

// New checks cfg and returns a mailer. It does not connect. Its errors wrap
// kind.ErrInvalid.
func New(cfg Config) (*Mailer, error) {
	if cfg.Host == "" {
		return nil, fmt.Errorf("new smtp mailer: host is required: %w", kind.ErrInvalid)
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	switch cfg.TLS {
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		return nil, fmt.Errorf("new smtp mailer: tls %q is not none, starttls or tls: %w", cfg.TLS, kind.ErrInvalid)
	}
	if cfg.Port == 0 {
		cfg.Port = map[string]int{TLSNone: 25, TLSStartTLS: 587, TLSImplicit: 465}[cfg.TLS]
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("new smtp mailer: from %q: %w", cfg.From, kind.ErrInvalid)
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TLSConfig == nil {
		cfg.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	cfg.TLSConfig = cfg.TLSConfig.Clone()
	if cfg.TLSConfig.ServerName == "" {
		cfg.TLSConfig.ServerName = cfg.Host
	}
	return &Mailer{cfg: cfg, from: from}, nil
}

// Send implements identity.Mailer. A refused recipient is kind.ErrInvalid;
// a connection failure, a timeout or a temporary (4xx) refusal is
// kind.ErrUnavailable.
func (m *Mailer) Send(ctx context.Context, msg identity.Message) error {
	to, err := mail.ParseAddress(msg.To)
	if err != nil {
		return fmt.Errorf("send mail: recipient: %w", kind.ErrInvalid)
	}
	body, err := m.compose(to, msg)
	if err != nil {
		return fmt.Errorf("send mail: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	if err := m.deliver(ctx, to.Address, body); err != nil {
		return fmt.Errorf("send mail to %s: %w", to.Address, classify(err))
	}
	return nil
}

func (m *Mailer) deliver(ctx context.Context, to string, body []byte) error {
	addr := net.JoinHostPort(m.cfg.Host, strconv.Itoa(m.cfg.Port))
	d := &net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	// The deadline bounds the conversation; closing on ctx's end stops it
	// sooner when the caller gives up.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if m.cfg.TLS == TLSImplicit {
		tc := tls.Client(conn, m.cfg.TLSConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return err
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, m.cfg.Host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello(m.cfg.HelloName); err != nil {
		return err
	}
	if m.cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("server does not offer STARTTLS")
		}
		if err := c.StartTLS(m.cfg.TLSConfig); err != nil {
			return err
		}
	}
	if m.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, m.cfg.Host)); err != nil {
			return err
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// compose writes a UTF-8 message: plain text, or plain text and HTML as
// multipart/alternative when msg has HTML. Headers come from parsed
// addresses and an encoded subject, so no field can carry a line break into
// the header.
func (m *Mailer) compose(to *mail.Address, msg identity.Message) ([]byte, error) {
	_, domain, _ := strings.Cut(m.from.Address, "@")
	msgID := msg.MessageID
	if msgID == "" || strings.ContainsAny(msgID, "\r\n") {
		id := make([]byte, 12)
		if _, err := rand.Read(id); err != nil {
			return nil, err
		}
		msgID = "<" + hex.EncodeToString(id) + "@" + domain + ">"
	}
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", m.from.String())
	h("To", to.String())
	h("Subject", mime.QEncoding.Encode("utf-8", msg.Subject))
	h("Date", m.cfg.Now().Format(time.RFC1123Z))
	h("Message-ID", msgID)
	h("MIME-Version", "1.0")
	h("Auto-Submitted", "auto-generated")
	if msg.HTML == "" {
		h("Content-Type", "text/plain; charset=utf-8")
		h("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, msg.Text); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	boundary := make([]byte, 16)
	if _, err := rand.Read(boundary); err != nil {
		return nil, err
	}
	sep := "alt-" + hex.EncodeToString(boundary)
	h("Content-Type", `multipart/alternative; boundary="`+sep+`"`)
	b.WriteString("\r\n")
	for _, part := range []struct{ typ, body string }{{"text/plain", msg.Text}, {"text/html", msg.HTML}} {
		fmt.Fprintf(&b, "--%s\r\nContent-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", sep, part.typ)
		if err := writeQP(&b, part.body); err != nil {
			return nil, err
		}
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", sep)
	return b.Bytes(), nil
}

// writeQP writes text quoted-printable, with CRLF line ends.
func writeQP(b *bytes.Buffer, text string) error {
	qp := quotedprintable.NewWriter(b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(text, "\n", "\r\n"))); err != nil {
		return err
	}
	return qp.Close()
}

// classify maps a delivery error to the kinds: a permanent
// refusal of the recipient is the caller's input, anything else means mail
// cannot go out right now.
func classify(err error) error {
	var tp *textproto.Error
	if errors.As(err, &tp) && tp.Code >= 500 && (tp.Code == 550 || tp.Code == 553 || tp.Code == 501) {
		return fmt.Errorf("%w: %w", kind.ErrInvalid, err)
	}
	return fmt.Errorf("%w: %w", kind.ErrUnavailable, err)
}
