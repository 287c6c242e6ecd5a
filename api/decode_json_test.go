package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
)

// bodyKinds are the routes of api.RequestBodies in a fixed order, so that a
// fuzz input picks the same type every run.
func bodyKinds() []string {
	kinds := make([]string, 0)
	for k := range api.RequestBodies() {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds
}

// newBody returns a new zero value of the body type of route.
func newBody(tb testing.TB, route string) any {
	tb.Helper()
	v, ok := api.RequestBodies()[route]
	if !ok {
		tb.Fatalf("no body type for %q", route)
	}
	return v
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// checkNames walks body, independently of the decoder under test, and
// returns an error unless it is one JSON object in valid UTF-8 where no
// object names a member twice and every object that t (a struct, map,
// slice or pointer type) maps to a struct names only fields of that
// struct, spelt exactly as their json tags.
func checkNames(body []byte, t reflect.Type) error {
	if !utf8.Valid(body) {
		return errors.New("not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("starts with %v, %v rather than an object", tok, err)
	}
	if err := walkObject(dec, t, ""); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("data after the object: %v", err)
	}
	return nil
}

// walkObject checks the members of an object whose '{' was just read.
func walkObject(dec *json.Decoder, t reflect.Type, at string) error {
	t = deref(t)
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name := tok.(string)
		if seen[name] {
			return fmt.Errorf("%s/%s named twice", at, name)
		}
		seen[name] = true
		var member reflect.Type
		switch {
		case t == nil:
		case t.Kind() == reflect.Struct:
			f, ok := fieldNamed(t, name)
			if !ok {
				return fmt.Errorf("%s/%s is not a field of %v", at, name, t)
			}
			member = f
		case t.Kind() == reflect.Map:
			member = t.Elem()
		default:
			return fmt.Errorf("%s is an object for %v", at, t)
		}
		if err := walkValue(dec, member, at+"/"+name); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	return err
}

// walkValue checks one value; a nil t takes any JSON.
func walkValue(dec *json.Decoder, t reflect.Type, at string) error {
	t = deref(t)
	if t != nil && reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		t = nil // raw JSON or a time: names are not the type's to check
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		return walkObject(dec, t, at)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := walkValue(dec, elem, fmt.Sprintf("%s/%d", at, i)); err != nil {
				return err
			}
		}
		_, err := dec.Token() // ']'
		return err
	}
	return nil
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// fieldNamed returns the type of the field of struct t whose JSON name,
// as encoding/json's Marshal writes it, is exactly name.
func fieldNamed(t reflect.Type, name string) (reflect.Type, bool) {
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		n, _, _ := strings.Cut(tag, ",")
		if n == "" {
			n = f.Name
		}
		if n == name {
			return f.Type, true
		}
	}
	return nil, false
}

