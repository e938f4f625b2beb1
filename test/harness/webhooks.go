package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	admv1 "k8s.io/api/admissionregistration/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/yaml"
)

// Crossplane core serves its admission webhooks itself (in v2.4.0 only
// /validate-no-usages, which enforces Usages: it denies deleting a resource
// labelled crossplane.io/in-use while a Usage of it exists). In a cluster,
// `crossplane core init` points the webhook configurations of its
// cluster/webhookconfigurations directory at a Service and injects the CA
// of a server certificate it generates (internal/initializer/
// webhook_configurations.go). There is no Service here: core runs out of
// cluster on loopback, so the harness issues the serving certificate from
// the cluster CA, starts core with --webhook-enabled
// --tls-server-certs-dir, and installs the same configurations with
// clientConfig.url pointing at core's webhook port on 127.0.0.1. None of
// core's CRDs uses conversion webhooks (no `strategy: Webhook` in
// cluster/crds), so nothing else needs wiring.

// webhookConfigurations returns the ValidatingWebhookConfigurations of
// core's cluster/webhookconfigurations (next to its cluster/crds), pointed at
// url and trusting caPEM.
func webhookConfigurations(crdsDir, url string, caPEM []byte) ([]*admv1.ValidatingWebhookConfiguration, error) {
	dir := filepath.Join(filepath.Dir(crdsDir), "webhookconfigurations")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot read Crossplane's webhook configurations: %w", err)
	}
	var out []*admv1.ValidatingWebhookConfiguration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		for doc := range bytes.SplitSeq(b, []byte("\n---")) {
			if len(bytes.TrimSpace(doc)) == 0 || !bytes.Contains(doc, []byte("kind:")) {
				continue
			}
			var head struct{ Kind string }
			if err := yaml.Unmarshal(doc, &head); err != nil {
				return nil, fmt.Errorf("%s: %w", e.Name(), err)
			}
			if head.Kind != "ValidatingWebhookConfiguration" {
				// core v2.4.0 ships no mutating webhook; anything else is
				// a change of core this harness must learn about.
				return nil, fmt.Errorf("%s: unexpected kind %q in Crossplane's webhook configurations", e.Name(), head.Kind)
			}
			c := &admv1.ValidatingWebhookConfiguration{}
			if err := yaml.UnmarshalStrict(doc, c); err != nil {
				return nil, fmt.Errorf("%s: %w", e.Name(), err)
			}
			for i := range c.Webhooks {
				cc := &c.Webhooks[i].ClientConfig
				path := "/"
				if cc.Service != nil && cc.Service.Path != nil {
					path = *cc.Service.Path
				}
				u := url + path
				cc.Service, cc.URL, cc.CABundle = nil, &u, caPEM
			}
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no ValidatingWebhookConfiguration in %s", dir)
	}
	return out, nil
}

// installWebhooks creates Crossplane's webhook configurations, pointed at
// url.
func (cp *ControlPlane) installWebhooks(ctx context.Context, crdsDir, url string, caPEM []byte) error {
	whs, err := webhookConfigurations(crdsDir, url, caPEM)
	if err != nil {
		return err
	}
	for _, c := range whs {
		if err := cp.Client.Create(ctx, c); err != nil && !kerrors.IsAlreadyExists(err) {
			return fmt.Errorf("ValidatingWebhookConfiguration %s: %w", c.Name, err)
		}
		cp.logf("webhook %s -> %s", c.Name, url)
	}
	return nil
}
