package migrate

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// The steps up to secret need no Crossplane; compose on, what Crossplane
// does is written by the test (a fake client runs no controller). The
// proof that the whole migration creates and deletes nothing in the
// cloud is test/e2e's TestMigrate.

const ns, claimName, xrName = "team-a", "media", "media-x7k2p"

func obj(apiVersion, kind, namespace, name string, fields map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: fields}
	if u.Object == nil {
		u.Object = map[string]any{}
	}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(namespace)
	u.SetName(name)
	return u
}

// world is a Ready BucketClaim with its composite and two of its legacy
// managed resources (enough to show each rule).
func world() []client.Object {
	claim := obj("platform.paved.dev/v1alpha1", "BucketClaim", ns, claimName, map[string]any{
		"spec": map[string]any{
			"resourceRef":                     map[string]any{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket", "name": xrName},
			"compositionRef":                  map[string]any{"name": "xbuckets.aws.platform.paved.dev"},
			"writeConnectionSecretToRef":      map[string]any{"name": "media-conn"},
			"noncurrentVersionExpirationDays": int64(30),
		},
		"status": map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "True"}}},
	})
	claim.SetUID("claim-uid")
	xr := obj("platform.paved.dev/v1alpha1", "XBucket", "", xrName, map[string]any{"spec": map[string]any{"resourceRefs": []any{
		map[string]any{"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket", "name": xrName + "-bucket"},
		map[string]any{"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketServerSideEncryptionConfiguration", "name": xrName + "-encryption"},
		map[string]any{"apiVersion": "protection.crossplane.io/v1beta1", "kind": "ClusterUsage", "name": xrName + "-protect-encryption"},
	}}})
	bucket := obj("s3.aws.upbound.io/v1beta1", "Bucket", "", xrName+"-bucket", map[string]any{"spec": map[string]any{
		"forProvider":       map[string]any{"region": "eu-west-1", "forceDestroy": false},
		"providerConfigRef": map[string]any{"name": "default"},
	}})
	bucket.SetAnnotations(map[string]string{annotationExternalName: "media-x7k2p-0123456789ab", annotationResourceName: "bucket"})
	enc := obj("s3.aws.upbound.io/v1beta1", "BucketServerSideEncryptionConfiguration", "", xrName+"-encryption", map[string]any{"spec": map[string]any{
		"forProvider": map[string]any{"region": "eu-west-1", "bucket": "media-x7k2p-0123456789ab",
			"bucketRef": map[string]any{"name": xrName + "-bucket"},
			"rule":      []any{map[string]any{"applyServerSideEncryptionByDefault": []any{map[string]any{"sseAlgorithm": "aws:kms"}}}}},
	}})
	enc.SetAnnotations(map[string]string{annotationExternalName: "media-x7k2p-0123456789ab", annotationResourceName: "encryption"})
	controller := true
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "media-conn", OwnerReferences: []metav1.OwnerReference{
		{APIVersion: "platform.paved.dev/v1alpha1", Kind: "BucketClaim", Name: claimName, UID: "claim-uid", Controller: &controller}}}}
	return []client.Object{claim, xr, bucket, enc, secret}
}

// A fakeKind is a kind the fake client serves.
type fakeKind struct {
	apiVersion, kind string
	namespaced       bool
}

var bucketKinds = []fakeKind{
	{"platform.paved.dev/v1alpha1", "BucketClaim", true},
	{"platform.paved.dev/v1alpha1", "XBucket", false},
	{"paved.dev/v1alpha1", "Bucket", true},
	{"s3.aws.upbound.io/v1beta1", "Bucket", false},
	{"s3.aws.upbound.io/v1beta1", "BucketServerSideEncryptionConfiguration", false},
	{"s3.aws.m.upbound.io/v1beta1", "Bucket", true},
	{"s3.aws.m.upbound.io/v1beta1", "BucketServerSideEncryptionConfiguration", true},
}

func fakeClient(objs ...client.Object) client.Client { return fakeClientOf(bucketKinds, objs...) }

func fakeClientOf(kinds []fakeKind, objs ...client.Object) client.Client {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	m := meta.NewDefaultRESTMapper(nil)
	m.Add(corev1.SchemeGroupVersion.WithKind("Secret"), meta.RESTScopeNamespace)
	for _, k := range kinds {
		gvk := schema.FromAPIVersionAndKind(k.apiVersion, k.kind)
		s.AddKnownTypeWithName(gvk, &unstructured.Unstructured{})
		s.AddKnownTypeWithName(gvk.GroupVersion().WithKind(k.kind+"List"), &unstructured.UnstructuredList{})
		scope := meta.RESTScopeRoot
		if k.namespaced {
			scope = meta.RESTScopeNamespace
		}
		m.Add(gvk, scope)
	}
	return fake.NewClientBuilder().WithScheme(s).WithRESTMapper(m).WithObjects(objs...).Build()
}