// refusal is every form a decoding error's message takes once the
// operation's prefix is removed: each says where and what in JSON terms.
var refusal = regexp.MustCompile(`^(` +
	`body is empty` +
	`|.+ must be a JSON object, not (null|a boolean|a string|a number|an array)` +
	`|duplicate field ".*"( in .+)?` +
	`|unknown field ".*"( in .+)?(; names are case-sensitive: did you mean "[^"]+"\?)?` +
	`|truncated JSON` +
	`|malformed JSON at byte offset \d+: .+` +
	`|unexpected data after the JSON object` +
	`|.+ must be (a string|true or false|an integer|a number|an array|a JSON object|a time in RFC 3339 format, such as [^ ]+)(, not .+)?` +
	`|.+ is out of range` +
	`|.+ is not valid` +
	`): invalid request$`)

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		route, body string
		want        string // the error's message, or "" when the body must be accepted
	}{
		{"POST auth/token", `{"email":"ada@example.org","code":"123456"}`, ""},
		{"POST auth/token", `{"email":"ada@example.org","Code":"123456"}`,
			`unknown field "Code"; names are case-sensitive: did you mean "code"?: invalid request`},
		{"POST auth/token", `{"email":"a@example.org","email":"b@example.org"}`, `duplicate field "email": invalid request`},
		{"POST auth/token", `{"email":"ada@example.org"} {"code":"1"}`, "unexpected data after the JSON object: invalid request"},
		{"POST auth/token", "{\"display_name\":\"Ad\xe1\"}", "malformed JSON at byte offset 19: invalid UTF-8: invalid request"},
		{"POST auth/refresh", `{"refresh_token":"r","REFRESH_TOKEN":"s"}`,
			`unknown field "REFRESH_TOKEN"; names are case-sensitive: did you mean "refresh_token"?: invalid request`},
		{"POST editions", `{"id":"e","categories":[{"code":"C1","name":"One"}],"rules":{"public_tally":false}}`, ""},
		{"POST editions", `{"id":"e","categories":[{"Code":"C1"}]}`,
			`unknown field "Code" in categories/0; names are case-sensitive: did you mean "code"?: invalid request`},
		{"POST editions", `{"id":"e","rules":{"rubric":[{"key":"a","key":"b"}]}}`, `duplicate field "key" in rules/rubric/0: invalid request`},
		{"POST editions", `{"id":"e","schedule":{"voting":{"begin":"2026-05-01T09:00:00Z"}}}`,
			`unknown field "begin" in schedule/voting: invalid request`},
		{"PATCH rules", `{"public_tally":false,"rubric":[{"key":"impact","name":"Impact","weight":2}]}`, ""},
		{"PATCH rules", `{"Public_Tally":false}`,
			`unknown field "Public_Tally"; names are case-sensitive: did you mean "public_tally"?: invalid request`},
		{"PATCH rules", `{"public_tally":"no"}`, "public_tally must be true or false, not a string: invalid request"},
		{"PATCH rules", `{"votes_per_category":1.5}`, "votes_per_category must be an integer, not 1.5: invalid request"},
		{"PATCH rules", `{"votes_per_category":1e3}`, "votes_per_category must be an integer, not 1e3: invalid request"},
		{"PATCH rules", `{"votes_per_category":99999999999999999999}`, "votes_per_category is out of range: invalid request"},
		{"PUT schedule", `{"voting":{"start":"2026-05-01T09:00:00Z","Start":"2026-05-01T09:00:00Z"}}`,
			`unknown field "Start" in voting; names are case-sensitive: did you mean "start"?: invalid request`},
		{"POST review", `{"decisions":[{"project_id":"p","decision":"nominate","decision":"reject"}]}`,
			`duplicate field "decision" in decisions/0: invalid request`},
		{"POST review", `{"decisions":{}}`, "decisions must be an array, not an object: invalid request"},
		{"PUT jury/assignments", `{"juror_id":"7","category":"C1"}`, "juror_id must be an integer, not a string: invalid request"},
		{"PUT jury/scores/:p", `{"scores":{"impact":5,"impact":6}}`, `duplicate field "impact" in scores: invalid request`},
		{"PUT jury/scores/:p", `{"scores":["impact",7]}`, "scores must be a JSON object, not an array: invalid request"},
		{"POST ties", `[]`, "body must be a JSON object, not an array: invalid request"},
		{"POST phase", ` `, "body is empty: invalid request"},
		{"POST phase", `{"phase":"voting"`, "truncated JSON: invalid request"},
		{"POST jury/conflicts", `{"` + strings.Repeat("x", 200) + `":1}`,
			`unknown field "` + strings.Repeat("x", 100) + `...": invalid request`},
	}
	for _, tt := range tests {
		t.Run(tt.route+" "+tt.body, func(t *testing.T) {
			err := api.DecodeJSON([]byte(tt.body), newBody(t, tt.route))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			if !errors.Is(err, kind.ErrInvalid) {
				t.Errorf("error %v does not wrap kind.ErrInvalid", err)
			}
			if !refusal.MatchString(err.Error()) {
				t.Errorf("message %q is not in a known form", err)
			}
		})
	}
}

func TestCheckJSON(t *testing.T) {
	tests := []struct {
		ct string
		ok bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"application/json;charset=UTF-8", true},
		{"Application/JSON; Charset=\"utf-8\"", true},
		{"", false},
		{"text/plain", false},
		{"application/json; charset=utf-16", false},
		{"application/json; charset=iso-8859-1", false},
		{"application/json; charset=utf-8; boundary=x", false},
		{"application/json; version=2", false},
		{"application/jsonx", false},
		{"application/json-patch+json", false},
		{"application/x-www-form-urlencoded", false},
		{"multipart/form-data; boundary=x", false},
		{"application/json; charset=utf-8; charset=utf-16", false},
		{"application/json; charset=", false},
		{"application/json;", true},
	}
	for _, tt := range tests {
		t.Run(tt.ct, func(t *testing.T) {
			err := api.CheckJSON(tt.ct)
			if tt.ok != (err == nil) {
				t.Fatalf("CheckJSON(%q) = %v, want accepted: %v", tt.ct, err, tt.ok)
			}
			if err != nil && errors.Is(err, kind.ErrInvalid) {
				t.Errorf("a refused content type is an invalid request rather than an unsupported one: %v", err)
			}
		})
	}
}

