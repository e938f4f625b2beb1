package servicebundle

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// backstageDefaultRules is Backstage's default catalog.rules, which a
// catalog.rules setting replaces
// (@backstage/plugin-catalog-backend src/ingestion/CatalogRules.ts,
// DefaultCatalogRulesEnforcer.defaultRules and fromConfig).
var backstageDefaultRules = catalogRule{Allow: []catalogAllow{{Kind: "Component"}, {Kind: "API"}, {Kind: "Location"}}}

type catalogRules struct {
	Catalog struct {
		Rules []catalogRule `yaml:"rules"`
	} `yaml:"catalog"`
}

type catalogRule struct {
	Allow     []catalogAllow `yaml:"allow"`
	Locations []any          `yaml:"locations,omitempty"`
}

// catalogAllow is an allow entry: a kind, or a kind and spec.type
// (CatalogRules.ts, allowRuleParser).
type catalogAllow struct {
	Kind     string
	SpecType string
}

func (a *catalogAllow) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&a.Kind)
	}
	var m struct {
		Kind     string `yaml:"kind"`
		SpecType string `yaml:"spec.type"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	a.Kind, a.SpecType = m.Kind, m.SpecType
	return nil
}

// allows reports whether rules accept an entity of kind and spec.type from
// any location, as DefaultCatalogRulesEnforcer.isAllowed decides (kinds
// compared without case).
func (r catalogRules) allows(kind, specType string) bool {
	for _, rule := range r.Catalog.Rules {
		if len(rule.Locations) > 0 {
			continue
		}
		for _, a := range rule.Allow {
			if strings.EqualFold(a.Kind, kind) && (a.SpecType == "" || a.SpecType == specType) {
				return true
			}
		}
	}
	return false
}

// readmeRules is the catalog.rules block the README's Install section
// documents: the yaml block after the catalog-rules marker.
var readmeRules = regexp.MustCompile("(?s)<!-- catalog-rules:[^>]*-->\\s*```yaml\\n(.*?)```")

// TestCatalogRulesAsDocumented checks the catalog.rules the README tells
// platform teams to add: Backstage's default restated first, then only
// what admits the Resource entities catalogInfo writes, and nothing more;
// and that the Backstage the golden path and the provider's tests run
// (test/backstage/app-config.yaml) has exactly those rules.
func TestCatalogRulesAsDocumented(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := readmeRules.FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no yaml block after a <!-- catalog-rules: ... --> marker")
	}
	// The README's block is indented inside a list item.
	lines := strings.Split(string(m[1]), "\n")
	indent := len(lines[0]) - len(strings.TrimLeft(lines[0], " "))
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, strings.Repeat(" ", indent))
	}
	var documented catalogRules
	if err := yaml.Unmarshal([]byte(strings.Join(lines, "\n")), &documented); err != nil {
		t.Fatalf("README.md's catalog.rules: %v", err)
	}
	rules := documented.Catalog.Rules
	if len(rules) == 0 || !cmp.Equal(backstageDefaultRules, rules[0]) {
		t.Errorf("README.md's catalog.rules must restate Backstage's default first (setting catalog.rules replaces it): got %+v", rules)
	}

	// Every kind catalogInfo writes is admitted.
	written := [][2]string{{"Component", componentType}, {"Resource", databaseType}, {"Resource", redisType}, {"Resource", mongodbType}, {"Resource", bucketType}, {"Resource", queueType}}
	for _, k := range written {
		if !documented.allows(k[0], k[1]) {
			t.Errorf("README.md's catalog.rules refuse a %s of spec.type %s, which paved writes to catalog-info.yaml", k[0], k[1])
		}
	}
	// The addition is Resource, in the form Backstage's configuration
	// schema declares (allow: Array<string>, plugins/catalog-backend
	// config.d.ts), and nothing else.
	if diff := cmp.Diff([]catalogRule{{Allow: []catalogAllow{{Kind: "Resource"}}}}, rules[min(1, len(rules)):]); diff != "" {
		t.Errorf("README.md's catalog.rules after Backstage's default: -want, +got:\n%s", diff)
	}
	for _, k := range []string{"Group", "User", "System", "Domain", "Template"} {
		if documented.allows(k, "") {
			t.Errorf("README.md's catalog.rules admit %s entities from any location", k)
		}
	}

	cfg, err := os.ReadFile(filepath.Join("..", "..", "test", "backstage", "app-config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tested catalogRules
	if err := yaml.Unmarshal(cfg, &tested); err != nil {
		t.Fatalf("test/backstage/app-config.yaml: %v", err)
	}
	if diff := cmp.Diff(documented, tested); diff != "" {
		t.Errorf("the tests' Backstage (test/backstage/app-config.yaml) must run with exactly the README's catalog.rules: -README, +app-config.yaml:\n%s", diff)
	}
}
