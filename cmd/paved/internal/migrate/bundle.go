package migrate

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// What a ServiceBundle claim's composite composes besides managed
// resources and nested composites: Argo CD Applications, in Argo CD's
// namespace for a legacy bundle and in the bundle's own for a namespaced
// one (fn/servicebundle, applicationNamespace).
const (
	applicationAPIVersion = "argoproj.io/v1alpha1"
	applicationKind       = "Application"
	// resourcesFinalizer makes Argo CD delete what an Application
	// deployed before the Application itself; an Application deleted
	// without it is deleted alone, what it deployed stays
	// (https://argo-cd.readthedocs.io/en/stable/user-guide/app_deletion/,
	// "About the deletion finalizer"; argo-cd docs/user-guide/app_deletion.md).
	resourcesFinalizer = "resources-finalizer.argocd.argoproj.io"
	// AnnotationMovedSpec, on an Application migrate moved, is what the
	// legacy one deployed (movedSpec, JSON): verify compares the moved
	// one with it after the namespaced composite composed it, also when
	// the legacy one is long gone (a resumed migration).
	AnnotationMovedSpec = "paved.dev/migrated-application"
)

// identityAnnotations are the annotations by which provider-paved tells
// its objects apart besides the external name: the repository's GitHub
// id (another repository under the same name is refused), the catalog
// location it registered (only that one is ever deleted), the files and
// access it wrote or adopted (provider/internal/controller/repository,
// AnnotationRepositoryID; cataloglocation, AnnotationRegistered).
// verify holds the first two equal.
var identityAnnotations = []string{"github.paved.dev/repository-id", "backstage.paved.dev/registered-location"}

// providerAnnotations are the annotations a namespaced managed resource
// takes from its legacy one: set, and every annotation provider-paved
// keeps on it (github.paved.dev/, backstage.paved.dev/: the repository's
// id, the registered location and its refresh key, a file's owner, team
// access granted or adopted), so that the provider goes on identifying
// and owning the same GitHub and Backstage objects.
func providerAnnotations(legacy *unstructured.Unstructured, set map[string]string) map[string]string {
	out := maps.Clone(set)
	if out[annotationExternalName] == "" {
		delete(out, annotationExternalName) // named by its parameters (byParameters)
	}
	for k, v := range legacy.GetAnnotations() {
		if strings.HasPrefix(k, "github.paved.dev/") || strings.HasPrefix(k, "backstage.paved.dev/") {
			out[k] = v
		}
	}
	return out
}

// A legacyApp is one Argo CD Application of the legacy composite, which
// moves to the namespaced composite's namespace under the same name.
type legacyApp struct {
	name, legacyNamespace, pipeline string
	legacy                          *unstructured.Unstructured // nil once deleted
}

// movedSpec is what an Application deploys: its project, source and
// destination.
func movedSpec(u *unstructured.Unstructured) map[string]any {
	out := map[string]any{}
	for _, f := range []string{"project", "source", "destination"} {
		if v, ok, _ := unstructured.NestedFieldCopy(u.Object, "spec", f); ok {
			out[f] = v
		}
	}
	return out
}

func (m *migration) loadApp(ctx context.Context, ref map[string]any) (legacyApp, error) {
	name, _ := ref["name"].(string)
	ns, _ := ref["namespace"].(string)
	a := legacyApp{name: name, legacyNamespace: ns}
	var err error
	if a.legacy, err = get(ctx, m.o.Client, gvk(applicationAPIVersion, applicationKind), ns, name); err != nil {
		return a, err
	}
	if a.legacy != nil {
		a.pipeline = a.legacy.GetAnnotations()[annotationResourceName]
		if a.pipeline == "" {
			return a, refuse("Application %s/%s has no %s annotation", ns, name, annotationResourceName)
		}
		return a, nil
	}
	// Deleted by step adopt: the moved one says where it was.
	moved, err := get(ctx, m.o.Client, gvk(applicationAPIVersion, applicationKind), m.o.Namespace, name)
	if err != nil {
		return a, err
	}
	if moved == nil && m.done < stepIndex(StepAdopt) {
		return a, refuse("composite %s lists Application %s/%s, which does not exist", m.composite.GetName(), ns, name)
	}
	if moved != nil {
		a.pipeline = moved.GetAnnotations()[annotationResourceName]
	}
	return a, nil
}

