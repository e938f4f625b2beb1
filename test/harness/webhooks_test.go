package harness

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	admv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Core v2.4.0's cluster/webhookconfigurations/usage.yaml (its leading
// comment shortened).
const usageWebhook = `---
# Note(turkenh): a comment before the object.
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: crossplane-no-usages
webhooks:
  - admissionReviewVersions:
      - v1
    clientConfig:
      service:
        name: webhook-service
        namespace: system
        path: /validate-no-usages
    failurePolicy: Fail
    name: nousages.protection.crossplane.io
    objectSelector:
      matchLabels:
        crossplane.io/in-use: "true"
    rules:
      - apiGroups:
          - '*'
        apiVersions:
          - '*'
        operations:
          - DELETE
        resources:
          - '*'
    sideEffects: None`

// coreDirs lays out a core module's cluster directory with the given
// webhook configuration files and returns its crds directory.
func coreDirs(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	crds := filepath.Join(root, "crds")
	hooks := filepath.Join(root, "webhookconfigurations")
	for _, d := range []string{crds, hooks} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(hooks, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return crds
}

func TestWebhookConfigurations(t *testing.T) {
	ca := []byte("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n")
	none := admv1.SideEffectClassNone
	fail := admv1.Fail
	want := []*admv1.ValidatingWebhookConfiguration{{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: "crossplane-no-usages"},
		Webhooks: []admv1.ValidatingWebhook{{
			Name:                    "nousages.protection.crossplane.io",
			AdmissionReviewVersions: []string{"v1"},
			ClientConfig: admv1.WebhookClientConfig{
				URL:      ptr.To("https://127.0.0.1:9443/validate-no-usages"),
				CABundle: ca,
			},
			FailurePolicy:  &fail,
			ObjectSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"crossplane.io/in-use": "true"}},
			Rules: []admv1.RuleWithOperations{{
				Operations: []admv1.OperationType{admv1.Delete},
				Rule:       admv1.Rule{APIGroups: []string{"*"}, APIVersions: []string{"*"}, Resources: []string{"*"}},
			}},
			SideEffects: &none,
		}},
	}}

	cases := map[string]struct {
		reason  string
		files   map[string]string
		want    []*admv1.ValidatingWebhookConfiguration
		wantErr bool
	}{
		"UsageWebhook": {
			reason: "Core's webhook goes to the URL on loopback, with the CA, instead of a Service.",
			files:  map[string]string{"usage.yaml": usageWebhook, "README.md": "not YAML"},
			want:   want,
		},
		"MutatingWebhook": {
			reason:  "A kind the harness does not know to wire is an error, not silently skipped.",
			files:   map[string]string{"m.yaml": "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: m\n"},
			wantErr: true,
		},
		"None": {
			reason:  "A core without webhook configurations is an error: Usages would not be enforced.",
			files:   map[string]string{},
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := webhookConfigurations(coreDirs(t, tc.files), "https://127.0.0.1:9443", ca)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nwebhookConfigurations(...): error %v, want error: %t", tc.reason, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nwebhookConfigurations(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
