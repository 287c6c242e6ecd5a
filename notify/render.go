package notify

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/kind"
)

// Translator gives the text of the mail in each language from the site's
// message catalogues (api.MailCatalogue is one).
type Translator interface {
	// Has reports whether the catalogues have lang.
	Has(lang string) bool
	// Text returns message key in lang, filled with data, as plain text.
	Text(lang, key string, data map[string]any) string
	// Dir returns the writing direction of lang: "ltr" or "rtl".
	Dir(lang string) string
}

// Renderer writes each message as plain text and HTML in the recipient's
// language, falling back to English.
type Renderer struct {
	tr       Translator
	base     *url.URL
	siteName string
	html     *htmltemplate.Template
	text     *texttemplate.Template
}

// NewRenderer returns a renderer whose links start with baseURL, the
// public address of the site (https://prizes.example.org). It returns
// kind.ErrInvalid for a base URL that is not an absolute http(s) address.
func NewRenderer(tr Translator, baseURL, siteName string) (*Renderer, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("notify: public base URL %q is not an absolute http(s) address: %w", baseURL, kind.ErrInvalid)
	}
	return &Renderer{tr: tr, base: u, siteName: siteName,
		html: htmltemplate.Must(htmltemplate.New("mail").Parse(htmlMail)),
		text: texttemplate.Must(texttemplate.New("mail").Parse(textMail))}, nil
}

// mailView is what the templates are filled with.
type mailView struct {
	Lang, Dir, Subject, Greeting, Action, Link, Footer string
	Paragraphs                                         []string
}

// Render implements Worker.Render. Every value from the payload is escaped
// in the HTML part; the Message-ID is derived from the outbox id, so a
// message sent twice after a crash carries the same one.
func (r *Renderer) Render(m Message) (identity.Message, error) {
	if !slices.Contains(Kinds(), m.Kind) {
		return identity.Message{}, fmt.Errorf("render message %d: kind %q: %w", m.ID, m.Kind, ErrUnknownKind)
	}
	lang := m.Language
	if lang == "" || !r.tr.Has(lang) {
		lang = "en"
	}
	data := map[string]any{"Site": r.siteName}
	for k, v := range m.Payload {
		data[exported(k)] = v
	}
	if d, err := time.Parse(time.RFC3339, m.Payload[PayloadDeadline]); err == nil {
		data["Deadline"] = d.UTC().Format("2006-01-02 15:04 UTC")
	}
	if role := m.Payload[PayloadRole]; role != "" {
		data["Role"] = r.tr.Text(lang, "mail.role."+role, data)
	}
	key := "mail." + string(m.Kind)
	if m.Kind == KindRejected && m.Payload[PayloadReason] == "" {
		key = "mail.rejected_no_reason"
	}
	v := mailView{
		Lang: lang, Dir: r.tr.Dir(lang),
		Subject:  r.tr.Text(lang, key+".subject", data),
		Greeting: r.tr.Text(lang, "mail.greeting", data),
		Footer:   r.tr.Text(lang, "mail.footer", data),
	}
	for _, p := range strings.Split(r.tr.Text(lang, key+".body", data), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			v.Paragraphs = append(v.Paragraphs, p)
		}
	}
	if link := m.Payload[PayloadLink]; link != "" {
		v.Link = r.link(lang, link)
		v.Action = r.tr.Text(lang, key+".action", data)
	}
	var text, html bytes.Buffer
	if err := r.text.Execute(&text, v); err != nil {
		return identity.Message{}, fmt.Errorf("render message %d: %w", m.ID, err)
	}
	if err := r.html.Execute(&html, v); err != nil {
		return identity.Message{}, fmt.Errorf("render message %d: %w", m.ID, err)
	}
	return identity.Message{To: m.To, Subject: v.Subject, Text: text.String(), HTML: html.String(),
		MessageID: MessageID(m.ID, r.base.Hostname())}, nil
}

// MessageID is the Message-ID of outbox message id: the same for every
// copy of the message, whichever node sends it.
func MessageID(id int64, host string) string {
	return "<outbox-" + strconv.FormatInt(id, 10) + "@" + host + ">"
}

// link makes a payload's path a full address in lang.
func (r *Renderer) link(lang, path string) string {
	u := *r.base
	u.Path = strings.TrimRight(u.Path, "/") + "/" + lang + "/" + strings.TrimLeft(path, "/")
	return u.String()
}

// exported turns a payload key (edition_id) into a template name
// (EditionId), so the catalogues read {{.Edition}}, {{.Title}}, ...
func exported(k string) string {
	parts := strings.Split(k, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

const textMail = `{{.Greeting}}
{{range .Paragraphs}}
{{.}}
{{end}}{{if .Link}}
{{.Action}}: {{.Link}}
{{end}}
--
{{.Footer}}
`

const htmlMail = `<!DOCTYPE html>
<html lang="{{.Lang}}" dir="{{.Dir}}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{.Subject}}</title></head>
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1b1b1b; max-width: 36em; margin: 0 auto; padding: 1em;">
<p>{{.Greeting}}</p>
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}{{if .Link}}<p><a href="{{.Link}}" style="display: inline-block; padding: 0.6em 1.2em; background: #0b5cad; color: #ffffff; text-decoration: none; border-radius: 4px;">{{.Action}}</a></p>
<p style="font-size: 0.9em; color: #555555;">{{.Link}}</p>
{{end}}<hr style="border: 0; border-top: 1px solid #dddddd;">
<p style="font-size: 0.85em; color: #555555;">{{.Footer}}</p>
</body>
</html>
`
