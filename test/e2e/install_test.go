//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/paved-dev/paved/fn"
)

const (
	xrdAPIVersion = "apiextensions.crossplane.io/v1"
	crdAPIVersion = "apiextensions.k8s.io/v1"
	group         = "platform.paved.dev"
	claimVersion  = group + "/v1alpha1"
)

// providerCRDs are the provider-aws v1.23.0 kinds function-paved composes,
// as files of the provider's package/crds. No provider-aws runs: the tests
// play it.
var providerCRDs = []string{
	"rds.aws.upbound.io_subnetgroups.yaml",
	"rds.aws.upbound.io_instances.yaml",
	"rds.aws.upbound.io_parametergroups.yaml",
	"elasticache.aws.upbound.io_subnetgroups.yaml",
	"elasticache.aws.upbound.io_replicationgroups.yaml",
	"ec2.aws.upbound.io_securitygroups.yaml",
	"ec2.aws.upbound.io_securitygrouprules.yaml",
	"s3.aws.upbound.io_buckets.yaml",
	"s3.aws.upbound.io_bucketversionings.yaml",
	"s3.aws.upbound.io_bucketserversideencryptionconfigurations.yaml",
	"s3.aws.upbound.io_bucketpublicaccessblocks.yaml",
	"s3.aws.upbound.io_bucketownershipcontrols.yaml",
	"s3.aws.upbound.io_bucketpolicies.yaml",
	"s3.aws.upbound.io_bucketlifecycleconfigurations.yaml",
	"docdb.aws.upbound.io_subnetgroups.yaml",
	"docdb.aws.upbound.io_clusterparametergroups.yaml",
	"docdb.aws.upbound.io_clusters.yaml",
	"docdb.aws.upbound.io_clusterinstances.yaml",
	"sqs.aws.upbound.io_queues.yaml",
	"sqs.aws.upbound.io_queuepolicies.yaml",
}

// serveStorageVersionOnly stops serving every version of a provider-aws CRD
// but its storage version, the one paved composes. In a cluster Crossplane's
// package manager points such CRDs at provider-aws's conversion webhook;
// no provider runs here, so nothing would convert, and another version
// would show the stored object under its own schema: the garbage collector
// (which reads the preferred version) and Crossplane's usage webhook (which
// annotates the object it refuses to delete in the version it was asked
// about) would then write objects their schema's validation rejects.
func serveStorageVersionOnly(t *testing.T, crd *unstructured.Unstructured) {
	t.Helper()
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	for _, v := range versions {
		m := v.(map[string]any)
		m["served"] = m["storage"] == true
	}
	if err := unstructured.SetNestedSlice(crd.Object, versions, "spec", "versions"); err != nil {
		t.Fatalf("CRD %s: %v", crd.GetName(), err)
	}
}

// pavedAPI is one of paved's XRDs and the claim it offers.
type pavedAPI struct {
	dir, xrd, claimKind, claimPlural string
}

// pavedAPIs are the XRDs of every kind function-paved composes (the
// registry, fn.Kinds: apis/<Dir>), as their definition.yaml names them.
func pavedAPIs(t *testing.T) []pavedAPI {
	t.Helper()
	var apis []pavedAPI
	for _, k := range fn.Kinds {
		objs := readObjects(t, filepath.Join(repoRoot, "apis", k.Dir, "definition.yaml"))
		if len(objs) != 1 {
			t.Fatalf("apis/%s/definition.yaml: %d objects, want its XRD", k.Dir, len(objs))
		}
		claimKind, _, _ := unstructured.NestedString(objs[0].Object, "spec", "claimNames", "kind")
		claimPlural, _, _ := unstructured.NestedString(objs[0].Object, "spec", "claimNames", "plural")
		apis = append(apis, pavedAPI{k.Dir, objs[0].GetName(), claimKind, claimPlural})
	}
	return apis
}

var (
	installOnce sync.Once
	installed   bool
)

// requireInstalled installs paved into the control plane once, for every
// test that needs it, so that any test also runs alone (-run).
func requireInstalled(t *testing.T) {
	t.Helper()
	installOnce.Do(func() { installed = t.Run("install", testInstall) })
	if !installed {
		t.Fatal("installing paved failed")
	}
}

// TestInstall installs the provider-aws CRDs paved composes, paved's XRDs
// and Compositions from apis/ and the platform environment, and checks that
// the XRDs of every registered kind (fn.Kinds) become Established and
// offer their claims.
func TestInstall(t *testing.T) { requireInstalled(t) }

