package api

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"

	"github.com/wsisvote/prizes/web"
)

// langCookie remembers the language a reader last chose, so the root sends
// them back to it.
const langCookie = "__Host-lang"

// catalogue holds the site's messages in every language: one localizer and
// one number printer per language, and the matcher that picks a language
// from Accept-Language.
type catalogue struct {
	langs    []string
	tags     []language.Tag
	matcher  language.Matcher
	locals   map[string]*i18n.Localizer
	printers map[string]*message.Printer
}

// loadCatalogue reads every <part>.<lang>.json for each of web.Languages.
func loadCatalogue(files fs.FS) (*catalogue, error) {
	bundle := i18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	c := &catalogue{langs: web.Languages(), locals: map[string]*i18n.Localizer{}, printers: map[string]*message.Printer{}}
	for _, lang := range c.langs {
		names := web.LocaleFiles(lang)
		if len(names) == 0 {
			return nil, fmt.Errorf("load messages: no catalogue for %s", lang)
		}
		for _, name := range names {
			buf, err := fs.ReadFile(files, name)
			if err != nil {
				return nil, fmt.Errorf("load messages: %w", err)
			}
			if _, err := bundle.ParseMessageFileBytes(buf, name); err != nil {
				return nil, fmt.Errorf("load messages %s: %w", name, err)
			}
		}
		tag := language.MustParse(lang)
		c.tags = append(c.tags, tag)
		c.locals[lang] = i18n.NewLocalizer(bundle, lang)
		c.printers[lang] = message.NewPrinter(tag)
	}
	c.matcher = language.NewMatcher(c.tags)
	return c, nil
}

func (c *catalogue) has(lang string) bool {
	_, ok := c.locals[lang]
	return ok
}

// match returns the site language that best fits an Accept-Language header,
// English when none does.
func (c *catalogue) match(accept string) string {
	tags, _, err := language.ParseAcceptLanguage(accept)
	if err != nil || len(tags) == 0 {
		return c.langs[0]
	}
	_, i, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return c.langs[0]
	}
	return c.langs[i]
}

// tr is one reader's view of the catalogue: their language's messages,
// numbers and dates.
type tr struct {
	lang string
	loc  *i18n.Localizer
	num  *message.Printer
}

func (c *catalogue) for_(lang string) tr {
	return tr{lang: lang, loc: c.locals[lang], num: c.printers[lang]}
}

// T returns the message key, filled with the name and value pairs kv.
func (t tr) T(key string, kv ...any) string {
	s, err := t.loc.Localize(&i18n.LocalizeConfig{MessageID: key, TemplateData: pairs(kv)})
	if err != nil {
		return key
	}
	return s
}

// plain returns the message key filled with data as it is, for plain text
// such as mail, where direction isolates would be stray characters.
func (t tr) plain(key string, data map[string]any) string {
	s, err := t.loc.Localize(&i18n.LocalizeConfig{MessageID: key, TemplateData: data})
	if err != nil {
		return key
	}
	return s
}

// TN returns the plural form of message key for n, by the language's CLDR
// rules, with n formatted for the language as .Count.
func (t tr) TN(key string, n int, kv ...any) string {
	data := pairs(kv)
	data["Count"] = t.Number(n)
	s, err := t.loc.Localize(&i18n.LocalizeConfig{MessageID: key, TemplateData: data, PluralCount: n})
	if err != nil {
		return key
	}
	return s
}

// Number formats n with the language's digits and grouping.
func (t tr) Number(n int) string { return t.num.Sprint(number.Decimal(n)) }

// Number64 formats n with the language's digits and grouping.
func (t tr) Number64(n int64) string { return t.num.Sprint(number.Decimal(n)) }

// Date formats a time in UTC as a long date and time in the language, its
// numbers in the language's digits.
func (t tr) Date(at time.Time) string {
	at = at.UTC()
	digits := func(n int) string { return t.num.Sprint(number.Decimal(n, number.NoSeparator())) }
	return t.T("date.long", "Day", digits(at.Day()), "Month", t.T("month."+strconv.Itoa(int(at.Month()))),
		"Year", digits(at.Year()), "Time", digits(at.Hour())+":"+t.num.Sprint(number.Decimal(at.Minute(), number.MinIntegerDigits(2))))
}

// Dir is the writing direction of the language.
func (t tr) Dir() string {
	if t.lang == "ar" {
		return "rtl"
	}
	return "ltr"
}

// pairs makes a message's template data from name and value pairs. Each
// string value is wrapped in Unicode's first-strong isolate and its closing
// mark, so a name written in another script (an English title in an Arabic
// sentence) keeps its own direction and does not reorder the sentence.
func pairs(kv []any) map[string]any {
	m := make(map[string]any, len(kv)/2+1)
	for i := 0; i+1 < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			continue
		}
		if v, ok := kv[i+1].(string); ok {
			m[k] = "\u2068" + v + "\u2069"
			continue
		}
		m[k] = kv[i+1]
	}
	return m
}

// errorMessageKey is the catalogue key of the message shown for an error
// code of the API's error table.
func errorMessageKey(code string) string { return "errors." + strings.ReplaceAll(code, ".", "_") }