// precheckApps refuses an Application in the namespace, of a name a
// legacy one moves to, that migrate did not move there.
func (m *migration) precheckApps(ctx context.Context) error {
	for _, a := range m.apps {
		u, err := get(ctx, m.o.Client, gvk(applicationAPIVersion, applicationKind), m.o.Namespace, a.name)
		if err != nil {
			return err
		}
		if u != nil && (m.target == nil || !controlledBy(u, m.target.GetUID())) {
			return refuse("Application %s/%s exists and is not the namespaced composite's: migrate never takes over an object", m.o.Namespace, a.name)
		}
	}
	return nil
}

// releaseApps removes Argo CD's resources finalizer from the legacy
// Applications (step orphan): deleting one then deletes only the
// Application, never what it deployed (resourcesFinalizer). The legacy
// composite is paused, so nothing composes the finalizer again.
func (m *migration) releaseApps(ctx context.Context) error {
	for _, a := range m.apps {
		if a.legacy == nil {
			continue
		}
		if err := m.withoutFinalizer(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

func (m *migration) withoutFinalizer(ctx context.Context, a legacyApp) error {
	u, err := get(ctx, m.o.Client, gvk(applicationAPIVersion, applicationKind), a.legacyNamespace, a.name)
	if err != nil || u == nil {
		return err
	}
	if !slices.Contains(u.GetFinalizers(), resourcesFinalizer) {
		return nil
	}
	u.SetFinalizers(slices.DeleteFunc(u.GetFinalizers(), func(f string) bool { return f == resourcesFinalizer }))
	// An update, not a patch: it fails if the Application changed since
	// it was read (optimistic concurrency), rather than drop a finalizer
	// someone added meanwhile.
	if err := m.o.Client.Update(ctx, u, client.FieldOwner(FieldManager)); err != nil {
		return fmt.Errorf("cannot remove %s from Application %s/%s: %w", resourcesFinalizer, a.legacyNamespace, a.name, err)
	}
	return nil
}

// appsReleased refuses while a legacy Application that still exists
// carries the resources finalizer: its deletion would delete what it
// deployed.
func (m *migration) appsReleased(ctx context.Context) error {
	for _, a := range m.apps {
		u, err := get(ctx, m.o.Client, gvk(applicationAPIVersion, applicationKind), a.legacyNamespace, a.name)
		if err != nil {
			return err
		}
		if u != nil && slices.Contains(u.GetFinalizers(), resourcesFinalizer) {
			return refuse("Application %s/%s carries %s again: deleting it would delete what it deployed", a.legacyNamespace, a.name, resourcesFinalizer)
		}
	}
	return nil
}

// moveApps moves each legacy Application to the namespaced composite's
// namespace (step adopt): the legacy one, without the resources
// finalizer since step orphan, is deleted, which leaves what it deployed
// in place (resourcesFinalizer), and the same Application is created in
// the namespace, controlled by the namespaced composite, which adopts it
// while it may only adopt (fn/internal/compose, Set.adopt) and so keeps
// its source and destination. Argo CD then finds what it deployed in
// place. The moved one is created before the legacy one is deleted, so
// that an interruption between the two loses neither (the legacy one's
// spec is recorded nowhere else); for that moment both name the same
// objects, and FailOnSharedResource=true makes a sync of the moved one
// fail rather than take them over
// (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/#fail-the-sync-if-a-shared-resource-is-found);
// neither prunes what the other deployed.
func (m *migration) moveApps(ctx context.Context) error {
	o := m.o
	controller := true
	for i, a := range m.apps {
		moved, err := get(ctx, o.Client, gvk(applicationAPIVersion, applicationKind), o.Namespace, a.name)
		if err != nil {
			return err
		}
		if moved != nil {
			if !controlledBy(moved, m.target.GetUID()) {
				return refuse("Application %s/%s exists and is not the namespaced composite's", o.Namespace, a.name)
			}
			if a.legacy != nil {
				if err := m.deleteLegacyApp(ctx, a); err != nil {
					return err
				}
			}
			continue
		}
		if a.legacy == nil {
			return refuse("Application %s/%s is gone and was not moved to %s", a.legacyNamespace, a.name, o.Namespace)
		}
		spec, err := json.Marshal(movedSpec(a.legacy))
		if err != nil {
			return fmt.Errorf("cannot record what Application %s/%s deploys: %w", a.legacyNamespace, a.name, err)
		}
		u := &unstructured.Unstructured{Object: map[string]any{}}
		if sp, ok, _ := unstructured.NestedFieldCopy(a.legacy.Object, "spec"); ok {
			u.Object["spec"] = sp
		}
		// Argo CD's Application has no status subresource: the status it
		// reported comes along until its controller writes the next.
		if st, ok, _ := unstructured.NestedFieldCopy(a.legacy.Object, "status"); ok {
			u.Object["status"] = st
		}
		u.SetAPIVersion(applicationAPIVersion)
		u.SetKind(applicationKind)
		u.SetNamespace(o.Namespace)
		u.SetName(a.name)
		u.SetLabels(a.legacy.GetLabels())
		ann := map[string]string{}
		for k, v := range a.legacy.GetAnnotations() {
			if !strings.HasPrefix(k, "crossplane.io/") && k != corev1.LastAppliedConfigAnnotation {
				ann[k] = v
			}
		}
		ann[annotationResourceName] = a.pipeline
		ann[AnnotationFrom] = "Application " + a.legacyNamespace + "/" + a.name
		ann[AnnotationMovedSpec] = string(spec)
		u.SetAnnotations(ann)
		u.SetFinalizers([]string{resourcesFinalizer})
		u.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: m.target.GetAPIVersion(), Kind: m.target.GetKind(), Name: m.target.GetName(),
			UID: m.target.GetUID(), Controller: &controller, BlockOwnerDeletion: &controller}})
		if err := o.Client.Create(ctx, u, client.FieldOwner(FieldManager)); err != nil {
			return fmt.Errorf("cannot create Application %s/%s: %w", o.Namespace, a.name, err)
		}
		if err := m.deleteLegacyApp(ctx, a); err != nil {
			return err
		}
		m.apps[i].legacy = nil
	}
	return nil
}

