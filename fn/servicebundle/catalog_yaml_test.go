package servicebundle

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/fn/servicebundle/internal/catalogyaml"
)

// yamlV3 is what catalogInfo wrote before catalogyaml: yaml.v3's encoding
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

func TestCatalogInfoWritesWithoutYAMLv3(t *testing.T) {
	// The example bundle's catalog-info.yaml is written by catalogyaml,
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
		if _, ok := catalogyaml.AppendEntity(nil, e); !ok {
			t.Errorf("entity %d (%s) left to yaml.v3; want it written by catalogyaml", i, e.Metadata.Name)
		}
		want.WriteString(yamlV3(t, e))
	}
	if diff := cmp.Diff(want.String(), string(got)); diff != "" {
		t.Errorf("catalogInfo: -yaml.v3, +got:\n%s", diff)
	}
}
