package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
)

// errUnsupportedMediaType is a request body sent without the JSON content
// type in UTF-8.
var errUnsupportedMediaType = kind.New(kind.Invalid, "unsupported_media_type",
	"the body must be JSON in UTF-8, sent with Content-Type: application/json")

// checkJSON accepts the Content-Type of a JSON request body:
// application/json, alone or with charset=utf-8 (names and values in any
// case). A missing Content-Type, any other type, another charset or any
// other parameter is refused with errUnsupportedMediaType, before the body
// is read.
func checkJSON(ct string) error {
	if ct == "application/json" {
		return nil
	}
	if ct == "" {
		return fmt.Errorf("no content type: %w", errUnsupportedMediaType)
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err == nil && mt == "application/json" &&
		(len(params) == 0 || len(params) == 1 && strings.EqualFold(params["charset"], "utf-8")) {
		return nil
	}
	return fmt.Errorf("content type %q is not application/json in UTF-8: %w", ct, errUnsupportedMediaType)
}

// decodeBody reads the request's JSON body, of at most max bytes, into v as
// decodeJSON does. The content type is checked before anything is read.
func decodeBody(c *gin.Context, max int64, v any) error {
	body, err := readBody(c, max)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

// readBody reads the request's JSON body, of at most max bytes, after
// checking its content type. The body is returned as it came; decodeJSON
// says whether it is what the route expects.
func readBody(c *gin.Context, max int64) ([]byte, error) {
	if err := checkJSON(c.GetHeader("Content-Type")); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w: %w", kind.ErrInvalid, err)
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("body exceeds %d bytes: %w", max, kind.ErrInvalid)
	}
	return body, nil
}

// strict are the options every request body is decoded with: names match
// the json tags of the target exactly (case included), an object may not
// name a member twice at any depth, a name the target does not have is
// refused, and the text must be valid UTF-8. They are the library's
// defaults except for unknown names, and are spelled out so that a change
// of default cannot loosen them.
var strict = json.JoinOptions(
	json.MatchCaseInsensitiveNames(false),
	json.RejectUnknownMembers(true),
	jsontext.AllowDuplicateNames(false),
	jsontext.AllowInvalidUTF8(false),
)

// decodeJSON decodes body, which must be exactly one JSON object, into v,
// a pointer to the route's request type, under the strict options; JSON
// whitespace may surround the object, nothing else may follow it. Every
// error wraps kind.ErrInvalid and says what was wrong in the client's
// terms: where in the body (see place) and what JSON was expected, never a
// Go type.
func decodeJSON(body []byte, v any) error {
	return decodeJSONAt(body, "", v)
}

// decodeJSONAt is decodeJSON for a value found at ptr within the request
// body, so that its errors name the place in the whole body.
func decodeJSONAt(body []byte, ptr jsontext.Pointer, v any) error {
	if skipSpace(body, 0) == len(body) {
		return fmt.Errorf("%s is empty: %w", place(ptr), kind.ErrInvalid)
	}
	dec := jsontext.NewDecoder(bytes.NewReader(body), strict)
	if k := dec.PeekKind(); k != '{' && k != 0 {
		// A kind of 0 is malformed JSON, which the decoder reports below.
		return fmt.Errorf("%s must be a JSON object, not %s: %w", place(ptr), kindName(k), kind.ErrInvalid)
	}
	if err := json.UnmarshalDecode(dec, v, strict); err != nil {
		return fmt.Errorf("%s: %w", describeJSON(err, ptr), kind.ErrInvalid)
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return fmt.Errorf("unexpected data after the JSON object: %w", kind.ErrInvalid)
	}
	return nil
}

// checkRules checks that raw, found at ptr in the request body, is a JSON
// object of rules settings as prizes.Rules names them. The rules routes
// hand the settings to the domain as JSON, which decodes them itself; this
// holds them to the same strict rules as every other body first.
func checkRules(raw []byte, ptr jsontext.Pointer) error {
	var r prizes.Rules
	return decodeJSONAt(raw, ptr, &r)
}

// describeJSON says what is wrong with a body in the client's terms rather
// than in the decoder's, which names Go types. base is where the decoded
// value sits in the whole body.
func describeJSON(err error, base jsontext.Pointer) string {
	var syn *jsontext.SyntacticError
	var sem *json.SemanticError
	switch {
	case errors.As(err, &syn) && syn.Err == jsontext.ErrDuplicateName:
		ptr := base + syn.JSONPointer
		return "duplicate field " + quoteName(ptr.LastToken()) + within(ptr.Parent())
	case errors.As(err, &syn) && errors.Is(syn.Err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	case errors.As(err, &syn):
		return fmt.Sprintf("malformed JSON at byte offset %d: %v", syn.ByteOffset, syn.Err)
	case errors.As(err, &sem) && sem.Err == json.ErrUnknownName:
		ptr := base + sem.JSONPointer
		name := ptr.LastToken()
		msg := "unknown field " + quoteName(name) + within(ptr.Parent())
		if known := foldedField(sem.GoType, name); known != "" {
			msg += "; names are case-sensitive: did you mean " + strconv.Quote(known) + "?"
		}
		return msg
	case errors.As(err, &sem):
		return describeValue(sem, base+sem.JSONPointer)
	}
	return "the body is not what this request takes"
}

// describeValue says what is wrong with a value of the right syntax that
// does not fit the field at ptr.
func describeValue(sem *json.SemanticError, ptr jsontext.Pointer) string {
	want, wantKind := expected(sem.GoType)
	switch {
	case want == "":
		return place(ptr) + " is not valid"
	case errors.Is(sem.Err, strconv.ErrRange):
		return place(ptr) + " is out of range"
	case sem.JSONKind == 0 || sameKind(sem.JSONKind, wantKind):
		// The JSON is of the right kind but not a value the field takes,
		// such as a fraction for an integer or a malformed time.
		if len(sem.JSONValue) > 0 && len(sem.JSONValue) <= 40 {
			return fmt.Sprintf("%s must be %s, not %s", place(ptr), want, sem.JSONValue)
		}
		return fmt.Sprintf("%s must be %s", place(ptr), want)
	}
	return fmt.Sprintf("%s must be %s, not %s", place(ptr), want, kindName(sem.JSONKind))
}

var timeType = reflect.TypeFor[time.Time]()

// expected says in JSON terms what a field of type t takes, and the kind of
// JSON value that is.
func expected(t reflect.Type) (string, jsontext.Kind) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "", 0
	}
	if t == timeType {
		return "a time in RFC 3339 format, such as 2026-05-01T09:00:00Z", '"'
	}
	switch t.Kind() {
	case reflect.String:
		return "a string", '"'
	case reflect.Bool:
		return "true or false", 't'
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer", '0'
	case reflect.Float32, reflect.Float64:
		return "a number", '0'
	case reflect.Slice, reflect.Array:
		return "an array", '['
	case reflect.Map, reflect.Struct:
		return "a JSON object", '{'
	}
	return "", 0
}

