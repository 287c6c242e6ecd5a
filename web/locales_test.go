package web_test

import (
	"encoding/json"
	"io/fs"
	"sort"
	"testing"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/wsisvote/prizes/web"
)

// messages reads one language's catalogue, all its files, as raw JSON
// values by key; a key defined in two files fails.
func messages(tb testing.TB, lang string) map[string]json.RawMessage {
	tb.Helper()
	all := map[string]json.RawMessage{}
	from := map[string]string{}
	for _, name := range web.LocaleFiles(lang) {
		buf, err := fs.ReadFile(web.Locales(), name)
		if err != nil {
			tb.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(buf, &m); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		for k, v := range m {
			if prev, ok := from[k]; ok {
				tb.Errorf("%s: key %q is also in %s", name, k, prev)
			}
			all[k], from[k] = v, name
		}
	}
	if len(all) == 0 {
		tb.Fatalf("no catalogue for %s", lang)
	}
	return all
}

// TestLocales_complete fails when a language lacks a key English has, or
// has one English does not.
func TestLocales_complete(t *testing.T) {
	en := messages(t, "en")
	for _, lang := range web.Languages()[1:] {
		m := messages(t, lang)
		var missing, extra []string
		for k := range en {
			if _, ok := m[k]; !ok {
				missing = append(missing, k)
			}
		}
		for k := range m {
			if _, ok := en[k]; !ok {
				extra = append(extra, k)
			}
		}
		sort.Strings(missing)
		sort.Strings(extra)
		if len(missing) > 0 || len(extra) > 0 {
			t.Errorf("%s: missing %q, not in English %q", lang, missing, extra)
		}
	}
}

// TestLocales_plurals renders every plural message in every language for
// counts that reach each CLDR plural category (zero, one, two, few, many,
// other, in Arabic, Russian, French and the rest), so a form a language
// needs and its file lacks fails here rather than on a page.
func TestLocales_plurals(t *testing.T) {
	bundle := i18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	for _, lang := range web.Languages() {
		for _, name := range web.LocaleFiles(lang) {
			buf, err := fs.ReadFile(web.Locales(), name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bundle.ParseMessageFileBytes(buf, name); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
	counts := []int{0, 1, 2, 3, 5, 11, 21, 22, 25, 100, 101, 102, 111, 1000000}
	for _, lang := range web.Languages() {
		loc := i18n.NewLocalizer(bundle, lang)
		for key, raw := range messages(t, lang) {
			if len(raw) == 0 || raw[0] != '{' {
				continue
			}
			for _, n := range counts {
				_, tag, err := loc.LocalizeWithTag(&i18n.LocalizeConfig{MessageID: key, PluralCount: n,
					TemplateData: map[string]any{"Count": n}})
				if err != nil {
					t.Errorf("%s %s count %d: %v", lang, key, n, err)
				} else if tag.String() != lang {
					t.Errorf("%s %s count %d: fell back to %s", lang, key, n, tag)
				}
			}
		}
	}
}
