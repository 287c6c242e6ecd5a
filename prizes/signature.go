package prizes

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
)

// SignedResults is a results document with its Ed25519 signature. Document
// holds the exact signed bytes; anyone can check them with the public key,
// which is published with them:
//
//	ed25519.Verify(base64(public_key), document bytes, base64(signature))
type SignedResults struct {
	Document  json.RawMessage `json:"document"`
	Digest    string          `json:"digest"`
	Algorithm string          `json:"algorithm"`
	KeyID     string          `json:"key_id"`
	PublicKey string          `json:"public_key"`
	Signature string          `json:"signature"`
}

// SignResults signs a canonical results document with key, known as kid.
func SignResults(doc []byte, kid string, key ed25519.PrivateKey) SignedResults {
	return SignedResults{
		Document:  append(json.RawMessage(nil), doc...),
		Digest:    HashBytes(doc),
		Algorithm: "Ed25519",
		KeyID:     kid,
		PublicKey: base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(key, doc)),
	}
}

// Verify checks the signature and digest against the document. It returns
// an error wrapping ErrBadSignature.
func (s SignedResults) Verify() error {
	pub, err := base64.StdEncoding.DecodeString(s.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("verify results: public key is not a base64 Ed25519 key: %w", ErrBadSignature)
	}
	sig, err := base64.StdEncoding.DecodeString(s.Signature)
	if err != nil {
		return fmt.Errorf("verify results: signature is not base64: %w", ErrBadSignature)
	}
	if s.Algorithm != "Ed25519" {
		return fmt.Errorf("verify results: algorithm %q: %w", s.Algorithm, ErrBadSignature)
	}
	if !ed25519.Verify(pub, s.Document, sig) {
		return fmt.Errorf("verify results: %w", ErrBadSignature)
	}
	if HashBytes(s.Document) != s.Digest {
		return fmt.Errorf("verify results: digest does not match the document: %w", ErrBadSignature)
	}
	return nil
}

// Results decodes the signed document.
func (s SignedResults) Results() (Results, error) {
	var r Results
	if err := json.Unmarshal(s.Document, &r); err != nil {
		return Results{}, fmt.Errorf("decode results: %w", err)
	}
	if r.Format != ResultsFormat {
		return Results{}, fmt.Errorf("decode results: format %q, want %q", r.Format, ResultsFormat)
	}
	return r, nil
}

// DiffDocuments compares two JSON documents and lists where they differ, as
// "path: a != b" lines, at most limit of them (all when limit <= 0).
func DiffDocuments(a, b []byte, limit int) ([]string, error) {
	var va, vb any
	for _, x := range []struct {
		doc []byte
		v   *any
	}{{a, &va}, {b, &vb}} {
		dec := json.NewDecoder(bytes.NewReader(x.doc))
		dec.UseNumber()
		if err := dec.Decode(x.v); err != nil {
			return nil, fmt.Errorf("diff documents: %w", err)
		}
	}
	var out []string
	diffValue("$", va, vb, &out)
	if limit > 0 && len(out) > limit {
		more := len(out) - limit
		out = append(out[:limit], fmt.Sprintf("... and %d more", more))
	}
	return out, nil
}

func diffValue(path string, a, b any, out *[]string) {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			diffValue(path+"."+k, x[k], y[k], out)
		}
		return
	case []any:
		y, ok := b.([]any)
		if !ok {
			break
		}
		n := max(len(x), len(y))
		for i := 0; i < n; i++ {
			var ea, eb any
			if i < len(x) {
				ea = x[i]
			}
			if i < len(y) {
				eb = y[i]
			}
			diffValue(path+"["+strconv.Itoa(i)+"]", ea, eb, out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, fmt.Sprintf("%s: %s != %s", path, show(a), show(b)))
	}
}

func show(v any) string {
	if v == nil {
		return "(absent)"
	}
	b, err := json.Marshal(v)
	if err != nil || len(b) > 120 {
		return fmt.Sprintf("%.120v", v)
	}
	return string(b)
}
