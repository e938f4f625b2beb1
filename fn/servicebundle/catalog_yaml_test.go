package servicebundle

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/fn/servicebundle/internal/catalogyaml"
)

func TestCatalogInfoWritesWithoutYAMLv3(t *testing.T) {
	// The example bundle's catalog-info.yaml is written by catalogyaml's
	// AppendEntities, the same bytes as yaml.v3's (TestCatalogInfo), its
	// queue's long description too.
	s := mustParse(t, `{"description": "Orders API", "owner": "orders", "template": "node-service", "database": {"engine": "postgresql", "size": "small"}, "bucket": {}, "queue": {}, "environments": ["staging", "production"]}`)
	got, err := catalogInfo(s, testSettings("https://grafana.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	header, body, _ := strings.Cut(string(got), "\n")
	var entities []entity
	for i, d := range strings.Split(body, "---\n") {
		var e entity
		if err := yaml.Unmarshal([]byte(d), &e); err != nil {
			t.Fatal(err)
		}
		if _, ok := catalogyaml.AppendEntity(nil, e); !ok {
			t.Errorf("entity %d (%s) left to yaml.v3; want it written by catalogyaml", i, e.Metadata.Name)
		}
		entities = append(entities, e)
	}
	want, err := catalogyaml.EncodeYAMLv3(header+"\n", entities)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("catalogInfo: -yaml.v3, +got:\n%s", diff)
	}
}
