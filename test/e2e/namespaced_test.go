//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// namespacedVersion is the apiVersion of paved's namespaced composites
	// (Crossplane v2, apis/*-v2).
	namespacedVersion = "paved.dev/v1alpha1"
	// namespacedCRDDir holds provider-aws v2.6.0's namespaced CRDs, vendored
	// (the Go module proxy does not serve provider-aws v2).
	namespacedCRDDir = "test/crds/provider-aws-v2.6.0"
)

// namespacedBucketKinds are the provider-aws v2.6.0 namespaced kinds a
// namespaced Bucket composes, as files of namespacedCRDDir.
var namespacedBucketKinds = map[string]string{
	"Bucket":           "s3.aws.m.upbound.io_buckets.yaml",
	"BucketVersioning": "s3.aws.m.upbound.io_bucketversionings.yaml",
	"BucketServerSideEncryptionConfiguration": "s3.aws.m.upbound.io_bucketserversideencryptionconfigurations.yaml",
	"BucketPublicAccessBlock":                 "s3.aws.m.upbound.io_bucketpublicaccessblocks.yaml",
	"BucketOwnershipControls":                 "s3.aws.m.upbound.io_bucketownershipcontrols.yaml",
	"BucketPolicy":                            "s3.aws.m.upbound.io_bucketpolicies.yaml",
	"BucketLifecycleConfiguration":            "s3.aws.m.upbound.io_bucketlifecycleconfigurations.yaml",
}

var (
	namespacedOnce      sync.Once
	namespacedInstalled bool
)

// requireNamespacedInstalled installs, once, what a namespaced Bucket
// needs besides paved's legacy APIs: provider-aws v2.6.0's namespaced s3
// CRDs and apis/bucket-v2 (an apiextensions.crossplane.io/v2 XRD of scope
// Namespaced, and its Composition).
func requireNamespacedInstalled(t *testing.T) {
	t.Helper()
	requireInstalled(t)
	namespacedOnce.Do(func() { namespacedInstalled = t.Run("install-namespaced", testInstallNamespaced) })
	if !namespacedInstalled {
		t.Fatal("installing paved's namespaced APIs failed")
	}
}

func testInstallNamespaced(t *testing.T) {
	ctx := context.Background()
	begin := time.Now()
	for _, f := range namespacedBucketKinds {
		objs := readObjects(t, filepath.Join(repoRoot, namespacedCRDDir, f))
		createAll(ctx, t, objs...)
		for _, o := range objs {
			expect(t, o.GetName()+" spec.scope", field(o, "spec", "scope"), "Namespaced")
			waitCondition(ctx, t, time.Minute, crdAPIVersion, "CustomResourceDefinition", "", o.GetName(), "Established", "True")
		}
	}
	xrd := readObjects(t, filepath.Join(repoRoot, "apis", "bucket-v2", "definition.yaml"))
	createAll(ctx, t, xrd...)
	waitCondition(ctx, t, 2*time.Minute, "apiextensions.crossplane.io/v2", "CompositeResourceDefinition", "", "buckets.paved.dev", "Established", "True")
	crd, err := get(ctx, crdAPIVersion, "CustomResourceDefinition", "", "buckets.paved.dev")
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "buckets.paved.dev spec.scope", field(crd, "spec", "scope"), "Namespaced")
	waitCondition(ctx, t, time.Minute, crdAPIVersion, "CustomResourceDefinition", "", "buckets.paved.dev", "Established", "True")
	createAll(ctx, t, readObjects(t, filepath.Join(repoRoot, "apis", "bucket-v2", "composition.yaml"))...)
	t.Logf("figure: namespaced Bucket API installed in %.1fs", time.Since(begin).Seconds())
}

