package migrate

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const bundleXR = "media-b4n9q"

var bundleKinds = append(slices.Clone(bucketKinds),
	fakeKind{"platform.paved.dev/v1alpha1", "ServiceBundle", true},
	fakeKind{"platform.paved.dev/v1alpha1", "XServiceBundle", false},
	fakeKind{"paved.dev/v1alpha1", "ServiceBundle", true},
	fakeKind{"github.paved.dev/v1alpha1", "Repository", false},
	fakeKind{"github.m.paved.dev/v1alpha1", "Repository", true},
	fakeKind{"argoproj.io/v1alpha1", "Application", true},
)

// bundleWorld is a Ready ServiceBundle claim whose composite composes a
// Repository, a nested XBucket (with the bucket of world) and an
// Application in Argo CD's namespace, with Argo CD's resources finalizer.
func bundleWorld() []client.Object {
	claim := obj("platform.paved.dev/v1alpha1", "ServiceBundle", ns, claimName, map[string]any{
		"spec": map[string]any{
			"resourceRef": map[string]any{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XServiceBundle", "name": bundleXR},
			"description": "Media", "template": "go-service", "bucket": map[string]any{},
		},
		"status": map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "True"}}},
	})
	xr := obj("platform.paved.dev/v1alpha1", "XServiceBundle", "", bundleXR, map[string]any{"spec": map[string]any{"resourceRefs": []any{
		map[string]any{"apiVersion": "github.paved.dev/v1alpha1", "kind": "Repository", "name": "media"},
		map[string]any{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket", "name": xrName},
		map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "name": "team-a--media-staging", "namespace": "argocd"},
		map[string]any{"apiVersion": "protection.crossplane.io/v1beta1", "kind": "Usage", "name": "media-protect", "namespace": "argocd"},
	}}})
	xr.SetUID("bundle-uid")
	repo := obj("github.paved.dev/v1alpha1", "Repository", "", "media", map[string]any{"spec": map[string]any{
		"forProvider":       map[string]any{"owner": "acme", "description": "Media"},
		"providerConfigRef": map[string]any{"name": "default"},
	}})
	repo.SetAnnotations(map[string]string{annotationExternalName: "media", annotationResourceName: "repository",
		"github.paved.dev/repository-id": "4242", "crossplane.io/external-create-succeeded": "2026-01-01T00:00:00Z"})
	app := obj("argoproj.io/v1alpha1", "Application", "argocd", "team-a--media-staging", map[string]any{
		"spec": map[string]any{
			"project":     "team-a-project",
			"source":      map[string]any{"repoURL": "https://github.com/acme/media.git", "path": "k8s/overlays/staging", "targetRevision": "main"},
			"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": "team-a-staging"},
		},
		"status": map[string]any{"health": map[string]any{"status": "Healthy"}},
	})
	app.SetAnnotations(map[string]string{annotationResourceName: "application-staging", "notifications.argoproj.io/subscribe.on-sync-failed.slack": "team-a"})
	app.SetLabels(map[string]string{"team": "team-a", "environment": "staging"})
	app.SetFinalizers([]string{resourcesFinalizer})
	// The XBucket, its bucket and encryption.
	out := append([]client.Object{claim, xr, repo, app}, world()[1:4]...)
	nested := out[4].(*unstructured.Unstructured)
	nested.SetAnnotations(map[string]string{annotationResourceName: "bucket"})
	_ = unstructured.SetNestedField(nested.Object, "eu-west-1", "spec", "region")
	_ = unstructured.SetNestedField(nested.Object, map[string]any{"name": "media-bucket", "namespace": ns}, "spec", "writeConnectionSecretToRef")
	_ = unstructured.SetNestedField(nested.Object, map[string]any{"name": "xbuckets.aws.platform.paved.dev"}, "spec", "compositionRef")
	nested.SetUID("xbucket-uid")
	// The connection Secret Crossplane publishes for the nested composite,
	// controlled by it.
	controller := true
	out = append(out, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "media-bucket", OwnerReferences: []metav1.OwnerReference{
		{APIVersion: "platform.paved.dev/v1alpha1", Kind: "XBucket", Name: xrName, UID: "xbucket-uid", Controller: &controller}}}})
	return out
}