func read(t *testing.T, c client.Client, apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	u, err := get(context.Background(), c, schema.FromAPIVersionAndKind(apiVersion, kind), namespace, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func options(c client.Client, out *bytes.Buffer) Options {
	return Options{Client: c, Kind: Kinds["BucketClaim"], Namespace: ns, Name: claimName, Out: out, Poll: time.Millisecond, Timeout: time.Second}
}

func TestDryRunChangesNothing(t *testing.T) {
	c := fakeClient(world()...)
	var out bytes.Buffer
	if err := Run(context.Background(), options(c, &out)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dry run", "media-x7k2p-0123456789ab", "s3.aws.m.upbound.io team-a/media-bucket", "to do"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the plan does not say %q:\n%s", want, out.String())
		}
	}
	if a := read(t, c, "platform.paved.dev/v1alpha1", "BucketClaim", ns, claimName).GetAnnotations(); len(a) > 0 {
		t.Errorf("the dry run annotated the claim: %v", a)
	}
	if u := read(t, c, "paved.dev/v1alpha1", "Bucket", ns, claimName); u != nil {
		t.Error("the dry run created the Bucket")
	}
}

// TestStepsUntilSecret: the first five steps, stopped after secret, leave
// the legacy resources orphaned and observe-only, the claim and composite
// paused, and a paused Bucket whose observe-only managed resources carry
// the legacy external names and parameters (translated), controlled by
// it; the claim's Secret is the Bucket's.
func TestStepsUntilSecret(t *testing.T) {
	c := fakeClient(world()...)
	var out bytes.Buffer
	o := options(c, &out)
	o.Apply, o.StopAfter = true, StepSecret
	if err := Run(context.Background(), o); !errors.Is(err, ErrStopped) {
		t.Fatalf("Run: %v, want ErrStopped\n%s", err, out.String())
	}
	claim := read(t, c, "platform.paved.dev/v1alpha1", "BucketClaim", ns, claimName)
	if a := claim.GetAnnotations(); a[annotationPaused] != "true" || a[AnnotationStep] != StepSecret {
		t.Errorf("claim annotations %v", a)
	}
	if a := read(t, c, "platform.paved.dev/v1alpha1", "XBucket", "", xrName).GetAnnotations(); a[annotationPaused] != "true" || a[AnnotationTo] != "Bucket team-a/media" {
		t.Errorf("composite annotations %v", a)
	}
	for _, n := range []string{"-bucket", "-encryption"} {
		kind := map[string]string{"-bucket": "Bucket", "-encryption": "BucketServerSideEncryptionConfiguration"}[n]
		if !orphaned(read(t, c, "s3.aws.upbound.io/v1beta1", kind, "", xrName+n)) {
			t.Errorf("legacy %s is not orphaned", kind)
		}
	}
	target := read(t, c, "paved.dev/v1alpha1", "Bucket", ns, claimName)
	if target == nil {
		t.Fatal("no Bucket")
	}
	if a := target.GetAnnotations(); a[annotationPaused] != "true" || a[annotationAdoptOnly] != "true" || a[AnnotationFrom] != "BucketClaim team-a/media" || a[AnnotationFromComposite] != xrName {
		t.Errorf("Bucket annotations %v", a)
	}
	spec, _, _ := unstructured.NestedMap(target.Object, "spec")
	if _, ok := spec["compositionRef"]; ok || spec["noncurrentVersionExpirationDays"] != int64(30) {
		t.Errorf("Bucket spec %v: want the claim's own fields only", spec)
	}
	enc := read(t, c, "s3.aws.m.upbound.io/v1beta1", "BucketServerSideEncryptionConfiguration", ns, "media-encryption")
	if enc == nil {
		t.Fatal("no namespaced encryption configuration")
	}
	if ext := enc.GetAnnotations()[annotationExternalName]; ext != "media-x7k2p-0123456789ab" {
		t.Errorf("external name %q", ext)
	}
	if c := metav1.GetControllerOf(enc); c == nil || c.UID != target.GetUID() {
		t.Errorf("controller %v, want the Bucket", c)
	}
	if mp, _, _ := unstructured.NestedStringSlice(enc.Object, "spec", "managementPolicies"); len(mp) != 1 || mp[0] != "Observe" {
		t.Errorf("management policies %v", mp)
	}
	if alg, _, _ := unstructured.NestedString(enc.Object, "spec", "forProvider", "rule"); alg != "" {
		t.Error("rule is not a list")
	}
	rule, _, _ := unstructured.NestedSlice(enc.Object, "spec", "forProvider", "rule")
	if sse, _ := rule[0].(map[string]any)["applyServerSideEncryptionByDefault"].(map[string]any); sse["sseAlgorithm"] != "aws:kms" {
		t.Errorf("applyServerSideEncryptionByDefault is not the embedded object of the namespaced kind: %v", rule)
	}
	if _, ok, _ := unstructured.NestedMap(enc.Object, "spec", "forProvider", "bucketRef"); ok {
		t.Error("the legacy bucketRef was carried over")
	}
	var s corev1.Secret
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "media-conn"}, &s); err != nil {
		t.Fatal(err)
	}
	if o := metav1.GetControllerOf(&s); o == nil || o.UID != target.GetUID() {
		t.Errorf("the claim's Secret's controller %v, want the Bucket", o)
	}

	// Resumed up to compose, with Crossplane's work written by hand: it
	// listed the managed resources and applied the function's desired
	// state, which here puts the encryption configuration in another
	// region (AWS would make a new one there). Refused, and the Bucket is
	// paused again.
	for _, n := range []string{"bucket", "encryption"} {
		kind := map[string]string{"bucket": "Bucket", "encryption": "BucketServerSideEncryptionConfiguration"}[n]
		u := read(t, c, "s3.aws.m.upbound.io/v1beta1", kind, ns, "media-"+n)
		u.SetLabels(map[string]string{"crossplane.io/composite": claimName})
		if n == "encryption" {
			_ = unstructured.SetNestedField(u.Object, "us-east-1", "spec", "forProvider", "region")
		}
		if err := c.Update(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	_ = unstructured.SetNestedSlice(target.Object, []any{
		map[string]any{"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "Bucket", "name": "media-bucket"},
		map[string]any{"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "BucketServerSideEncryptionConfiguration", "name": "media-encryption"},
	}, "spec", "crossplane", "resourceRefs")
	if err := c.Update(context.Background(), target); err != nil {
		t.Fatal(err)
	}
	o.StopAfter = StepCompose
	err := Run(context.Background(), o)
	if _, ok := errors.AsType[*Refusal](err); !ok {
		t.Fatalf("Run: %v, want a refusal", err)
	}
	for _, want := range []string{"BucketServerSideEncryptionConfiguration media-encryption: region us-east-1, the legacy media-x7k2p-encryption has eu-west-1", "paused again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q: %v", want, err)
		}
	}
	if a := read(t, c, "paved.dev/v1alpha1", "Bucket", ns, claimName).GetAnnotations(); a[annotationPaused] != "true" {
		t.Errorf("the Bucket is not paused again: %v", a)
	}
}

// TestRefusals: migrate takes over nothing.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func([]client.Object) []client.Object
		want   string
	}{
		{"TargetExists", func(w []client.Object) []client.Object {
			return append(w, obj("paved.dev/v1alpha1", "Bucket", ns, claimName, map[string]any{"spec": map[string]any{}}))
		}, "was not made by paved migrate"},
		{"ManagedResourceExists", func(w []client.Object) []client.Object {
			return append(w, obj("s3.aws.m.upbound.io/v1beta1", "Bucket", ns, "media-bucket", map[string]any{"spec": map[string]any{}}))
		}, "is not the namespaced composite's"},
		{"NoExternalName", func(w []client.Object) []client.Object {
			w[2].SetAnnotations(map[string]string{annotationResourceName: "bucket"})
			return w
		}, "has no external name"},
		{"NotReady", func(w []client.Object) []client.Object {
			_ = unstructured.SetNestedSlice(w[0].(*unstructured.Unstructured).Object, []any{map[string]any{"type": "Ready", "status": "False"}}, "status", "conditions")
			return w
		}, "is not Ready"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fakeClient(tc.change(world())...)
			var out bytes.Buffer
			o := options(c, &out)
			o.Apply = true
			err := Run(context.Background(), o)
			if _, ok := errors.AsType[*Refusal](err); !ok || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run: %v, want a refusal saying %q", err, tc.want)
			}
			if a := read(t, c, "platform.paved.dev/v1alpha1", "BucketClaim", ns, claimName).GetAnnotations(); len(a) > 0 {
				t.Errorf("a refused migration annotated the claim: %v", a)
			}
		})
	}
}
