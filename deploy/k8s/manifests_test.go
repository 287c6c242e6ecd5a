// Package k8s_test renders the Kustomize overlays in this folder with the
// kustomize library, as `kubectl kustomize` does, and decodes every object
// strictly into its Kubernetes API type, so that a misspelt field, a value of
// the wrong type or a selector that matches nothing fails here rather than at
// deploy time.
package k8s_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// cnpgCluster is the part of CloudNativePG's Cluster resource the engines
// example uses; the operator's own types are not a dependency of prizes.
type cnpgCluster struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace,omitempty"`
		Labels    map[string]string `json:"labels,omitempty"`
	} `json:"metadata"`
	Spec struct {
		Instances       int    `json:"instances"`
		ImageName       string `json:"imageName"`
		MinSyncReplicas int    `json:"minSyncReplicas"`
		MaxSyncReplicas int    `json:"maxSyncReplicas"`
		Bootstrap       struct {
			InitDB struct {
				Database string `json:"database"`
				Owner    string `json:"owner"`
			} `json:"initdb"`
		} `json:"bootstrap"`
		PostgreSQL struct {
			Parameters map[string]string `json:"parameters"`
		} `json:"postgresql"`
		Storage struct {
			Size string `json:"size"`
		} `json:"storage"`
		Resources corev1.ResourceRequirements `json:"resources"`
		Backup    struct {
			RetentionPolicy string `json:"retentionPolicy"`
		} `json:"backup"`
	} `json:"spec"`
}

// newObject returns an empty value of the API type of apiVersion and kind.
func newObject(apiVersion, kind string) (any, bool) {
	switch apiVersion + " " + kind {
	case "v1 Namespace":
		return &corev1.Namespace{}, true
	case "v1 ConfigMap":
		return &corev1.ConfigMap{}, true
	case "v1 Secret":
		return &corev1.Secret{}, true
	case "v1 Service":
		return &corev1.Service{}, true
	case "apps/v1 Deployment":
		return &appsv1.Deployment{}, true
	case "apps/v1 StatefulSet":
		return &appsv1.StatefulSet{}, true
	case "batch/v1 Job":
		return &batchv1.Job{}, true
	case "autoscaling/v2 HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, true
	case "policy/v1 PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	case "postgresql.cnpg.io/v1 Cluster":
		return &cnpgCluster{}, true
	}
	return nil, false
}

// decodeStrict decodes one object's JSON into out, refusing unknown fields
// and trailing data.
func decodeStrict(raw []byte, out any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(out); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("data after the object")
	}
	return nil
}

// render builds the kustomization in dir and decodes every object.
func render(t *testing.T, dir string) []any {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	return decodeAll(t, dir, m)
}

func decodeAll(t *testing.T, dir string, m resmap.ResMap) []any {
	t.Helper()
	var objs []any
	for _, r := range m.Resources() {
		raw, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("%s: %s: %v", dir, r.CurId(), err)
		}
		obj, ok := newObject(r.GetApiVersion(), r.GetKind())
		if !ok {
			t.Errorf("%s: %s %s: no API type to check it against", dir, r.GetApiVersion(), r.GetKind())
			continue
		}
		if err := decodeStrict(raw, obj); err != nil {
			t.Errorf("%s: %s %s: %v", dir, r.GetKind(), r.GetName(), err)
			continue
		}
		objs = append(objs, obj)
	}
	return objs
}

// TestManifests_decode renders the base, the engines and the production
// overlay, and checks what a cluster would only find when it runs them.
func TestManifests_decode(t *testing.T) {
	envNames := prizesEnv(t)
	for _, dir := range []string{"base", "engines", "overlays/production"} {
		t.Run(dir, func(t *testing.T) {
			objs := render(t, dir)
			if len(objs) == 0 {
				t.Fatal("no object rendered")
			}
			checkWorkloads(t, objs, envNames, dir == "overlays/production")
		})
	}
}

// checkWorkloads checks every prizes container, and that every Service,
// PodDisruptionBudget and HorizontalPodAutoscaler finds its target.
func checkWorkloads(t *testing.T, objs []any, envNames map[string]bool, production bool) {
	t.Helper()
	var pods []map[string]string // pod template labels of the workloads
	deployments := map[string]bool{}
	configs := map[string]*corev1.ConfigMap{}
	for _, o := range objs {
		var spec *corev1.PodTemplateSpec
		switch o := o.(type) {
		case *appsv1.Deployment:
			spec = &o.Spec.Template
			deployments[o.Name] = true
			sel, err := metav1Selector(o.Spec.Selector.MatchLabels)
			if err != nil || !sel.Matches(labels.Set(o.Spec.Template.Labels)) {
				t.Errorf("deployment %s: its selector does not match its pods", o.Name)
			}
		case *appsv1.StatefulSet:
			spec = &o.Spec.Template
		case *batchv1.Job:
			spec = &o.Spec.Template
		case *corev1.ConfigMap:
			configs[o.Name] = o
		}
		if spec == nil {
			continue
		}
		pods = append(pods, spec.Labels)
		for _, c := range spec.Spec.Containers {
			if !strings.Contains(c.Image, "prizes") {
				continue
			}
			checkContainer(t, c, envNames, production)
		}
	}
	for name, cm := range configs {
		if !strings.HasPrefix(name, "prizes") || strings.HasPrefix(name, "prizes-redis") {
			continue
		}
		for k := range cm.Data {
			if !envNames[k] {
				t.Errorf("configmap %s sets %s, which prizes does not read", name, k)
			}
		}
	}
	matches := func(sel map[string]string) bool {
		return slices.ContainsFunc(pods, func(l map[string]string) bool { return labels.SelectorFromSet(sel).Matches(labels.Set(l)) })
	}
	for _, o := range objs {
		switch o := o.(type) {
		case *corev1.Service:
			if !matches(o.Spec.Selector) {
				t.Errorf("service %s selects no pod", o.Name)
			}
		case *policyv1.PodDisruptionBudget:
			if !matches(o.Spec.Selector.MatchLabels) {
				t.Errorf("disruption budget %s selects no pod", o.Name)
			}
		case *autoscalingv2.HorizontalPodAutoscaler:
			if o.Spec.ScaleTargetRef.Kind != "Deployment" || !deployments[o.Spec.ScaleTargetRef.Name] {
				t.Errorf("autoscaler %s scales %s %s, which is not here", o.Name, o.Spec.ScaleTargetRef.Kind, o.Spec.ScaleTargetRef.Name)
			}
			if o.Spec.MinReplicas == nil || *o.Spec.MinReplicas < 2 {
				t.Errorf("autoscaler %s may scale below two replicas", o.Name)
			}
		}
	}
}

