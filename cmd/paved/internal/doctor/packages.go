package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// A Package is one of the Crossplane packages paved's Configuration
// depends on, with the version constraint of its dependsOn
// (crossplane.yaml; TestConstraintsMatchPackages keeps them equal).
type Package struct {
	Kind string // Function or Provider
	// Name is the last element of the package's repository: the package
	// may be pushed to another registry (README, Install), but keeps its
	// name.
	Name       string
	Constraint string
}

// Packages are paved's Configuration's dependencies.
var Packages = []Package{
	{Kind: "Function", Name: "function-paved", Constraint: ">=v0.1.0"},
	{Kind: "Provider", Name: "provider-paved", Constraint: ">=v0.1.0"},
	{Kind: "Provider", Name: "provider-aws-rds", Constraint: ">=v2.6.0, <v3.0.0"},
	{Kind: "Provider", Name: "provider-aws-ec2", Constraint: ">=v2.6.0, <v3.0.0"},
	{Kind: "Provider", Name: "provider-aws-s3", Constraint: ">=v2.6.0, <v3.0.0"},
	{Kind: "Provider", Name: "provider-aws-sqs", Constraint: ">=v2.6.0, <v3.0.0"},
	{Kind: "Provider", Name: "provider-aws-elasticache", Constraint: ">=v2.6.0, <v3.0.0"},
	{Kind: "Provider", Name: "provider-aws-docdb", Constraint: ">=v2.6.0, <v3.0.0"},
}

// packages checks that each package is installed, Installed and Healthy,
// at a version its constraint admits. A package's conditions are those of
// crossplane apis v2.4.0 pkg/v1/conditions.go (TypeInstalled,
// TypeHealthy); constraints are evaluated as Crossplane's package manager
// evaluates dependsOn, with github.com/Masterminds/semver/v3 (crossplane
// v2.4.0 internal/controller/pkg/revision/dependency.go).
func (d *Doctor) packages(ctx context.Context) []Result {
	lists := map[string][]unstructured.Unstructured{}
	var out []Result
	for _, p := range Packages {
		what := "package " + p.Name
		items, listed := lists[p.Kind]
		if !listed {
			l := &unstructured.UnstructuredList{}
			l.SetGroupVersionKind(schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: p.Kind + "List"})
			if err := d.Client.List(ctx, l); err != nil {
				if meta.IsNoMatchError(err) {
					out = append(out, fail(what, "the API server does not serve pkg.crossplane.io/v1 %s: install Crossplane", p.Kind))
					continue
				}
				out = append(out, fail(what, "cannot list %ss: %v", p.Kind, err))
				continue
			}
			items = l.Items
			lists[p.Kind] = items
		}
		out = append(out, checkPackage(p, items))
	}
	return out
}

func checkPackage(p Package, items []unstructured.Unstructured) Result {
	what := "package " + p.Name
	for i := range items {
		o := &items[i]
		ref, _, _ := unstructured.NestedString(o.Object, "spec", "package")
		repo, tag := splitPackage(ref)
		if repo[strings.LastIndexByte(repo, '/')+1:] != p.Name {
			continue
		}
		id := fmt.Sprintf("%s %s (%s)", p.Kind, o.GetName(), ref)
		for _, c := range []string{"Installed", "Healthy"} {
			status, reason, message := condition(o, c)
			if status != "True" {
				return fail(what, "%s is not %s (%s: %s): fix what the condition says; `kubectl describe %s %s` shows its revisions' conditions too",
					id, c, orNone(reason), orNone(message), strings.ToLower(p.Kind), o.GetName())
			}
		}
		if tag == "" {
			return warn(what, "%s is Installed and Healthy; its version is not visible (the package is named by digest), paved needs %s", id, p.Constraint)
		}
		v, err := semver.NewVersion(tag)
		if err != nil {
			return warn(what, "%s is Installed and Healthy; its tag %q is no semantic version, paved needs %s", id, tag, p.Constraint)
		}
		c, err := semver.NewConstraint(p.Constraint)
		if err != nil {
			return fail(what, "paved's constraint %q: %v", p.Constraint, err)
		}
		if !c.Check(v) {
			return fail(what, "%s is %s, paved needs %s (crossplane.yaml dependsOn): change its spec.package to a version in range", id, tag, p.Constraint)
		}
		return ok(what, "%s Installed and Healthy, %s within %s", id, tag, p.Constraint)
	}
	return fail(what, "no %s of package %s: install the Configuration paved, which depends on it (README, Install)", p.Kind, p.Name)
}

// splitPackage splits an OCI reference into its repository and tag; the
// tag is empty for a reference by digest.
func splitPackage(ref string) (repo, tag string) {
	if repo, _, digest := strings.Cut(ref, "@"); digest {
		return repo, ""
	}
	slash := strings.LastIndexByte(ref, '/')
	if i := strings.LastIndexByte(ref, ':'); i > slash {
		return ref[:i], ref[i+1:]
	}
	return ref, ""
}

// condition returns the status, reason and message of the condition of
// type t in o's status.conditions.
func condition(o *unstructured.Unstructured, t string) (status, reason, message string) {
	cs, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	for _, c := range cs {
		m, _ := c.(map[string]any)
		if m["type"] != t {
			continue
		}
		status, _ = m["status"].(string)
		reason, _ = m["reason"].(string)
		message, _ = m["message"].(string)
		return status, reason, message
	}
	return "Unknown", "", "no such condition yet"
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
