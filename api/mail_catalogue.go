package api

import (
	"github.com/wsisvote/prizes/notify"
	"github.com/wsisvote/prizes/web"
)

// mailCatalogue gives notify the text of its mail from the site's message
// catalogues (web/locales/mail.<lang>.json), in plain text.
type mailCatalogue struct {
	c *catalogue
}

var _ notify.Translator = mailCatalogue{}

// MailCatalogue returns the translator notify renders its mail with.
func MailCatalogue() (notify.Translator, error) {
	c, err := loadCatalogue(web.Locales())
	if err != nil {
		return nil, err
	}
	return mailCatalogue{c: c}, nil
}

// Has implements notify.Translator.
func (m mailCatalogue) Has(lang string) bool { return m.c.has(lang) }

// Text implements notify.Translator.
func (m mailCatalogue) Text(lang, key string, data map[string]any) string {
	return m.c.for_(lang).plain(key, data)
}

// Dir implements notify.Translator.
func (m mailCatalogue) Dir(lang string) string { return m.c.for_(lang).Dir() }