func bundleOptions(c client.Client, out *bytes.Buffer) Options {
	o := options(c, out)
	o.Kind = Kinds["ServiceBundle"]
	return o
}

// TestBundleDryRun: the plan names the repository, the nested composite
// and its resources, and the Application's move; nothing changes.
func TestBundleDryRun(t *testing.T) {
	c := fakeClientOf(bundleKinds, bundleWorld()...)
	var out bytes.Buffer
	if err := Run(context.Background(), bundleOptions(c, &out)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"dry run",
		"Repository media (external name media) -> github.m.paved.dev team-a/media",
		"XBucket " + xrName + " -> Bucket team-a/media-bucket",
		"Bucket " + xrName + "-bucket (external name media-x7k2p-0123456789ab) -> s3.aws.m.upbound.io team-a/media-bucket-bucket",
		"Application argocd/team-a--media-staging -> team-a/team-a--media-staging (without " + resourcesFinalizer,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the plan does not say %q:\n%s", want, out.String())
		}
	}
	if u := read(t, c, "argoproj.io/v1alpha1", "Application", "argocd", "team-a--media-staging"); !slices.Contains(u.GetFinalizers(), resourcesFinalizer) {
		t.Error("the dry run removed Argo CD's finalizer")
	}
}

// TestBundleStepsUntilAdopt: stopped after adopt, the legacy Repository and
// the nested bucket's resources are orphaned; the legacy Application lost
// Argo CD's resources finalizer and is gone, and the same Application,
// with the finalizer and what it deployed recorded, is in the team's
// namespace, controlled by the namespaced ServiceBundle; the namespaced
// Repository carries the repository's name and GitHub id and names
// provider-paved's ClusterProviderConfig; the nested Bucket is the
// ServiceBundle's, paused and adopt-only, with the legacy composite's own
// spec.
func TestBundleStepsUntilAdopt(t *testing.T) {
	c := fakeClientOf(bundleKinds, bundleWorld()...)
	var out bytes.Buffer
	o := bundleOptions(c, &out)
	o.Apply, o.StopAfter = true, StepAdopt
	if err := Run(context.Background(), o); !errors.Is(err, ErrStopped) {
		t.Fatalf("Run: %v, want ErrStopped\n%s", err, out.String())
	}
	target := read(t, c, "paved.dev/v1alpha1", "ServiceBundle", ns, claimName)
	if target == nil {
		t.Fatal("no ServiceBundle")
	}
	if !orphaned(read(t, c, "github.paved.dev/v1alpha1", "Repository", "", "media")) {
		t.Error("the legacy Repository is not orphaned")
	}
	if !orphaned(read(t, c, "s3.aws.upbound.io/v1beta1", "Bucket", "", xrName+"-bucket")) {
		t.Error("the nested composite's bucket is not orphaned")
	}
	if a := read(t, c, "platform.paved.dev/v1alpha1", "XBucket", "", xrName).GetAnnotations(); a[annotationPaused] != "true" {
		t.Errorf("the nested XBucket is not paused: %v", a)
	}

	repo := read(t, c, "github.m.paved.dev/v1alpha1", "Repository", ns, "media")
	if repo == nil {
		t.Fatal("no namespaced Repository")
	}
	if d := cmp.Diff(map[string]string{
		annotationExternalName:           "media",
		annotationResourceName:           "repository",
		AnnotationFrom:                   "Repository media",
		"github.paved.dev/repository-id": "4242",
	}, repo.GetAnnotations()); d != "" {
		t.Errorf("namespaced Repository annotations: -want +got\n%s", d)
	}
	if d := cmp.Diff(map[string]any{"kind": "ClusterProviderConfig", "name": "default"}, field(repo, "spec", "providerConfigRef")); d != "" {
		t.Errorf("providerConfigRef: -want +got\n%s", d)
	}
	if c := metav1.GetControllerOf(repo); c == nil || c.UID != target.GetUID() {
		t.Errorf("the Repository's controller %v, want the ServiceBundle", c)
	}

	nested := read(t, c, "paved.dev/v1alpha1", "Bucket", ns, "media-bucket")
	if nested == nil {
		t.Fatal("no nested Bucket")
	}
	if c := metav1.GetControllerOf(nested); c == nil || c.UID != target.GetUID() {
		t.Errorf("the nested Bucket's controller %v, want the ServiceBundle", c)
	}
	if d := cmp.Diff(map[string]string{
		annotationPaused: "true", annotationAdoptOnly: "true", annotationResourceName: "bucket",
		AnnotationFrom: "XBucket " + xrName, AnnotationFromComposite: xrName,
	}, nested.GetAnnotations()); d != "" {
		t.Errorf("nested Bucket annotations: -want +got\n%s", d)
	}
	if d := cmp.Diff(map[string]any{"region": "eu-west-1", "writeConnectionSecretToRef": map[string]any{"name": "media-bucket"}}, field(nested, "spec")); d != "" {
		t.Errorf("nested Bucket spec: -want +got\n%s", d)
	}
	if u := read(t, c, "s3.aws.m.upbound.io/v1beta1", "Bucket", ns, "media-bucket-bucket"); u == nil || metav1.GetControllerOf(u).UID != nested.GetUID() {
		t.Errorf("the nested Bucket's bucket %v is not controlled by it", u)
	}

	if u := read(t, c, "argoproj.io/v1alpha1", "Application", "argocd", "team-a--media-staging"); u != nil {
		t.Errorf("the legacy Application is still there, finalizers %v", u.GetFinalizers())
	}
	app := read(t, c, "argoproj.io/v1alpha1", "Application", ns, "team-a--media-staging")
	if app == nil {
		t.Fatal("no Application in the team's namespace")
	}
	if c := metav1.GetControllerOf(app); c == nil || c.UID != target.GetUID() {
		t.Errorf("the Application's controller %v, want the ServiceBundle", c)
	}
	if d := cmp.Diff([]string{resourcesFinalizer}, app.GetFinalizers()); d != "" {
		t.Errorf("finalizers: -want +got\n%s", d)
	}
	if d := cmp.Diff(map[string]any{"server": "https://kubernetes.default.svc", "namespace": "team-a-staging"}, field(app, "spec", "destination")); d != "" {
		t.Errorf("destination: -want +got\n%s", d)
	}
	if d := cmp.Diff(map[string]any{"health": map[string]any{"status": "Healthy"}}, field(app, "status")); d != "" {
		t.Errorf("status: -want +got\n%s", d)
	}
	for k, want := range map[string]string{annotationResourceName: "application-staging", "notifications.argoproj.io/subscribe.on-sync-failed.slack": "team-a"} {
		if got := app.GetAnnotations()[k]; got != want {
			t.Errorf("Application annotation %s %q, want %q", k, got, want)
		}
	}

	// Resumed, the migration loads the moved Application in place of the
	// legacy one, and verifies what it deploys: Crossplane applied a
	// desired state that deploys elsewhere here. Refused, paused again.
	_ = unstructured.SetNestedField(app.Object, "team-a-elsewhere", "spec", "destination", "namespace")
	if err := c.Update(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	m, err := o.load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	err = m.verifyApps(context.Background())
	if _, ok := errors.AsType[*Refusal](err); !ok || !strings.Contains(err.Error(), "namespace:team-a-elsewhere") {
		t.Fatalf("verifyApps: %v, want a refusal naming the new destination", err)
	}
	if a := read(t, c, "paved.dev/v1alpha1", "ServiceBundle", ns, claimName).GetAnnotations(); a[annotationPaused] != "true" {
		t.Errorf("the ServiceBundle is not paused: %v", a)
	}
}

// TestBundleAppFinalizerBack: an Application that carries Argo CD's
// resources finalizer again when migrate would delete it is refused:
// its deletion would delete what it deployed.
func TestBundleAppFinalizerBack(t *testing.T) {
	c := fakeClientOf(bundleKinds, bundleWorld()...)
	var out bytes.Buffer
	o := bundleOptions(c, &out)
	o.Apply, o.StopAfter = true, StepCreate
	if err := Run(context.Background(), o); !errors.Is(err, ErrStopped) {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	app := read(t, c, "argoproj.io/v1alpha1", "Application", "argocd", "team-a--media-staging")
	if slices.Contains(app.GetFinalizers(), resourcesFinalizer) {
		t.Fatal("step orphan left Argo CD's resources finalizer")
	}
	app.SetFinalizers([]string{resourcesFinalizer})
	if err := c.Update(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	o.StopAfter = ""
	err := Run(context.Background(), o)
	if _, ok := errors.AsType[*Refusal](err); !ok || !strings.Contains(err.Error(), "deleting it would delete what it deployed") {
		t.Fatalf("Run: %v, want a refusal", err)
	}
	if u := read(t, c, "argoproj.io/v1alpha1", "Application", "argocd", "team-a--media-staging"); u == nil {
		t.Error("the Application was deleted")
	}
}

// TestBundleSecretReleased: step secret hands the connection Secret a
// nested XBucket publishes in the team's namespace from it to the
// namespaced Bucket, so that the garbage collector does not delete it with
// the legacy composite (step remove) and the Bucket composes it.
func TestBundleSecretReleased(t *testing.T) {
	c := fakeClientOf(bundleKinds, bundleWorld()...)
	var out bytes.Buffer
	o := bundleOptions(c, &out)
	o.Apply, o.StopAfter = true, StepAdopt
	if err := Run(context.Background(), o); !errors.Is(err, ErrStopped) {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	var s corev1.Secret
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "media-bucket"}, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.OwnerReferences) != 1 {
		t.Fatalf("before step secret: owners %v", s.OwnerReferences)
	}
	o.StopAfter = StepSecret
	if err := Run(context.Background(), o); !errors.Is(err, ErrStopped) {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "media-bucket"}, &s); err != nil {
		t.Fatal(err)
	}
	bucket := read(t, c, "paved.dev/v1alpha1", "Bucket", ns, "media-bucket")
	if o := metav1.GetControllerOf(&s); len(s.OwnerReferences) != 1 || o == nil || o.UID != bucket.GetUID() {
		t.Errorf("after step secret: owners %v, want the namespaced Bucket alone", s.OwnerReferences)
	}
}

func TestWouldCreate(t *testing.T) {
	for key, want := range map[string]bool{
		"s3.aws.m.upbound.io/v1beta1 Bucket media-bucket":           true,
		"github.m.paved.dev/v1alpha1 TeamRepository media-team":     true,
		"backstage.m.paved.dev/v1alpha1 CatalogLocation media-cl":   true,
		"paved.dev/v1alpha1 Database media-database":                true,
		"argoproj.io/v1alpha1 Application team-a--media-production": true,
		"protection.crossplane.io/v1beta1 Usage media-protect":      false,
		"v1 Secret media-conn":                                      false,
	} {
		if got := wouldCreate(key); got != want {
			t.Errorf("wouldCreate(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestProviderAnnotations(t *testing.T) {
	legacy := obj("backstage.paved.dev/v1alpha1", "CatalogLocation", "", "media-catalog", nil)
	legacy.SetAnnotations(map[string]string{
		annotationExternalName:                    "0b1c",
		annotationResourceName:                    "catalog-location",
		"backstage.paved.dev/registered-location": "0b1c",
		"crossplane.io/external-create-pending":   "2026-01-01T00:00:00Z",
		"kubectl.kubernetes.io/last-applied":      "{}",
	})
	got := providerAnnotations(legacy, map[string]string{annotationExternalName: "0b1c", AnnotationFrom: "CatalogLocation media-catalog"})
	want := map[string]string{annotationExternalName: "0b1c", AnnotationFrom: "CatalogLocation media-catalog", "backstage.paved.dev/registered-location": "0b1c"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("-want +got\n%s", d)
	}
}

func field(u *unstructured.Unstructured, path ...string) any {
	v, _, _ := unstructured.NestedFieldCopy(u.Object, path...)
	return v
}