func sameKind(got, want jsontext.Kind) bool {
	if got == 'f' {
		got = 't'
	}
	return got == want
}

// kindName names a kind of JSON value as a client would.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "malformed JSON"
}

// foldedField returns the JSON name of a field of the struct type t that
// equals name but for case, or "" when there is none. It lets a message
// point out a misspelt case.
func foldedField(t reflect.Type, name string) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return ""
	}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		known, _, _ := strings.Cut(tag, ",")
		if known == "" {
			known = f.Name
		}
		if known != name && strings.EqualFold(known, name) {
			return known
		}
	}
	return ""
}

// maxShown bounds a name or a place quoted back in a message, so that an
// error about a huge body stays short.
const maxShown = 100

// place names the value at ptr: "body" for the whole of it, otherwise the
// names and indexes that lead to it joined by slashes, such as "project_id"
// or "decisions/0/reason", with "" for an empty name.
func place(ptr jsontext.Pointer) string {
	if ptr == "" {
		return "body"
	}
	var b strings.Builder
	for tok := range ptr.Tokens() {
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		if tok == "" {
			tok = `""`
		}
		b.WriteString(tok)
	}
	return shorten(b.String())
}

// within is " in <place>" for a member of a nested object, and nothing for
// one of the body's own members.
func within(parent jsontext.Pointer) string {
	if parent == "" {
		return ""
	}
	return " in " + place(parent)
}

func quoteName(name string) string {
	return strconv.Quote(shorten(name))
}

// shorten cuts s to at most maxShown bytes on a character boundary.
func shorten(s string) string {
	if len(s) <= maxShown {
		return s
	}
	i := maxShown
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}
