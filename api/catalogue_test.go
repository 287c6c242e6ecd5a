package api_test

import (
	"net/http"
	"reflect"
	"testing"
)

type projectsBody struct {
	Edition  string `json:"edition"`
	Projects []struct {
		ID           string `json:"id"`
		Category     string `json:"category"`
		Title        string `json:"title"`
		Organisation string `json:"organisation"`
		Country      string `json:"country"`
	} `json:"projects"`
}

func TestProjects(t *testing.T) {
	tests := []struct {
		name string
		path string
		want []string // project ids in order
	}{
		{"every nominee", "/api/v1/editions/demo/projects", []string{"p-c1-a", "p-c1-b", "p-c2-a"}},
		{"one category", "/api/v1/editions/demo/projects?category=C1", []string{"p-c1-a", "p-c1-b"}},
		{"empty category means all", "/api/v1/editions/demo/projects?category=", []string{"p-c1-a", "p-c1-b", "p-c2-a"}},
		{"category without nominees", "/api/v1/editions/closed/projects?category=C2", []string{}},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(t, request{path: tt.path})
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200 (body %s)", w.Code, w.Body)
			}
			var got projectsBody
			decode(t, w, &got)
			ids := []string{}
			for _, p := range got.Projects {
				ids = append(ids, p.ID)
			}
			if !reflect.DeepEqual(ids, tt.want) {
				t.Errorf("projects = %v, want %v", ids, tt.want)
			}
			if got.Projects == nil {
				t.Error("projects is null, want a list")
			}
		})
	}

	t.Run("fields", func(t *testing.T) {
		w := f.do(t, request{path: "/api/v1/editions/demo/projects?category=C2"})
		var got projectsBody
		decode(t, w, &got)
		if got.Edition != "demo" || len(got.Projects) != 1 {
			t.Fatalf("body = %+v", got)
		}
		p := got.Projects[0]
		if p.ID != "p-c2-a" || p.Category != "C2" || p.Title != "Charlie" || p.Organisation != "Org C" || p.Country != "BR" {
			t.Errorf("project = %+v", p)
		}
	})
}

func TestProjects_Errors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantCode   string
	}{
		{"unknown edition", "/api/v1/editions/nope/projects", 404, "unknown_edition"},
		{"unknown category", "/api/v1/editions/demo/projects?category=C99", 404, "unknown_category"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, f.do(t, request{path: tt.path}), tt.wantStatus, tt.wantCode)
		})
	}
}