// FuzzDecodeJSON decodes anything into every route's body type. Whatever
// it accepts is one object in valid UTF-8 whose every name is spelt as a
// json tag and appears once, and reads back the same after encoding; the
// rules are read the same by the domain's own decoder; whatever it refuses
// is an invalid request told in one of the known forms.
func FuzzDecodeJSON(f *testing.F) {
	kinds := bodyKinds()
	seeds := []string{
		`{"project_id":"p-1"}`,
		`{"Project_ID":"p-1"}`,
		`{"project_id":"p-1","project_id":"p-1"}`,
		`{"email":"ada@example.org","code":"123456","display_name":"Ada","country":"GB"}`,
		`{"refresh_token":"abc"}`,
		`{"id":"e","name":"E","categories":[{"code":"C1","name":"One"}],"rules":{"public_tally":false},"schedule":{"voting":{"start":"2026-05-01T09:00:00Z"}}}`,
		`{"public_tally":true,"votes_per_category":2,"rubric":[{"key":"impact","name":"Impact","weight":1.5}],"champion_tie_break":["organiser"]}`,
		`{"voting":{"start":"2026-05-01T09:00:00Z","end":"2026-06-01T09:00:00+02:00"}}`,
		`{"phase":"voting"}`,
		`{"category":"C1","title":"T","summary":"s","organisation":"O","country":"KE","stakeholder_type":"civil_society","links":["https://example.org"]}`,
		`{"decisions":[{"project_id":"p","decision":"nominate","reason":""}]}`,
		`{"stage":"champions","category":"C1","order":["a","b"],"reason":"lot"}`,
		`{"juror_id":7,"category":"C1"}`,
		`{"project_id":"p","reason":"employer"}`,
		`{"scores":{"impact":5,"replicability":7},"comment":"ok"}`,
		`{"scores":{"impact":5,"impact":7}}`,
		`{"a\u0062":1}`,
		"{\"title\":\"\xff\"}",
		`null`,
		``,
	}
	for i, seed := range seeds {
		f.Add(uint8(i), []byte(seed))
	}
	f.Fuzz(func(t *testing.T, pick uint8, data []byte) {
		route := kinds[int(pick)%len(kinds)]
		v := newBody(t, route)
		err := api.DecodeJSON(data, v)
		if err != nil {
			if !errors.Is(err, kind.ErrInvalid) {
				t.Fatalf("%s: error %v does not wrap kind.ErrInvalid", route, err)
			}
			if !refusal.MatchString(err.Error()) {
				t.Fatalf("%s: %q refused with a message in no known form: %q", route, data, err)
			}
			return
		}
		if err := checkNames(data, reflect.TypeOf(v)); err != nil {
			t.Fatalf("%s: accepted %q: %v", route, data, err)
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: encode %+v: %v", route, v, err)
		}
		back := newBody(t, route)
		if err := api.DecodeJSON(again, back); err != nil {
			t.Fatalf("%s: %q accepted, its encoding %s refused: %v", route, data, again, err)
		}
		if twice, _ := json.Marshal(back); !bytes.Equal(twice, again) {
			t.Fatalf("%s: %q read back as %s, then %s", route, data, again, twice)
		}
		if route == "PATCH rules" {
			// The domain decodes the rules with encoding/json, which matches
			// names without regard to case and keeps the last of repeated
			// ones; on a body held to exact, single names it must read the
			// same settings.
			var lenient prizes.Rules
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&lenient); err != nil {
				t.Fatalf("rules %q accepted, refused by encoding/json: %v", data, err)
			}
			if l, _ := json.Marshal(lenient); !bytes.Equal(l, again) {
				t.Fatalf("rules %q read as %s, by encoding/json as %s", data, again, l)
			}
		}
	})
}
