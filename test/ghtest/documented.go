package ghtest

import (
	"encoding/json"

	"github.com/getkin/kin-openapi/openapi3"
)

// Documented returns body with every JSON object property the operation's
// request schema does not have removed, recursively, so that the stand-in
// ignores what GitHub ignores. GitHub does not refuse a field an endpoint
// does not take; it drops it: `visibility` sent to POST /user/repos (whose
// description has only `private`, default false) leaves the repository
// public (fluxcd/go-git-providers#44 is that bug). A handler that honoured
// such a field would hide it. A body that is not JSON, or an operation
// without a JSON request schema, is returned unchanged; so is the part of a
// body under a schema with additionalProperties, oneOf, anyOf or allOf,
// whose set of names the description does not close.
func Documented(in *openapiInput, body []byte) []byte {
	if in == nil || in.Route == nil || in.Route.Operation == nil || len(body) == 0 {
		return body
	}
	rb := in.Route.Operation.RequestBody
	if rb == nil || rb.Value == nil {
		return body
	}
	mt := rb.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return body
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return body
	}
	out, err := json.Marshal(prune(mt.Schema.Value, v))
	if err != nil {
		return body
	}
	return out
}

func prune(s *openapi3.Schema, v any) any {
	if s == nil {
		return v
	}
	switch t := v.(type) {
	case map[string]any:
		if len(s.Properties) == 0 || len(s.OneOf) > 0 || len(s.AnyOf) > 0 || len(s.AllOf) > 0 ||
			s.AdditionalProperties.Has != nil && *s.AdditionalProperties.Has || s.AdditionalProperties.Schema != nil {
			return v
		}
		out := make(map[string]any, len(t))
		for k, val := range t {
			p, ok := s.Properties[k]
			if !ok {
				continue
			}
			if p != nil {
				val = prune(p.Value, val)
			}
			out[k] = val
		}
		return out
	case []any:
		if s.Items == nil {
			return v
		}
		out := make([]any, len(t))
		for i, it := range t {
			out[i] = prune(s.Items.Value, it)
		}
		return out
	}
	return v
}
