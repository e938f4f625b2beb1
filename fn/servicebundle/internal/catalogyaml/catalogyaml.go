// Package catalogyaml writes a ServiceBundle's catalog-info.yaml entities
// byte for byte as go.yaml.in/yaml/v3 encodes them, without yaml.v3's
// reflection and emitter in the common case. It is a package of its own so
// that its fuzz target (FuzzAppendEntity) is built, with the coverage
// instrumentation go test -fuzz applies to every package in the test
// binary, with this package's few imports alone rather than with
// servicebundle's tests' Kubernetes API types (hack/fuzz.sh).
package catalogyaml

import (
	"bytes"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Entity is a Backstage catalog entity as a ServiceBundle's
// catalog-info.yaml holds it
// (https://backstage.io/docs/features/software-catalog/descriptor-format),
// with the yaml tags yaml.v3 encodes it by when AppendEntity leaves it.
type Entity struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   Metadata `yaml:"metadata"`
	Spec       Spec     `yaml:"spec"`
}

// Metadata is an entity's metadata.
type Metadata struct {
	Name        string            `yaml:"name"`
	Title       string            `yaml:"title,omitempty"`
	Description string            `yaml:"description,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
	Tags        []string          `yaml:"tags,omitempty"`
	Links       []Link            `yaml:"links,omitempty"`
}

// Link is one of an entity's links.
type Link struct {
	URL   string `yaml:"url"`
	Title string `yaml:"title,omitempty"`
	Icon  string `yaml:"icon,omitempty"`
}

// Spec is an entity's spec, the fields a Component and a Resource share.
type Spec struct {
	Type      string   `yaml:"type"`
	Lifecycle string   `yaml:"lifecycle,omitempty"`
	Owner     string   `yaml:"owner"`
	System    string   `yaml:"system,omitempty"`
	DependsOn []string `yaml:"dependsOn,omitempty"`
}

// Encode is the catalog-info.yaml of the entities: the header, then each
// entity as a YAML document, byte for byte as yaml.v3's Encoder with an
// indent of 2 writes them. AppendEntities writes the common case; a string
// yaml.v3 quotes, folds or escapes has yaml.v3 write the file
// (EncodeYAMLv3).
func Encode(header string, entities []Entity) ([]byte, error) {
	if b, ok := AppendEntities(make([]byte, 0, 2048), header, entities); ok {
		return b, nil
	}
	return EncodeYAMLv3(header, entities)
}

// EncodeYAMLv3 is the header and the entities as go.yaml.in/yaml/v3's
// Encoder writes them with an indent of 2: what Encode writes, and what
// the tests hold AppendEntities to.
func EncodeYAMLv3(header string, entities []Entity) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(header)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	for _, e := range entities {
		if err := enc.Encode(e); err != nil {
			return nil, err
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// AppendEntities appends the header and the entities as YAML documents
// separated by "---", as yaml.v3's Encoder writes them, or returns false
// (see AppendEntity).
func AppendEntities(b []byte, header string, entities []Entity) ([]byte, bool) {
	b = append(b, header...)
	for i, e := range entities {
		if i > 0 {
			b = append(b, "---\n"...)
		}
		var ok bool
		if b, ok = AppendEntity(b, e); !ok {
			return nil, false
		}
	}
	return b, true
}

// AppendEntity appends e as one YAML document to b, byte for byte as
// go.yaml.in/yaml/v3 encodes it with an indent of 2, when every string in
// it is one yaml.v3 writes plain (see plain); otherwise it returns false
// and Encode has yaml.v3 encode the file. Writing the few fixed
// fields of an entity directly costs a fraction of yaml.v3's reflection
// and emitter, which took about a quarter of a bundle's composition;
// TestAppendEntityIsYAMLv3 holds the two to the same bytes.
func AppendEntity(b []byte, e Entity) ([]byte, bool) {
	w := yamlWriter{b: b, ok: true}
	w.field(0, "apiVersion", e.APIVersion)
	w.field(0, "kind", e.Kind)
	w.key(0, "metadata")
	m := e.Metadata
	w.field(2, "name", m.Name)
	if m.Title != "" {
		w.field(2, "title", m.Title)
	}
	if m.Description != "" {
		w.field(2, "description", m.Description)
	}
	if len(m.Annotations) > 0 {
		// yaml.v3 sorts a map's keys; for these (letters, digits, '.',
		// '-' and '/', differing first in a letter) its order is
		// sort.Strings's.
		var buf [8]string // an entity has four or five annotations
		keys := buf[:0]
		for k := range m.Annotations {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		w.key(2, "annotations")
		for _, k := range keys {
			w.field(4, k, m.Annotations[k])
		}
	}
	w.list(2, "tags", m.Tags)
	if len(m.Links) > 0 {
		w.key(2, "links")
		for _, l := range m.Links {
			w.itemField(4, "url", l.URL)
			if l.Title != "" {
				w.field(6, "title", l.Title)
			}
			if l.Icon != "" {
				w.field(6, "icon", l.Icon)
			}
		}
	}
	w.key(0, "spec")
	sp := e.Spec
	w.field(2, "type", sp.Type)
	if sp.Lifecycle != "" {
		w.field(2, "lifecycle", sp.Lifecycle)
	}
	w.field(2, "owner", sp.Owner)
	if sp.System != "" {
		w.field(2, "system", sp.System)
	}
	w.list(2, "dependsOn", sp.DependsOn)
	return w.b, w.ok
}

// yamlWriter writes block-style YAML lines. Keys are the entity format's
// own (plain); a value that is not plain sets ok to false.
type yamlWriter struct {
	b  []byte
	ok bool
}

// key writes "key:" opening a nested mapping or sequence.
func (w *yamlWriter) key(indent int, key string) {
	w.indent(indent)
	w.b = append(w.b, key...)
	w.b = append(w.b, ":\n"...)
}

// field writes "key: value".
func (w *yamlWriter) field(indent int, key, value string) {
	w.indent(indent)
	w.b = append(w.b, key...)
	w.b = append(w.b, ": "...)
	w.value(value)
}

// itemField writes "- key: value", the first field of a mapping in a
// sequence; its other fields are indented by 2 more.
func (w *yamlWriter) itemField(indent int, key, value string) {
	w.indent(indent)
	w.b = append(w.b, "- "...)
	w.b = append(w.b, key...)
	w.b = append(w.b, ": "...)
	w.value(value)
}

// list writes "key:" and its strings as "- value", unless it is empty
// (omitempty).
func (w *yamlWriter) list(indent int, key string, values []string) {
	if len(values) == 0 {
		return
	}
	w.key(indent, key)
	for _, v := range values {
		w.indent(indent + 2)
		w.b = append(w.b, "- "...)
		w.value(v)
	}
}

func (w *yamlWriter) indent(n int) {
	for range n {
		w.b = append(w.b, ' ')
	}
}

// value ends the line with value. yaml.v3's Encoder never folds a long
// plain scalar: its emitter starts with best_width -1, which
// yaml_emitter_emit_stream_start makes unlimited, and only SetWidth (which
// EncodeYAMLv3 does not call) sets another (go.yaml.in/yaml/v3 v3.0.4
// apic.go yaml_emitter_initialize, emitterc.go
// yaml_emitter_emit_stream_start and yaml_emitter_write_plain_scalar). So
// a line of any length is written here, as the queue's description is.
func (w *yamlWriter) value(value string) {
	if !plain(value) {
		w.ok = false
	}
	w.b = append(w.b, value...)
	w.b = append(w.b, '\n')
}

// plain reports whether yaml.v3 writes s as a plain scalar in block
// context (go.yaml.in/yaml/v3 encode.go stringv and emitterc.go
// yaml_emitter_analyze_scalar), by a rule stricter than its own: s starts
// with an ASCII letter, holds only ASCII letters, digits, single inner
// spaces and the punctuation in plainPunct, has no ':' before a space or at
// its end, and does not read as another type (true, null, yes, ...). A
// string it refuses is written by yaml.v3 itself.
func plain(s string) bool {
	if s == "" || !isLetter(s[0]) || s[len(s)-1] == ' ' || s[len(s)-1] == ':' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case isLetter(c), c >= '0' && c <= '9':
		case c == ' ':
			if s[i-1] == ' ' {
				return false
			}
		case c == ':':
			if s[i+1] == ' ' { // s does not end with ':'
				return false
			}
		case strings.IndexByte(plainPunct, c) >= 0:
		default:
			return false
		}
	}
	return !readsAsOtherType(s)
}

// plainPunct is punctuation that yaml.v3 leaves plain inside a scalar.
const plainPunct = ".,-_/=()+"

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// readsAsOtherType reports whether a string that starts with a letter reads
// as a boolean or null in YAML 1.2 or 1.1, so that yaml.v3 quotes it
// (resolve.go's resolve table, encode.go isOldBool).
func readsAsOtherType(s string) bool {
	if len(s) > len("false") {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "false", "null", "yes", "no", "on", "off", "y", "n":
		return true
	}
	return false
}
