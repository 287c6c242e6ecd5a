package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// windowJSON is a phase window as a request gives it. Its ends stay JSON
// until scheduleOf reads them, so that a time without a zone is answered as
// a field error under the name of that end rather than as a body the
// decoder could not read.
type windowJSON struct {
	Start jsontext.Value `json:"start"`
	End   jsontext.Value `json:"end"`
}

// closeNowField is the member of a PUT /schedule body that confirms a
// window closing the running phase at once (prizes.Schedule.CheckChange).
const closeNowField = "close_now"

// mustBeTime is what a window's end must be.
const mustBeTime = "must be an RFC 3339 time with a zone, such as 2026-05-01T09:00:00Z or 2026-05-01T11:00:00+02:00, or null"

// scheduleOf reads the windows of a request. An end that is not null or an
// RFC 3339 time with a zone is a field error keyed "schedule.<phase>.start"
// or "schedule.<phase>.end"; the domain checks the rest.
func scheduleOf(windows map[voting.Phase]windowJSON) (prizes.Schedule, error) {
	sched := prizes.Schedule{}
	f := prizes.FieldErrors{}
	for p, w := range windows {
		var out prizes.Window
		for _, end := range []struct {
			name string
			raw  jsontext.Value
			to   **time.Time
		}{{"start", w.Start, &out.Start}, {"end", w.End, &out.End}} {
			if len(end.raw) == 0 || end.raw.Kind() == 'n' {
				continue
			}
			var t time.Time
			if end.raw.Kind() != '"' || json.Unmarshal(end.raw, &t) != nil {
				f["schedule."+string(p)+"."+end.name] = mustBeTime
				continue
			}
			*end.to = &t
		}
		sched[p] = out
	}
	return sched, f.Err()
}

// scheduleRequest reads the body of PUT /schedule: an object of windows by
// phase name and, optionally, "close_now": true.
func scheduleRequest(body []byte) (prizes.Schedule, bool, error) {
	var members map[string]jsontext.Value
	if err := decodeJSON(body, &members); err != nil {
		return nil, false, err
	}
	var closeNow bool
	windows := map[voting.Phase]windowJSON{}
	for name, raw := range members {
		if name == closeNowField {
			if k := raw.Kind(); k != 't' && k != 'f' {
				return nil, false, prizes.FieldErrors{closeNowField: "must be true or false"}
			}
			closeNow = raw.Kind() == 't'
			continue
		}
		var w windowJSON
		if err := decodeJSONAt(raw, jsontext.Pointer("").AppendToken(name), &w); err != nil {
			return nil, false, err
		}
		windows[voting.Phase(name)] = w
	}
	sched, err := scheduleOf(windows)
	return sched, closeNow, err
}

// setSchedule is PUT /editions/:edition/schedule: the phase windows, as
// {"submission": {"start": ..., "end": ...}, ...}. A window that would close
// the running phase at once (its end, or the next phase's start, moved to
// now or before) is refused unless the body also has "close_now": true.
func (l *lifecycle) setSchedule(c *gin.Context) {
	body, err := readBody(c, maxLifecycleBody)
	var sched prizes.Schedule
	var closeNow bool
	if err == nil {
		sched, closeNow, err = scheduleRequest(body)
	}
	if err != nil {
		l.fail(c, fmt.Errorf("set schedule: %w", err))
		return
	}
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) (prizes.Edition, error) {
		return l.cfg.Editions.SetSchedule(ctx, a, c.Param("edition"), sched, closeNow)
	}, func(ed prizes.Edition) any { return editionOf(ed) })
}
