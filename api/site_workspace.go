package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/number"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
)

// The workspaces are the pages of project owners, jurors and organisers.
// They call the same stores as the API's lifecycle routes (PrizesConfig),
// under the same roles: a reader who is not signed in is sent to sign in,
// and one without the role gets the API's forbidden answer as a page. What
// an actor may see beyond that (their own entries, their own panel) is the
// stores' rule, so a page for another owner's entry or another panel is the
// same 404 as on the API.

// workspaceRoutes registers the workspaces of the stores the server has.
func (st *site) workspaceRoutes(g *gin.RouterGroup) {
	public := Policy{Public: true}
	cfg := st.prizes
	if cfg.Editions == nil {
		return
	}
	if cfg.Submissions != nil {
		st.handle(g, http.MethodGet, "/:edition/entries", public, st.ownerEntries)
		st.handle(g, http.MethodGet, "/:edition/entries/new", public, st.ownerNewEntry)
		st.handle(g, http.MethodPost, "/:edition/entries/new", public, st.ownerCreateEntry)
		st.handle(g, http.MethodGet, "/:edition/entries/:id", public, st.ownerEntry)
		st.handle(g, http.MethodPost, "/:edition/entries/:id", public, st.ownerSaveEntry)
		st.handle(g, http.MethodPost, "/:edition/entries/:id/withdraw", public, st.ownerWithdrawEntry)
		st.ownerFileRoutes(g)
	}
	if cfg.Jury != nil {
		st.handle(g, http.MethodGet, "/:edition/jury", public, st.jurorPanel)
		st.handle(g, http.MethodGet, "/:edition/jury/:project", public, st.jurorProject)
		st.handle(g, http.MethodPost, "/:edition/jury/:project", public, st.jurorSave)
		st.handle(g, http.MethodPost, "/:edition/jury/:project/conflict", public, st.jurorConflict)
		st.handle(g, http.MethodGet, "/:edition/jury/:project/submit", public, st.jurorConfirm)
		st.handle(g, http.MethodPost, "/:edition/jury/:project/submit", public, st.jurorSubmit)
	}
	st.organiserRoutes(g)
}

// requireRole lets a page go ahead for a signed-in reader with role, as the
// API's policy does for its route, and returns them as the stores' actor.
// A reader who is not signed in is sent to sign in; one without the role
// gets the forbidden page.
func (st *site) requireRole(c *gin.Context, role string) (prizes.Actor, bool) {
	v, ok := st.requireSignIn(c)
	if !ok {
		return prizes.Actor{}, false
	}
	if !hasRole(v.claims, role) {
		st.problem(c, fmt.Errorf("workspace: role %q missing: %w", role, kind.ErrForbidden))
		return prizes.Actor{}, false
	}
	return prizes.Actor{ID: v.id, Role: role}, true
}

// workspaceEdition returns the edition of the path from the lifecycle
// store, which holds editions in every phase, or answers what went wrong.
func (st *site) workspaceEdition(c *gin.Context) (prizes.Edition, bool) {
	ed, err := st.prizes.Editions.Edition(c.Request.Context(), c.Param("edition"))
	if err != nil {
		st.problem(c, err)
		return prizes.Edition{}, false
	}
	return ed, true
}

// fieldErrors turns a store's refusal into the lines of a form's error
// summary, in the reader's language: each field's message comes from
// message(field), in the order of fields; an error without fields is one
// line for the whole form, the message of its code.
func fieldErrors(t tr, err error, order []string, message func(field string) string) []formError {
	var f prizes.FieldErrors
	if !errors.As(err, &f) {
		return []formError{{Message: t.T(errorMessageKey(kindOf(err).code))}}
	}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		for i, o := range order {
			if k == o || strings.HasPrefix(k, o+"[") || strings.HasPrefix(k, o+".") {
				return i
			}
		}
		return len(order)
	}
	sort.SliceStable(keys, func(i, j int) bool {
		if ri, rj := rank(keys[i]), rank(keys[j]); ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	out := make([]formError, 0, len(keys))
	for _, k := range keys {
		out = append(out, formError{Field: fieldID(k), Message: message(k)})
	}
	return out
}

// fieldID is the id of a field's input on the page: links[2] is links-2,
// scores.impact is score-impact.
func fieldID(key string) string {
	r := strings.NewReplacer("[", "-", "]", "", "scores.", "score-", ".", "-", "_", "-")
	return r.Replace(key)
}

// PluralForms returns message key in each plural form of the reader's
// language, for a script that counts live.
func (p *page) PluralForms(key string) string { return p.tr.pluralForms(key) }

// pluralForms returns message key in each plural form of the reader's
// language, with {n} where the count goes, as JSON for a script that counts
// live (Intl.PluralRules picks the form in the browser).
func (t tr) pluralForms(key string) string {
	tag := language.Make(t.lang)
	forms := map[string]string{}
	names := map[plural.Form]string{plural.Zero: "zero", plural.One: "one", plural.Two: "two",
		plural.Few: "few", plural.Many: "many", plural.Other: "other"}
	for n := 0; n <= 200; n++ {
		name := names[plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)]
		if _, ok := forms[name]; ok {
			continue
		}
		s := t.TN(key, n)
		forms[name] = strings.Replace(s, t.Number(n), "{n}", 1)
	}
	b, _ := json.Marshal(forms)
	return string(b)
}

// wantsJSON reports whether a form was posted by the page's script, which
// saves drafts as the reader types and wants a short answer, not a page.
func wantsJSON(c *gin.Context) bool {
	return c.GetHeader("X-Autosave") == "1"
}

// autosaved answers a draft saved by the page's script: the status line to
// show, the field errors by input id, and where the form now posts.
func autosaved(c *gin.Context, status int, msg string, errs []formError, action string) {
	fields := map[string]string{}
	for _, e := range errs {
		if e.Field != "" {
			fields[e.Field] = e.Message
		}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(status, gin.H{"status": msg, "fields": fields, "action": action})
}

// Clock formats the time of day of at in UTC, in the language's digits.
func (t tr) Clock(at time.Time) string {
	at = at.UTC()
	return t.num.Sprint(number.Decimal(at.Hour(), number.NoSeparator())) + ":" +
		t.num.Sprint(number.Decimal(at.Minute(), number.MinIntegerDigits(2)))
}

// decimal formats x with up to two decimals in the language.
func (t tr) decimal(x float64) string {
	return t.num.Sprint(number.Decimal(x, number.MaxFractionDigits(2)))
}

// CategoryIn returns the name of the category code of ed in the reader's
// language, as CategoryName does.
func (p *page) CategoryIn(ed prizes.Edition, code string) string {
	c, ok := ed.Category(code)
	if !ok {
		return code
	}
	return p.CategoryName(c)
}
