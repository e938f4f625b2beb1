package backstage

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// filteringCatalog answers GET /api/catalog/entities as Backstage's catalog
// does for annotation filters: the filter parameter split on every comma,
// each statement trimmed, <key> an existence and <key>=<value> an equality
// condition, case-insensitive (parseEntityFilterString in
// plugins/catalog-backend/src/service/request/parseEntityFilterParams.ts).
func filteringCatalog(t *testing.T, entities []Entity) (*Client, *[]string) {
	t.Helper()
	var filters []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := r.URL.Query().Get("filter")
		filters = append(filters, f)
		out := []Entity{}
		for _, e := range entities {
			match := true
			for st := range strings.SplitSeq(f, ",") {
				st = strings.TrimSpace(st)
				if st == "" {
					continue
				}
				key, value, eq := strings.Cut(st, "=")
				a, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(key)), "metadata.annotations.")
				var have string
				var found bool
				for k, v := range e.Metadata.Annotations {
					if ok && strings.EqualFold(k, a) {
						have, found = v, true
					}
				}
				if !found || eq && !strings.EqualFold(have, strings.TrimSpace(value)) {
					match = false
				}
			}
			if match {
				out = append(out, e)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, testToken)
	if err != nil {
		t.Fatal(err)
	}
	return c, &filters
}

func TestListEntitiesFilterValues(t *testing.T) {
	const key = "metadata.annotations." + AnnotationManagedByOriginLocation
	ent := func(name, origin string) Entity {
		return Entity{Kind: "Component", Metadata: EntityMetadata{Name: name, Annotations: map[string]string{AnnotationManagedByOriginLocation: origin}}}
	}
	entities := []Entity{
		ent("comma", "url:https://h/a,b.yaml"),
		ent("prefix", "url:https://h/a"),
		ent("other", "url:https://h/c.yaml"),
		ent("upper", "URL:HTTPS://H/C.YAML"),
	}
	cases := map[string]struct {
		value      string
		wantFilter string
		wantNames  []string
	}{
		"PlainValueFilteredByTheCatalog": {
			value:      "url:https://h/c.yaml",
			wantFilter: key + "=url:https://h/c.yaml",
			wantNames:  []string{"other", "upper"},
		},
		// A comma would split the condition: sent as an existence
		// condition and matched by the client, case-insensitively.
		"CommaInTheTarget": {
			value:      "url:https://h/a,b.yaml",
			wantFilter: key,
			wantNames:  []string{"comma"},
		},
		"CommaInTheTargetOtherCase": {
			value:      "URL:https://H/A,B.yaml",
			wantFilter: key,
			wantNames:  []string{"comma"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, filters := filteringCatalog(t, entities)
			got, err := c.ListEntities(context.Background(), map[string]string{key: tc.value})
			if err != nil {
				t.Fatal(err)
			}
			names := []string{}
			for _, e := range got {
				names = append(names, e.Metadata.Name)
			}
			if diff := cmp.Diff(tc.wantNames, names); diff != "" {
				t.Errorf("entities (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{tc.wantFilter}, *filters); diff != "" {
				t.Errorf("filter sent (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListEntitiesRefusesBadKeys(t *testing.T) {
	c, filters := filteringCatalog(t, nil)
	for _, k := range []string{"", "a,b", "a=b", " a"} {
		if _, err := c.ListEntities(context.Background(), map[string]string{k: "v"}); err == nil {
			t.Errorf("key %q: want an error", k)
		}
	}
	if len(*filters) != 0 {
		t.Errorf("requests sent: %v", *filters)
	}
}
