package fn

import (
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	kjson "sigs.k8s.io/json"

	"github.com/paved-dev/paved/fn/input/v1alpha1"
)

// jsonKeys are the top-level JSON keys of a struct type and their Go
// types; inline fields (metav1.TypeMeta) count with their own keys.
func jsonKeys(t reflect.Type) map[string]reflect.Type {
	keys := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if opts == "inline" || f.Anonymous && name == "" {
			maps.Copy(keys, jsonKeys(f.Type))
			continue
		}
		keys[name] = f.Type
	}
	return keys
}

// TestInputMatchesV1alpha1 holds functionInput, what the function decodes,
// to v1alpha1.Input, the input CRD's root type: the same keys, the
// settings of the same Go types, and the same decoding of every input
// (metadata aside, which the function accepts and does not read).
func TestInputMatchesV1alpha1(t *testing.T) {
	if InputAPIVersion != v1alpha1.GroupVersion.String() || InputKind != v1alpha1.Kind {
		t.Errorf("InputAPIVersion, InputKind = %s %s, want %s %s", InputAPIVersion, InputKind, v1alpha1.GroupVersion, v1alpha1.Kind)
	}
	got, want := jsonKeys(reflect.TypeFor[functionInput]()), jsonKeys(reflect.TypeFor[v1alpha1.Input]())
	if len(got) != len(want) {
		t.Errorf("functionInput has keys %v, v1alpha1.Input %v", got, want)
	}
	for k, typ := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("functionInput has no key %q", k)
		case k != "metadata" && g != typ:
			t.Errorf("key %q: functionInput has %v, v1alpha1.Input %v", k, g, typ)
		}
	}

	for name, in := range map[string]string{
		"Input":               input,
		"ServiceBundle":       bundleInput,
		"EnvironmentConfig":   `{"apiVersion": "fn.paved.dev/v1alpha1", "kind": "Input", "environmentConfigName": "platform", "environment": {"instanceClasses": {"small": "db.t4g.micro"}, "backupRetentionDays": 14}}`,
		"UnknownKey":          strings.Replace(input, `"environment"`, `"enviroment"`, 1), //nolint:misspell // the misspelt key is the test's input
		"UnknownSetting":      `{"environment": {"regoin": "eu-west-1"}}`,
		"SettingOfWrongType":  `{"environment": {"subnetIds": "subnet-0a1b2c3d4e5f60001"}}`,
		"KeyOfOtherCase":      `{"Environment": {}}`,
		"UnknownNestedKey":    `{"environment": {"serviceBundle": {"githubOwnr": "acme"}}}`,
		"ConfigNameOfBadType": `{"environmentConfigName": 3}`,
	} {
		t.Run(name, func(t *testing.T) {
			s := mustStructJSON(in)
			got, err := decodeInput(s)
			j, _ := s.MarshalJSON()
			want := &v1alpha1.Input{}
			strict, wantErr := kjson.UnmarshalStrict(j, want)
			if wantErr == nil && len(strict) > 0 {
				wantErr = strict[0]
			}
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("decodeInput: error %v; v1alpha1.Input: error %v", err, wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(want.Environment, got.Environment); diff != "" {
				t.Errorf("environment: -v1alpha1.Input, +decodeInput:\n%s", diff)
			}
			if got.EnvironmentConfigName != want.EnvironmentConfigName {
				t.Errorf("environmentConfigName: decodeInput %q, v1alpha1.Input %q", got.EnvironmentConfigName, want.EnvironmentConfigName)
			}
		})
	}
}
