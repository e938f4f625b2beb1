package catalogyaml

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// yamlV3 is yaml.v3's encoding of the entity, with an indent of 2.
func yamlV3(t testing.TB, e Entity) string {
	t.Helper()
	b, err := EncodeYAMLv3("", []Entity{e})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// withString puts s in every place of an entity a string goes.
// The fixed strings are what servicebundle's catalogInfo writes
// (catalog.go's constants).
func withString(s string) []Entity {
	c := Entity{
		APIVersion: "backstage.io/v1alpha1", Kind: "Component",
		Metadata: Metadata{
			Name: "orders-api", Title: s, Description: s,
			Annotations: map[string]string{"github.com/project-slug": "acme/orders-api", "argocd/app-selector": s, "backstage.io/techdocs-ref": "dir:."},
			Tags:        []string{"nodejs", s},
			Links:       []Link{{URL: s, Title: s, Icon: "dashboard"}, {URL: "https://grafana.example.com/d/x"}},
		},
		Spec: Spec{Type: "service", Lifecycle: s, Owner: "group:default/orders", System: s, DependsOn: []string{s, "resource:default/x"}},
	}
	r := Entity{APIVersion: "backstage.io/v1alpha1", Kind: "Resource", Metadata: Metadata{Name: s}, Spec: Spec{Type: s, Owner: s}}
	return []Entity{c, r}
}

// check fails t if AppendEntity writes e other than yaml.v3 does, and
// reports whether it wrote it.
func check(t *testing.T, e Entity) bool {
	t.Helper()
	got, ok := AppendEntity(nil, e)
	if !ok {
		return false
	}
	if diff := cmp.Diff(yamlV3(t, e), string(got)); diff != "" {
		t.Errorf("AppendEntity(%+v): -yaml.v3, +got:\n%s", e, diff)
	}
	return true
}

func TestAppendEntityIsYAMLv3(t *testing.T) {
	// Strings AppendEntity must write itself (what bundles hold) and
	// strings it must leave to yaml.v3 (they would be quoted or folded).
	written := []string{
		"Orders API", "orders-api", "group:default/orders", "https://grafana.example.com/d/orders-api",
		"paved.dev/service=orders-api", "dir:.", "The PostgreSQL database of orders-api, managed by paved",
		"Orders (v2) API for the shop_front/back-end + admin", strings.Repeat("a", 90),
		// Lines past 80 columns with spaces: yaml.v3 does not fold them.
		"The SQS queue of orders-api, with its dead-letter queue, managed by paved",
		strings.Repeat("word ", 20) + "end", strings.Repeat("word ", 60) + "end",
	}
	left := []string{
		"", " Orders", "Orders ", "a  b", "Payments: \"the\" API", "key: value", "trailing:", "# comment", "a #b",
		"true", "False", "NULL", "yes", "No", "on", "OFF", "y", "N", "123", "1e3", "0x1F", "-", "- a", "*ref", "&anchor",
		"!tag", "'quoted'", "\"quoted\"", "line\nbreak", "tab\there", "Ünïcode", "[list]", "{map}", "50%",
		strings.Repeat("word ", 20),
	}
	for _, s := range written {
		for i, e := range withString(s) {
			if !check(t, e) {
				t.Errorf("AppendEntity left entity %d with %q to yaml.v3; want it written", i, s)
			}
		}
	}
	for _, s := range left {
		for i, e := range withString(s) {
			if check(t, e) {
				t.Errorf("AppendEntity wrote entity %d with %q; want it left to yaml.v3", i, s)
			}
		}
	}

	// Random strings: what AppendEntity writes is what yaml.v3 writes
	// (servicebundle's TestCatalogInfoWritesWithoutYAMLv3 holds the
	// example bundle's catalog-info.yaml to it).
	const alphabet = "abcxyzABCXYZ0129 .-_/=()+:#,'\"!&*%@`|>?[]{}~\t\nüé"
	r := rand.New(rand.NewPCG(1, 2))
	wrote := 0
	for range 20000 {
		var b strings.Builder
		for range r.IntN(150) {
			// Mostly letters, so that many strings are plain.
			if r.IntN(3) > 0 {
				b.WriteByte(alphabet[r.IntN(12)])
			} else {
				b.WriteRune([]rune(alphabet)[r.IntN(len([]rune(alphabet)))])
			}
		}
		for _, e := range withString(b.String()) {
			if check(t, e) {
				wrote++
			}
		}
	}
	if wrote < 1000 {
		t.Errorf("AppendEntity wrote only %d of 40,000 random entities: the comparison says little", wrote)
	}
}

// FuzzAppendEntity holds AppendEntity to yaml.v3's bytes for any string.
func FuzzAppendEntity(f *testing.F) {
	for _, s := range []string{"Orders API", "a: b", "true", "x #y", strings.Repeat("ab ", 30)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, e := range withString(s) {
			check(t, e)
		}
	})
}
