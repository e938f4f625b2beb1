package servicebundle

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// yamlV3 is what catalogInfo wrote before appendEntity: yaml.v3's encoding
// of the entity, with an indent of 2.
func yamlV3(t testing.TB, e entity) string {
	t.Helper()
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(e); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// withString puts s in every place of an entity a string goes.
func withString(s string) []entity {
	c := entity{
		APIVersion: backstageVersion, Kind: "Component",
		Metadata: entityMetadata{
			Name: "orders-api", Title: s, Description: s,
			Annotations: map[string]string{annotationProjectSlug: "acme/orders-api", annotationArgoCDApps: s, annotationTechDocs: techDocsRef},
			Tags:        []string{"nodejs", s},
			Links:       []entityLink{{URL: s, Title: s, Icon: grafanaLinkIcon}, {URL: "https://grafana.example.com/d/x"}},
		},
		Spec: entitySpec{Type: componentType, Lifecycle: s, Owner: "group:default/orders", System: s, DependsOn: []string{s, "resource:default/x"}},
	}
	r := entity{APIVersion: backstageVersion, Kind: "Resource", Metadata: entityMetadata{Name: s}, Spec: entitySpec{Type: s, Owner: s}}
	return []entity{c, r}
}

// check fails t if appendEntity writes e other than yaml.v3 does, and
// reports whether it wrote it.
func check(t *testing.T, e entity) bool {
	t.Helper()
	got, ok := appendEntity(nil, e)
	if !ok {
		return false
	}
	if diff := cmp.Diff(yamlV3(t, e), string(got)); diff != "" {
		t.Errorf("appendEntity(%+v): -yaml.v3, +got:\n%s", e, diff)
	}
	return true
}

func TestAppendEntityIsYAMLv3(t *testing.T) {
	// Strings appendEntity must write itself (what bundles hold) and
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
				t.Errorf("appendEntity left entity %d with %q to yaml.v3; want it written", i, s)
			}
		}
	}
	for _, s := range left {
		for i, e := range withString(s) {
			if check(t, e) {
				t.Errorf("appendEntity wrote entity %d with %q; want it left to yaml.v3", i, s)
			}
		}
	}

	// Random strings, and every catalog-info.yaml of TestCatalogInfo: what
	// appendEntity writes is what yaml.v3 writes.
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
		t.Errorf("appendEntity wrote only %d of 40,000 random entities: the comparison says little", wrote)
	}
}

// FuzzAppendEntity holds appendEntity to yaml.v3's bytes for any string.
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

func TestCatalogInfoWritesWithoutYAMLv3(t *testing.T) {
	// The example bundle's catalog-info.yaml is written by appendEntity,
	// the same bytes as yaml.v3's (TestCatalogInfo), its queue's long
	// description too.
	s := mustParse(t, `{"description": "Orders API", "owner": "orders", "template": "node-service", "database": {"engine": "postgresql", "size": "small"}, "bucket": {}, "queue": {}, "environments": ["staging", "production"]}`)
	got, err := catalogInfo(s, testSettings("https://grafana.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	docs := strings.Split(string(got), "---\n")
	for i, d := range docs {
		if i > 0 {
			want.WriteString("---\n")
		}
		if i == 0 {
			// The header comment.
			want.WriteString(d[:strings.IndexByte(d, '\n')+1])
			d = d[strings.IndexByte(d, '\n')+1:]
		}
		var e entity
		if err := yaml.Unmarshal([]byte(d), &e); err != nil {
			t.Fatal(err)
		}
		if !check(t, e) {
			t.Errorf("entity %d (%s) left to yaml.v3; want it written by appendEntity", i, e.Metadata.Name)
		}
		want.WriteString(yamlV3(t, e))
	}
	if diff := cmp.Diff(want.String(), string(got)); diff != "" {
		t.Errorf("catalogInfo: -yaml.v3, +got:\n%s", diff)
	}
}
