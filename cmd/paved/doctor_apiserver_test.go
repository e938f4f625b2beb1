//go:build apiserver

package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// tool returns the path hack/tools.sh gives a pinned tool (or its CRDs).
func tool(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join("..", "..", "hack", "tools.sh"), name).Output()
	if err != nil {
		t.Fatalf("hack/tools.sh %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// paved doctor through a kubeconfig against a real kube-apiserver (envtest,
// on loopback) serving the CRDs of Crossplane core v2.4.0, provider-paved,
// provider-aws v1.23.0's ProviderConfig and Argo CD's AppProject, holding
// the healthy install of TestDoctor: the real client reads the same lines,
// and an API the server does not serve (provider-aws v2's
// ClusterProviderConfig) is reported as such.
//
//	go test -tags apiserver -run TestDoctorAPIServer ./cmd/paved/
func TestDoctorAPIServer(t *testing.T) {
	t.Setenv("TEST_ASSET_ETCD", tool(t, "etcd"))
	t.Setenv("TEST_ASSET_KUBE_APISERVER", tool(t, "kube-apiserver"))
	env := &envtest.Environment{
		CRDInstallOptions: envtest.CRDInstallOptions{
			Paths: []string{
				tool(t, "crossplane-crds"),
				filepath.Join("..", "..", "package", "crds", "paved.dev_providerconfigs.yaml"),
				filepath.Join(tool(t, "provider-aws-crds"), "aws.upbound.io_providerconfigs.yaml"),
				filepath.Join(tool(t, "argocd-crds"), "appproject-crd.yaml"),
			},
			ErrorIfPathMissing: true,
		},
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting kube-apiserver: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	kube, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}

	bs := backstageStandIn(t, 2)
	gh := githubStandIn(t, "repo, read:org", "team")
	in := healthy(t, bs.URL)
	ctx := context.Background()
	for _, ns := range []string{"crossplane-system", "argocd"} {
		o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
		if err := kube.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	// Namespaced composites take the ClusterProviderConfig "default" of
	// provider-aws v2, whose API this server does not serve.
	ec := in.objs["apiextensions.crossplane.io/EnvironmentConfig//paved-environment"]
	unstructured.RemoveNestedField(ec.Object, "data", "paved", "awsProviderConfigRef")
	for _, o := range in.objs {
		if o.GroupVersionKind().Group == "aws.m.upbound.io" {
			continue
		}
		o = o.DeepCopy()
		status, hasStatus := o.Object["status"]
		if err := kube.Create(ctx, o); err != nil {
			t.Fatalf("create %s %s: %v", o.GetKind(), o.GetName(), err)
		}
		if hasStatus {
			o.Object["status"] = status
			if err := kube.Status().Update(ctx, o); err != nil {
				t.Fatalf("status of %s %s: %v", o.GetKind(), o.GetName(), err)
			}
		}
	}
	if _, err := kube.RESTMapper().RESTMapping(schema.GroupKind{Group: "aws.m.upbound.io", Kind: "ClusterProviderConfig"}, "v1beta1"); !meta.IsNoMatchError(err) {
		t.Fatalf("the API server serves ClusterProviderConfig, or cannot say: %v", err)
	}

	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{"envtest": {Server: cfg.Host, CertificateAuthorityData: cfg.CAData}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{"admin": {ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData}},
		Contexts:       map[string]*clientcmdapi.Context{"envtest": {Cluster: "envtest", AuthInfo: "admin"}, "other": {Cluster: "nowhere"}},
		CurrentContext: "other",
	}, kc); err != nil {
		t.Fatal(err)
	}

	out, stderr, code := paved(t, "doctor", "--kubeconfig", kc, "--context", "envtest", "--github-api", gh.URL)
	want := replaceAll(healthyLines(bs.URL, gh.URL), map[string]string{
		"providerconfig aws ClusterProviderConfig aws-prod": "warn providerconfig aws ClusterProviderConfig default — the API server does not serve aws.m.upbound.io/v1beta1 ClusterProviderConfig: install provider-aws (the Configuration paved depends on it) (needed only by namespaced Database and Bucket composites)",
	})
	if diff := cmp.Diff(want, strings.Split(strings.TrimSuffix(out, "\n"), "\n")); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	if code != 0 {
		t.Errorf("exit code %d, want 0; stderr: %s", code, stderr)
	}
}