// deleteLegacyApp deletes a legacy Application that carries no resources
// finalizer, and waits until it is gone.
func (m *migration) deleteLegacyApp(ctx context.Context, a legacyApp) error {
	u, err := get(ctx, m.o.Client, gvk(applicationAPIVersion, applicationKind), a.legacyNamespace, a.name)
	if err != nil || u == nil {
		return err
	}
	if slices.Contains(u.GetFinalizers(), resourcesFinalizer) {
		return refuse("Application %s/%s carries %s: deleting it would delete what it deployed", a.legacyNamespace, a.name, resourcesFinalizer)
	}
	// Only that Application, as it was read: a precondition on its uid
	// and version refuses the deletion if it changed (a finalizer added
	// back) since.
	uid, rv := u.GetUID(), u.GetResourceVersion()
	if err := m.o.Client.Delete(ctx, u, client.Preconditions{UID: &uid, ResourceVersion: &rv}); err != nil && !kerrors.IsNotFound(err) {
		return fmt.Errorf("cannot delete Application %s/%s: %w", a.legacyNamespace, a.name, err)
	}
	return m.wait(ctx, "Application "+a.legacyNamespace+"/"+a.name+" to be gone", func(ctx context.Context) (bool, error) {
		u, err := get(ctx, m.o.Client, gvk(applicationAPIVersion, applicationKind), a.legacyNamespace, a.name)
		return u == nil, err
	})
}