func metav1Selector(m map[string]string) (labels.Selector, error) {
	if len(m) == 0 {
		return nil, fmt.Errorf("empty selector")
	}
	return labels.SelectorFromSet(m), nil
}

// checkContainer checks a prizes container: a subcommand prizes has, only
// variables prizes reads, resource requests, probes on long-running ones,
// and a pinned image in production.
func checkContainer(t *testing.T, c corev1.Container, envNames map[string]bool, production bool) {
	t.Helper()
	if len(c.Args) == 0 || !slices.Contains([]string{"serve", "flush", "migrate"}, c.Args[0]) {
		t.Errorf("container %s runs prizes %v", c.Name, c.Args)
	}
	for _, e := range c.Env {
		if !envNames[e.Name] {
			t.Errorf("container %s sets %s, which prizes does not read", c.Name, e.Name)
		}
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
		t.Errorf("container %s requests no CPU or memory", c.Name)
	}
	if len(c.Args) > 0 && c.Args[0] != "migrate" && c.LivenessProbe == nil {
		t.Errorf("container %s has no liveness probe", c.Name)
	}
	if len(c.Args) > 0 && c.Args[0] == "serve" && c.ReadinessProbe == nil {
		t.Errorf("container %s has no readiness probe", c.Name)
	}
	if production && !strings.Contains(c.Image, ":") {
		t.Errorf("container %s runs image %q, not a pinned tag", c.Name, c.Image)
	}
}

// envVar finds the environment variables cmd/prizes binds: every flag is
// declared with its variable's name after PRIZES_.
var envVar = regexp.MustCompile(`"([A-Z][A-Z0-9_]+)"`)

// prizesEnv returns the PRIZES_ variables cmd/prizes reads, from its source.
func prizesEnv(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{"PRIZES_FLUSH": true}
	files, err := os.ReadDir("../../cmd/prizes")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.HasPrefix(f.Name(), "config") || !strings.HasSuffix(f.Name(), ".go") || strings.HasSuffix(f.Name(), "_test.go") {
			continue
		}
		src, err := os.ReadFile("../../cmd/prizes/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range envVar.FindAllStringSubmatch(string(src), -1) {
			out["PRIZES_"+m[1]] = true
		}
	}
	if !out["PRIZES_DATABASE_URL"] || !out["PRIZES_REDIS_URL"] {
		t.Fatalf("found no PRIZES_DATABASE_URL or PRIZES_REDIS_URL in cmd/prizes: %v", out)
	}
	return out
}

// TestManifests_strict shows that the decoding catches what it is there to
// catch: a misspelt field and a value of the wrong type.
func TestManifests_strict(t *testing.T) {
	for name, doc := range map[string]string{
		"misspelt field": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replica: 2}\n",
		"wrong type":     "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: two}\n",
	} {
		t.Run(name, func(t *testing.T) {
			raw, err := yaml.YAMLToJSON([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if err := decodeStrict(raw, &appsv1.Deployment{}); err == nil {
				t.Error("decoded without an error")
			}
		})
	}
}

// TestCompose_env: deploy/compose.yaml sets only variables prizes reads and
// runs only subcommands it has.
func TestCompose_env(t *testing.T) {
	raw, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		XPrizes struct {
			Environment map[string]string `json:"environment"`
		} `json:"x-prizes"`
		Services map[string]struct {
			Image   string   `json:"image"`
			Command []string `json:"command"`
		} `json:"services"`
	}
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	env := prizesEnv(t)
	if len(c.XPrizes.Environment) == 0 {
		t.Fatal("compose.yaml: no prizes environment")
	}
	for k := range c.XPrizes.Environment {
		if !env[k] {
			t.Errorf("compose.yaml sets %s, which prizes does not read", k)
		}
	}
	for _, s := range []string{"api", "flusher", "migrate", "redis", "postgres", "mailpit", "prometheus", "grafana"} {
		if _, ok := c.Services[s]; !ok {
			t.Errorf("compose.yaml has no service %s", s)
		}
	}
	for name, want := range map[string]string{"api": "serve", "flusher": "flush", "migrate": "migrate"} {
		if cmd := c.Services[name].Command; len(cmd) == 0 || cmd[0] != want {
			t.Errorf("compose.yaml: %s runs %v, want prizes %s", name, cmd, want)
		}
	}
}
