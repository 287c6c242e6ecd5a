package redis_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/redis"
)

func codecVotes() map[string]voting.Vote {
	castAt := time.Date(2021, 3, 14, 15, 9, 26, 535897932, time.UTC)
	full := voting.Vote{
		ID:        "01890a5d-ac96-774b-bcce-b302099a8057",
		Edition:   "wsis2021",
		VoterID:   1<<40 + 7,
		ProjectID: "p-123",
		Category:  "C7-e-health",
		Slot:      "C7-e-health",
		Status:    voting.StatusFlagged,
		Reasons:   []string{"young account", "shared network", ""},
		CastAt:    castAt,
		Client: voting.Client{
			Network:    "2001:db8:1234::/48",
			UserAgent:  "Mozilla/5.0 (Linux; Android 14) Ünïcödé",
			DeviceHint: "dev-9",
			AccountAge: 36*time.Hour + 5*time.Nanosecond,
		},
	}
	unknown := full
	unknown.Status, unknown.Reasons = "quarantined", nil
	before := full
	before.CastAt = time.Date(1960, 1, 1, 0, 0, 0, 1, time.UTC)
	before.Client.AccountAge = -time.Second
	return map[string]voting.Vote{
		"full":           full,
		"zero":           {CastAt: time.Time{}.UTC()},
		"counted":        {ID: "a", VoterID: 1, Status: voting.StatusCounted, CastAt: castAt},
		"rejected":       {ID: "b", VoterID: 2, Status: voting.StatusRejected, Reasons: []string{"bot"}, CastAt: castAt},
		"invalidated":    {ID: "c", VoterID: 3, Status: voting.StatusInvalidated, CastAt: castAt},
		"unknown status": unknown,
		"before 1970":    before,
	}
}

func TestEncode_roundTrip(t *testing.T) {
	for name, v := range codecVotes() {
		t.Run(name, func(t *testing.T) {
			b := redis.Encode(nil, &v)
			got, err := redis.Decode(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, v) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, v)
			}
			// Every strict prefix of an encoding is refused, never read as
			// a shorter vote.
			for i := range b {
				if _, err := redis.Decode(b[:i]); !errors.Is(err, redis.ErrCorrupt) {
					t.Fatalf("decode %d of %d bytes: %v, want ErrCorrupt", i, len(b), err)
				}
			}
			if _, err := redis.Decode(append(b, 0)); !errors.Is(err, redis.ErrCorrupt) {
				t.Errorf("decode with a trailing byte: %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestEncode_appends(t *testing.T) {
	v := codecVotes()["full"]
	prefix := []byte("keep")
	b := redis.Encode(prefix, &v)
	if string(b[:4]) != "keep" {
		t.Fatalf("Encode overwrote dst: %q", b[:4])
	}
	if _, err := redis.Decode(b[4:]); err != nil {
		t.Fatal(err)
	}
}

func TestDecode_corrupt(t *testing.T) {
	tests := map[string][]byte{
		"empty":             nil,
		"unknown version":   {9},
		"huge string":       {1, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"overlong varint":   {1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
		"bad status code":   {1, 0, 0, 2, 0, 0, 0, 9},
		"huge reason count": {1, 0, 0, 2, 0, 0, 0, 1, 0xff, 0xff, 0x03},
		"nanoseconds":       {1, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0x80, 0x94, 0xeb, 0xdc, 0x03, 0, 0, 0, 0},
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if v, err := redis.Decode(b); !errors.Is(err, redis.ErrCorrupt) {
				t.Errorf("decode: %+v, %v; want ErrCorrupt", v, err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, v := range codecVotes() {
		f.Add(redis.Encode(nil, &v))
	}
	f.Add([]byte{})
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := redis.Decode(b)
		if err != nil {
			if !errors.Is(err, redis.ErrCorrupt) {
				t.Fatalf("decode error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		// Whatever decodes survives another round trip unchanged.
		again, err := redis.Decode(redis.Encode(nil, &v))
		if err != nil {
			t.Fatalf("decode re-encoded %+v: %v", v, err)
		}
		if !reflect.DeepEqual(again, v) {
			t.Fatalf("re-encoded vote changed:\n got %+v\nwant %+v", again, v)
		}
	})
}
