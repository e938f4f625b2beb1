// Package openapicut cuts GitHub's OpenAPI description to the part the
// GitHub stand-in (package ghtest) serves.
package openapicut

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Cut returns the part of GitHub's OpenAPI description (full, the
// JSON of api.github.com.json) the stand-in validates with: its version and
// info, the paths the stand-in serves (servedPaths) with every operation
// GitHub describes on them, and every component those reference,
// transitively. Media types' examples are left out (with
// components/examples): nothing validates with them. The output is
// deterministic (sorted keys, one-space indent, no HTML escaping) and
// Cut(Cut(x)) = Cut(x), so the stand-in, which cuts whatever it loads,
// loads the same document from the committed cut
// (ghtest/testdata/api.github.com.json, `make github-openapi`) and from the
// full description.
func Cut(full []byte) ([]byte, error) {
	return cut(full, servedPaths)
}

func cut(full []byte, served []string) ([]byte, error) {
	var spec map[string]any
	d := json.NewDecoder(bytes.NewReader(full))
	d.UseNumber() // keep every number exactly as written
	if err := d.Decode(&spec); err != nil {
		return nil, errors.Wrap(err, "cannot parse GitHub OpenAPI description")
	}
	all, _ := spec["paths"].(map[string]any)
	paths := make(map[string]any, len(served))
	for _, p := range served {
		v, ok := all[p]
		if !ok {
			return nil, errors.Errorf("GitHub OpenAPI description has no path %s", p)
		}
		dropExamples(v)
		paths[p] = v
	}
	components, _ := spec["components"].(map[string]any)
	used, err := closure(paths, components)
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"openapi": spec["openapi"],
		"info":    spec["info"],
		// Route on paths only: the stand-in listens on 127.0.0.1.
		"servers":    []any{map[string]any{"url": "/"}},
		"paths":      paths,
		"components": used,
	}
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	e.SetIndent("", " ")
	if err := e.Encode(out); err != nil {
		return nil, errors.Wrap(err, "cannot encode the cut GitHub OpenAPI description")
	}
	return b.Bytes(), nil
}

// servedPaths are the GitHub REST paths the stand-in validates traffic to,
// as GitHub's description spells them: those ghtest's handle dispatches,
// and /rate_limit, which it answers 404 (nothing asks for it). The
// description is cut to them before it is loaded, which keeps loading fast
// and the committed cut small.
var servedPaths = []string{
	"/repos/{owner}/{repo}",
	"/orgs/{org}/repos",
	"/user/repos",
	"/user",
	"/users/{username}",
	"/repos/{template_owner}/{template_repo}/generate",
	"/repos/{owner}/{repo}/topics",
	"/repos/{owner}/{repo}/branches/{branch}/protection",
	"/repos/{owner}/{repo}/contents/{path}",
	"/repos/{owner}/{repo}/git/ref/{ref}",
	"/repos/{owner}/{repo}/git/refs",
	"/repos/{owner}/{repo}/git/refs/{ref}",
	"/orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}",
	"/repos/{owner}/{repo}/pulls",
	"/repos/{owner}/{repo}/commits/{ref}",
	"/rate_limit",
	"/app/installations/{installation_id}/access_tokens",
	"/app/installations/{installation_id}",
}

// dropExamples removes the examples of every media type (an entry of a
// "content" map whose key is a media type range, such as application/json)
// under v. A schema's own example stays: it is part of the schema a
// validation error shows.
func dropExamples(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if content, ok := c.(map[string]any); ok && k == "content" {
				for r, mt := range content {
					if m, ok := mt.(map[string]any); ok && strings.Contains(r, "/") {
						delete(m, "examples")
					}
				}
			}
			dropExamples(c)
		}
	case []any:
		for _, c := range t {
			dropExamples(c)
		}
	}
}

// closure returns the components reachable through $ref from root: each
// reference is "#/components/<kind>/<name>[/...]".
func closure(root any, components map[string]any) (map[string]any, error) {
	used := map[string]any{}
	todo := refs(root, nil)
	for len(todo) > 0 {
		ref := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		rest, ok := strings.CutPrefix(ref, "#/components/")
		if !ok {
			return nil, errors.Errorf("GitHub OpenAPI description: reference %q is not to a component", ref)
		}
		seg := strings.SplitN(rest, "/", 3)
		if len(seg) < 2 {
			return nil, errors.Errorf("GitHub OpenAPI description: reference %q names no component", ref)
		}
		kind, name := unescape(seg[0]), unescape(seg[1])
		if kind == "examples" {
			return nil, errors.Errorf("GitHub OpenAPI description: example %q referenced outside a media type", ref)
		}
		byName, _ := used[kind].(map[string]any)
		if _, done := byName[name]; done {
			continue
		}
		all, _ := components[kind].(map[string]any)
		c, ok := all[name]
		if !ok {
			return nil, errors.Errorf("GitHub OpenAPI description: reference %q: no such component", ref)
		}
		if byName == nil {
			byName = map[string]any{}
			used[kind] = byName
		}
		dropExamples(c)
		byName[name] = c
		todo = refs(c, todo)
	}
	return used, nil
}

// refs appends every $ref under v to acc.
func refs(v any, acc []string) []string {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if s, ok := c.(string); ok && k == "$ref" {
				acc = append(acc, s)
				continue
			}
			acc = refs(c, acc)
		}
	case []any:
		for _, c := range t {
			acc = refs(c, acc)
		}
	}
	return acc
}

// unescape decodes a JSON pointer token (RFC 6901, section 4).
func unescape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}