func testInstall(t *testing.T) {
	ctx := context.Background()
	begin := time.Now()

	crdDir := os.Getenv(envProviderCRDs)
	for _, f := range providerCRDs {
		objs := readObjects(t, filepath.Join(crdDir, f))
		for _, o := range objs {
			serveStorageVersionOnly(t, o)
		}
		createAll(ctx, t, objs...)
		for _, o := range objs {
			waitCondition(ctx, t, time.Minute, crdAPIVersion, "CustomResourceDefinition", "", o.GetName(), "Established", "True")
		}
	}
	t.Logf("figure: %d provider-aws CRDs Established in %.1fs", len(providerCRDs), time.Since(begin).Seconds())

	apis := pavedAPIs(t)
	for _, a := range apis {
		xrd := readObjects(t, filepath.Join(repoRoot, "apis", a.dir, "definition.yaml"))
		createAll(ctx, t, xrd...)
	}
	for _, a := range apis {
		xrdBegin := time.Now()
		got, _ := waitCondition(ctx, t, 2*time.Minute, xrdAPIVersion, "CompositeResourceDefinition", "", a.xrd, "Established", "True")
		waitCondition(ctx, t, 2*time.Minute, xrdAPIVersion, "CompositeResourceDefinition", "", a.xrd, "Offered", "True")
		t.Logf("figure: XRD %s Established and Offered %.1fs after creation", a.xrd, time.Since(xrdBegin).Seconds())
		expect(t, a.xrd+" spec.claimNames.kind", field(got, "spec", "claimNames", "kind"), a.claimKind)

		// The claim is a namespaced kind the API server now serves.
		crd, err := get(ctx, crdAPIVersion, "CustomResourceDefinition", "", a.claimPlural+"."+group)
		if err != nil {
			t.Fatalf("claim CRD for %s: %v", a.claimKind, err)
		}
		expect(t, crd.GetName()+" spec.scope", field(crd, "spec", "scope"), "Namespaced")
		expect(t, crd.GetName()+" spec.names.kind", field(crd, "spec", "names", "kind"), a.claimKind)
		waitCondition(ctx, t, time.Minute, crdAPIVersion, "CustomResourceDefinition", "", crd.GetName(), "Established", "True")
	}

	for _, a := range apis {
		comp := readObjects(t, filepath.Join(repoRoot, "apis", a.dir, "composition.yaml"))
		for _, c := range comp {
			if c.GetKind() != "Composition" {
				t.Fatalf("apis/%s/composition.yaml: %s %s, want only Compositions", a.dir, c.GetKind(), c.GetName())
			}
			steps, _ := field(c, "spec", "pipeline").([]any)
			for _, s := range steps {
				ref, _ := s.(map[string]any)["functionRef"].(map[string]any)
				expect(t, c.GetName()+" pipeline functionRef.name", ref["name"], FunctionName)
			}
		}
		createAll(ctx, t, comp...)
	}

	// Every XRD enforces paved's Composition (apis/database/definition.yaml).
	for _, a := range apis {
		xrd, err := get(ctx, xrdAPIVersion, "CompositeResourceDefinition", "", a.xrd)
		if err != nil {
			t.Fatal(err)
		}
		expect(t, a.xrd+" spec.enforcedCompositionRef", field(xrd, "spec", "enforcedCompositionRef"), field(xrd, "spec", "defaultCompositionRef"))
	}

	// paved's admission policy, as `make xpkg` ships it in
	// _output/xpkg/install (the same bytes: hack/xpkg TestInstallManifests).
	// The API server enforces a policy once it has compiled it: wait for
	// the first refusal.
	createAll(ctx, t, readObjects(t, filepath.Join(repoRoot, "apis", "admission", "policy.yaml"))...)
	policyBegin := time.Now()
	eventually(ctx, t, time.Minute, "the admission policy refuses a claim naming a composite", func(ctx context.Context) error {
		probe := newClaim("DatabaseClaim", "default", "admission-probe", map[string]any{"engine": "postgresql", "size": "small",
			"resourceRef": map[string]any{"apiVersion": claimVersion, "kind": "XDatabase", "name": "admission-probe"}})
		err := cp.Client.Create(ctx, probe, client.DryRunAll)
		if err == nil || !strings.Contains(err.Error(), claimsPolicy) {
			return fmt.Errorf("dry-run create of a claim naming a composite: %v", err)
		}
		return nil
	})
	t.Logf("figure: admission policy enforced %.1fs after it was created", time.Since(policyBegin).Seconds())

	t.Logf("figure: paved installed in %.1fs", time.Since(begin).Seconds())
}

// createNamespace creates a team namespace for one test.
func createNamespace(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := cp.Client.Create(ctx, ns); err != nil && !kerrors.IsAlreadyExists(err) {
		t.Fatal(fmt.Errorf("namespace %s: %w", name, err))
	}
}
