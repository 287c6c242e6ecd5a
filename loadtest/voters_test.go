package loadtest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/loadtest"
)

func TestReadVoters(t *testing.T) {
	got, err := loadtest.ReadVoters(strings.NewReader("1\teyJ.a.b\n\n22\tt2\n23\tt3\tkey-23\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []loadtest.Voter{{ID: 1, Token: "eyJ.a.b"}, {ID: 22, Token: "t2"}, {ID: 23, Token: "t3"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("ReadVoters = %+v, want %+v", got, want)
	}
	for _, bad := range []string{"1 token\n", "x\ttoken\n", "0\ttoken\n", "5\t\n", "5\t\tkey\n"} {
		if _, err := loadtest.ReadVoters(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadVoters(%q) succeeded, want an error", bad)
		}
	}
}

func TestFetchProjects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/editions/demo/projects" {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"code":"unknown_edition"}}`))
			return
		}
		w.Write([]byte(`{"edition":"demo","projects":[{"id":"a","category":"C1","title":"A"},{"id":"b","category":"C2"}]}`))
	}))
	defer srv.Close()
	got, err := loadtest.FetchProjects(t.Context(), srv.Client(), srv.URL, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != (loadtest.Project{ID: "a", Category: "C1"}) || got[1] != (loadtest.Project{ID: "b", Category: "C2"}) {
		t.Errorf("FetchProjects = %+v", got)
	}
	if _, err := loadtest.FetchProjects(t.Context(), srv.Client(), srv.URL, "other"); err == nil || !strings.Contains(err.Error(), "unknown_edition") {
		t.Errorf("FetchProjects of an unknown edition: err = %v, want one naming unknown_edition", err)
	}
}
