package backstage

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const errFilterKey = "catalog filter key must not be empty nor contain ',' or '='"

// A filter condition of GET /entities?filter=... . The catalog splits a
// filter on every comma and trims each statement, key and value, with no
// escape: "Each condition is either on the form <key>, or on the form
// <key>=<value>" and conditions are separated by commas
// (https://backstage.io/docs/features/software-catalog/software-catalog-api/#filtering;
// backstage/backstage plugins/catalog-backend/src/service/request/parseEntityFilterParams.ts,
// parseEntityFilterString: filterString.split(',') ... trim()). A value
// with a comma (a location target such as url:https://host/a,b.yaml) would
// become two conditions, the second a key that matches nothing. Such a
// value, or one with surrounding spaces, is sent as the existence
// condition `<key>` and matched here, the way the catalog matches.
type filterCond struct {
	key, value string
	local      bool // matched by the client, not the catalog
}

func filterConds(filters map[string]string) ([]filterCond, error) {
	out := make([]filterCond, 0, len(filters))
	for k, v := range filters {
		if k == "" || strings.ContainsAny(k, ",=") || strings.TrimSpace(k) != k {
			return nil, errors.New(errFilterKey)
		}
		out = append(out, filterCond{key: k, value: v, local: strings.Contains(v, ",") || strings.TrimSpace(v) != v})
	}
	slices.SortFunc(out, func(a, b filterCond) int { return strings.Compare(a.key, b.key) })
	return out, nil
}

// filterParam is the filter query parameter: one filter set, its
// conditions ANDed.
func filterParam(conds []filterCond) string {
	parts := make([]string, 0, len(conds))
	for _, c := range conds {
		if c.local {
			parts = append(parts, c.key)
			continue
		}
		parts = append(parts, c.key+"="+c.value)
	}
	return strings.Join(parts, ",")
}

// matchesLocal reports whether entity (its JSON) meets every condition the
// catalog could not be asked for.
func matchesLocal(entity json.RawMessage, conds []filterCond) (bool, error) {
	var kv map[string][]string
	for _, c := range conds {
		if !c.local {
			continue
		}
		if kv == nil {
			var v any
			if err := json.Unmarshal(entity, &v); err != nil {
				return false, errors.Wrap(err, errDecode)
			}
			kv = map[string][]string{}
			searchKeys(kv, "", v)
		}
		if !slices.Contains(kv[strings.ToLower(c.key)], strings.ToLower(c.value)) {
			return false, nil
		}
	}
	return true, nil
}

// searchKeys flattens an entity into the keys and values the catalog
// filters on: dot-joined object keys, arrays descended, each string item
// of an array also a key of its own with the value "true"; keys and
// values compared case-insensitively ("All checks are always case
// insensitive"; backstage/backstage
// plugins/catalog-backend/src/database/operations/stitcher/buildEntitySearch.ts,
// traverse).
func searchKeys(out map[string][]string, path string, v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			p := k
			if path != "" {
				p = path + "." + k
			}
			searchKeys(out, p, val)
		}
	case []any:
		for _, it := range t {
			searchKeys(out, path, it)
			if s, ok := it.(string); ok {
				k := strings.ToLower(path + "." + s)
				out[k] = append(out[k], "true")
			}
		}
	case string:
		out[strings.ToLower(path)] = append(out[strings.ToLower(path)], strings.ToLower(t))
	case float64, bool:
		b, _ := json.Marshal(t) //nolint:errchkjson // a float64 or a bool always marshals
		out[strings.ToLower(path)] = append(out[strings.ToLower(path)], string(b))
	}
}