// TestNamespacedBucket: a Bucket in a team's namespace (Crossplane v2, no
// claim) composes, through the same function as a BucketClaim, provider-aws
// v2's namespaced kinds and namespaced Usages, all in its namespace and
// controlled by it, with the platform's provider config and the same
// secure settings; once the test, playing provider-aws, marks them Ready,
// the Bucket is Ready, reports name, ARN and region, and the Secret the
// function composed in the namespace holds them.
func TestNamespacedBucket(t *testing.T) {
	requireNamespacedInstalled(t)
	ctx := context.Background()
	const ns, name, secret = "team-assets", "media", "media-s3"
	createNamespace(ctx, t, ns)

	b := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": namespacedVersion, "kind": "Bucket",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     map[string]any{"noncurrentVersionExpirationDays": int64(30), "writeConnectionSecretToRef": map[string]any{"name": secret}},
	}}
	if err := cp.Client.Create(ctx, b); err != nil {
		t.Fatalf("create Bucket %s/%s: %v", ns, name, err)
	}

	// Every composed resource, listed by the composite and in its
	// namespace.
	var xr *unstructured.Unstructured
	refs := map[string]ref{}
	var usages []ref
	composed := eventually(ctx, t, waitLimit, "the namespaced Bucket composes", func(ctx context.Context) error {
		var err error
		if xr, err = get(ctx, namespacedVersion, "Bucket", ns, name); err != nil {
			return err
		}
		l, _, _ := unstructured.NestedSlice(xr.Object, "spec", "crossplane", "resourceRefs")
		refs, usages = map[string]ref{}, nil
		for _, r := range l {
			m, _ := r.(map[string]any)
			rf := ref{fmt.Sprint(m["apiVersion"]), fmt.Sprint(m["kind"]), fmt.Sprint(m["name"])}
			if _, err := get(ctx, rf.APIVersion, rf.Kind, ns, rf.Name); err != nil {
				return fmt.Errorf("%s in %s: %w", rf, ns, err)
			}
			if rf.Kind == "Usage" {
				usages = append(usages, rf)
				continue
			}
			refs[rf.Kind] = rf
		}
		if len(refs) != len(namespacedBucketKinds)+1 || len(usages) != 6 {
			return fmt.Errorf("composite lists %v and %d Usages, want the %d namespaced kinds, the Secret and 6 Usages; conditions: %s",
				refs, len(usages), len(namespacedBucketKinds), conditionsString(xr))
		}
		return nil
	})
	t.Logf("figure: namespaced Bucket %s/%s: composed %d resources %.2fs after it was created", ns, name, len(refs)+len(usages), composed.Seconds())

	for k := range namespacedBucketKinds {
		rf, ok := refs[k]
		if !ok {
			t.Fatalf("no composed %s", k)
		}
		expect(t, k+" apiVersion", rf.APIVersion, "s3.aws.m.upbound.io/v1beta1")
	}
	object := func(rf ref) *unstructured.Unstructured {
		t.Helper()
		u, err := get(ctx, rf.APIVersion, rf.Kind, ns, rf.Name)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	for _, rf := range append(usages, refsOf(refs)...) {
		u := object(rf)
		var controlled bool
		for _, o := range u.GetOwnerReferences() {
			controlled = controlled || (o.UID == xr.GetUID() && o.Controller != nil && *o.Controller)
		}
		if !controlled {
			t.Errorf("%s is not controlled by the Bucket: %v", rf, u.GetOwnerReferences())
		}
		if strings.HasSuffix(strings.Split(rf.APIVersion, "/")[0], ".aws.m.upbound.io") {
			expect(t, rf.String()+" providerConfigRef", fmt.Sprint(field(u, "spec", "providerConfigRef")), "map[kind:ClusterProviderConfig name:default]")
		}
	}
	for _, rf := range usages {
		u := object(rf)
		expect(t, rf.String()+" of namespace", field(u, "spec", "of", "resourceRef", "namespace"), ns)
		expect(t, rf.String()+" by", field(u, "spec", "by", "resourceRef", "name"), refs["Bucket"].Name)
	}
	bucket := object(refs["Bucket"])
	expect(t, "Bucket forceDestroy", field(bucket, "spec", "forProvider", "forceDestroy"), false)
	expect(t, "BucketVersioning status", field(object(refs["BucketVersioning"]), "spec", "forProvider", "versioningConfiguration", "status"), "Enabled")
	pab := object(refs["BucketPublicAccessBlock"])
	for _, f := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		expect(t, "BucketPublicAccessBlock "+f, field(pab, "spec", "forProvider", f), true)
	}
	expect(t, "BucketOwnershipControls objectOwnership", field(object(refs["BucketOwnershipControls"]), "spec", "forProvider", "rule", "objectOwnership"), "BucketOwnerEnforced")
	checkTLSOnlyPolicy(t, mustString(t, object(refs["BucketPolicy"]), "spec", "forProvider", "policy"))
	expect(t, "Secret name", refs["Secret"].Name, secret)
	if s, _, _ := condition(xr, "Ready"); s == "True" {
		t.Errorf("the Bucket is Ready before any managed resource is: %s", conditionsString(xr))
	}

	// Play provider-aws.
	providerBegin := time.Now()
	bucketName := bucket.GetAnnotations()["crossplane.io/external-name"]
	expect(t, "Bucket external name", bucketName, name+"-"+uidDigest(xr))
	region := mustString(t, bucket, "spec", "forProvider", "region")
	arn := "arn:aws:s3:::" + bucketName
	for k := range namespacedBucketKinds {
		at := map[string]any{"id": bucketName}
		if k == "Bucket" {
			at = map[string]any{"id": bucketName, "arn": arn, "region": region}
		}
		if err := markReadyIn(ctx, ns, refs[k], at); err != nil {
			t.Fatalf("provider step, %s: %v", k, err)
		}
	}
	providerStep := time.Since(providerBegin)

	providerDone := time.Now()
	got, _ := waitCondition(ctx, t, waitLimit, namespacedVersion, "Bucket", ns, name, "Ready", "True")
	t.Logf("figure: namespaced Bucket %s/%s: Ready %.2fs after the provider step (provider step %.2fs); created -> Ready excluding the provider step: %.2fs",
		ns, name, time.Since(providerDone).Seconds(), providerStep.Seconds(), (composed + time.Since(providerDone)).Seconds())
	expect(t, "Bucket status.bucketName", field(got, "status", "bucketName"), bucketName)
	expect(t, "Bucket status.arn", field(got, "status", "arn"), arn)
	expect(t, "Bucket status.region", field(got, "status", "region"), region)
	expect(t, "Bucket status.secretName", field(got, "status", "secretName"), secret)

	var data map[string][]byte
	eventually(ctx, t, waitLimit, "the Bucket's Secret holds bucketName, arn and region", func(ctx context.Context) error {
		s := &corev1.Secret{}
		if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: secret}, s); err != nil {
			return err
		}
		data = s.Data
		if string(s.Data["bucketName"]) != bucketName || string(s.Data["arn"]) != arn || string(s.Data["region"]) != region {
			return fmt.Errorf("Secret %s/%s holds %v", ns, secret, keys(s.Data))
		}
		return nil
	})
	expect(t, "Secret keys", strings.Join(keys(data), ","), "arn,bucketName,region")
}

// refsOf is the refs of m.
func refsOf(m map[string]ref) []ref {
	out := make([]ref, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	return out
}

// markReadyIn is markReady for a namespaced managed resource in ns.
func markReadyIn(ctx context.Context, ns string, r ref, atProvider map[string]any) error {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.FromAPIVersionAndKind(r.APIVersion, r.Kind))
	u.SetNamespace(ns)
	u.SetName(r.Name)
	now := time.Now().UTC().Format(time.RFC3339)
	u.Object["status"] = map[string]any{
		"atProvider": atProvider,
		"conditions": []any{
			map[string]any{"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": now},
			map[string]any{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": now},
		},
	}
	return cp.Client.Status().Patch(ctx, u, client.Merge)
}