// verifyApps compares each moved Application, as Crossplane applied the
// function's desired state to it, with what the legacy one deployed:
// another project, source or destination would have Argo CD deploy
// anew, elsewhere, and prune what is deployed. On a difference the
// composite is paused again and the migration refused.
func (m *migration) verifyApps(ctx context.Context) error {
	o := m.o
	var diffs []string
	for _, a := range m.apps {
		u, err := get(ctx, o.Client, gvk(applicationAPIVersion, applicationKind), o.Namespace, a.name)
		if err != nil {
			return err
		}
		if u == nil {
			return refuse("Application %s/%s is gone", o.Namespace, a.name)
		}
		var want map[string]any
		if err := json.Unmarshal([]byte(u.GetAnnotations()[AnnotationMovedSpec]), &want); err != nil {
			return refuse("Application %s/%s has no readable %s: it was not moved by paved migrate", o.Namespace, a.name, AnnotationMovedSpec)
		}
		got := movedSpec(u)
		for _, f := range []string{"project", "source", "destination"} {
			if !reflect.DeepEqual(normaliseJSON(want[f]), normaliseJSON(got[f])) {
				diffs = append(diffs, fmt.Sprintf("Application %s: %s %v, the legacy one had %v", a.name, f, got[f], want[f]))
			}
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	if err := annotate(ctx, o.Client, m.target, map[string]any{annotationPaused: "true"}); err != nil {
		return err
	}
	return refuse("%s would deploy elsewhere (the composite is paused again): %s", o.targetSubject(), strings.Join(diffs, "; "))
}

// normaliseJSON makes a value read from the API server and one decoded
// from JSON compare alike.
func normaliseJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// nestedSpecFields are a legacy composite's spec fields the namespaced
// composite does not take: Crossplane's and the claim's machinery
// (claimOnlyFields, and what a legacy composite has besides).
var nestedSpecFields = append(slices.Clone(claimOnlyFields), "claimRef", "resourceRefs", "environmentConfigRefs", "crossplane")

// createNested creates a nested namespaced composite (step create):
// paused, adopt-only, controlled by its parent's namespaced composite
// under the name its function gives it, with the legacy composite's
// spec. Crossplane applies the parent's desired spec over it when the
// parent composes (step compose).
func (m *migration) createNested(ctx context.Context) error {
	if m.target != nil {
		return nil
	}
	p := m.parent
	spec, _, _ := unstructured.NestedMap(m.composite.Object, "spec")
	spec = maps.Clone(spec)
	for _, f := range nestedSpecFields {
		delete(spec, f)
	}
	if n, _, _ := unstructured.NestedString(m.composite.Object, "spec", "writeConnectionSecretToRef", "name"); n != "" {
		spec["writeConnectionSecretToRef"] = map[string]any{"name": n}
	}
	t := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	t.SetGroupVersionKind(m.o.targetGVK())
	t.SetNamespace(m.o.Namespace)
	t.SetName(m.o.Name)
	t.SetAnnotations(map[string]string{
		annotationPaused:        "true",
		annotationAdoptOnly:     "true",
		annotationResourceName:  m.pipeline,
		AnnotationFrom:          m.from(),
		AnnotationFromComposite: m.composite.GetName(),
	})
	controller := true
	t.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: p.target.GetAPIVersion(), Kind: p.target.GetKind(), Name: p.target.GetName(),
		UID: p.target.GetUID(), Controller: &controller, BlockOwnerDeletion: &controller}})
	if err := m.o.Client.Create(ctx, t, client.FieldOwner(FieldManager)); err != nil {
		return fmt.Errorf("cannot create %s: %w", m.o.targetSubject(), err)
	}
	m.target = t
	return nil
}

// releaseSecrets leaves the connection Secrets that a nested legacy
// composite and its managed resources write into the namespace (a
// bundle's database's: the XDatabase's, or its Instance's) without their
// legacy controller: it is the Secret's owner, and the garbage collector
// would delete the Secret with it (step remove), while the team's apps
// read it. As for a claim's (see secret), a bucket's becomes the
// namespaced Bucket's, a database's is left for its provider to take.
func (m *migration) releaseSecrets(ctx context.Context) error {
	writers := []*unstructured.Unstructured{m.composite}
	for _, mr := range m.mrs {
		writers = append(writers, mr.obj)
	}
	for _, w := range writers {
		ref, _, _ := unstructured.NestedStringMap(w.Object, "spec", "writeConnectionSecretToRef")
		if ref["name"] == "" || ref["namespace"] != m.o.Namespace {
			continue
		}
		s := &corev1.Secret{}
		if err := m.o.Client.Get(ctx, types.NamespacedName{Namespace: ref["namespace"], Name: ref["name"]}, s); err != nil {
			if kerrors.IsNotFound(err) {
				continue
			}
			return fmt.Errorf("cannot read the connection Secret of %s %s: %w", w.GetKind(), w.GetName(), err)
		}
		owners := slices.DeleteFunc(slices.Clone(s.OwnerReferences), func(r metav1.OwnerReference) bool {
			return slices.ContainsFunc(writers, func(u *unstructured.Unstructured) bool { return u.GetUID() == r.UID })
		})
		if w == m.composite && m.o.Kind.Target == "Bucket" {
			// A namespaced Bucket composes its connection Secret and
			// refuses one it does not control (see secret).
			controller := true
			owners = append(owners, metav1.OwnerReference{APIVersion: m.target.GetAPIVersion(), Kind: m.target.GetKind(), Name: m.target.GetName(),
				UID: m.target.GetUID(), Controller: &controller, BlockOwnerDeletion: &controller})
		}
		if slices.Equal(owners, s.OwnerReferences) {
			continue
		}
		s.OwnerReferences = owners
		if err := m.o.Client.Update(ctx, s); err != nil {
			return fmt.Errorf("cannot hand over the connection Secret %s/%s: %w", s.Namespace, s.Name, err)
		}
	}
	return nil
}
