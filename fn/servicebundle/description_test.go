package servicebundle

import (
	"os"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestXRDDescriptionMaxLength: the API server refuses a description GitHub
// would refuse, before anything is composed; the XRD and the function
// agree on the limit.
func TestXRDDescriptionMaxLength(t *testing.T) {
	b, err := os.ReadFile("../../apis/servicebundle/definition.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var xrd struct {
		Spec struct {
			Versions []struct {
				Name   string
				Schema struct {
					OpenAPIV3Schema struct {
						Properties struct {
							Spec struct {
								Properties struct {
									Description struct {
										MaxLength *int `json:"maxLength"`
									} `json:"description"`
								} `json:"properties"`
							} `json:"spec"`
						} `json:"properties"`
					} `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(b, &xrd); err != nil {
		t.Fatal(err)
	}
	if len(xrd.Spec.Versions) == 0 {
		t.Fatal("definition.yaml: no versions")
	}
	for _, v := range xrd.Spec.Versions {
		got := v.Schema.OpenAPIV3Schema.Properties.Spec.Properties.Description.MaxLength
		if got == nil || *got != MaxDescriptionLength {
			t.Errorf("version %s: spec.description maxLength = %v, want %d", v.Name, got, MaxDescriptionLength)
		}
	}
}
