// Package layout_test guards the shape of the code base: the domain packages
// stay free of infrastructure libraries, which live in adapter subpackages.
package layout_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// banned are the libraries only adapters and api/ may import.
var banned = []string{
	"github.com/gin-gonic/gin",
	"github.com/jackc/pgx",
	"github.com/redis/go-redis",
	"github.com/golang-jwt/jwt",
	"github.com/prometheus/",
}

// domain are the domain packages (not their adapter subpackages).
var domain = []string{"voting", "prizes", "antifraud", "identity", "transparency", "notify"}

func TestDomainImports(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range domain {
		t.Run(pkg, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", "./"+pkg)
			cmd.Dir = root
			out, err := cmd.CombinedOutput()
			if err != nil {
				if strings.Contains(string(out), "directory not found") || strings.Contains(string(out), "no Go files") {
					t.Skipf("%s has no Go package yet", pkg)
				}
				t.Fatalf("go list %s: %v\n%s", pkg, err, out)
			}
			deps := strings.Fields(string(out))
			if len(deps) < 2 {
				t.Fatalf("go list %s listed too little: %q", pkg, out)
			}
			for _, dep := range deps {
				for _, b := range banned {
					if strings.HasPrefix(dep, b) {
						t.Errorf("domain package %s depends on %s; move that code into an adapter subpackage", pkg, dep)
					}
				}
			}
		})
	}
}

// TestVerifyStandsAlone keeps the auditors' checks (transparency/verify)
// readable on their own: they import no package of this module, so they
// share no code with what builds the log.
func TestVerifyStandsAlone(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "./transparency/verify")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 2 {
		t.Fatalf("go list listed too little: %q", out)
	}
	for _, dep := range deps {
		if strings.HasPrefix(dep, "github.com/wsisvote/prizes/") && dep != "github.com/wsisvote/prizes/transparency/verify" {
			t.Errorf("transparency/verify depends on %s; the auditors' checks must stand alone", dep)
		}
	}
}
