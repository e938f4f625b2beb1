// Package migrate moves one legacy claim (DatabaseClaim, BucketClaim,
// ServiceBundle) to its namespaced Crossplane v2 composite (Database,
// Bucket, ServiceBundle) without deleting, creating or replacing any
// cloud, GitHub or Backstage resource: the legacy managed resources are
// orphaned, the namespaced composite's managed resources adopt the same
// objects by external name (and provider-paved's by the ids it keeps:
// GitHub's repository id, Backstage's location id), what it composes is
// verified against what exists, and only then are the legacy objects
// removed. A bundle's nested XDatabase and XBucket move the same way to
// the namespaced Database and Bucket it composes, and its Argo CD
// Applications move from Argo CD's namespace to the bundle's without
// deleting what they deployed (bundle.go).
//
// No Crossplane tool does this yet (crossplane/crossplane#6726); the
// manual recipe is crossplane/docs#1017: orphan the managed resources
// (deletionPolicy Orphan), delete the claim, then create managed resources
// that carry the same crossplane.io/external-name, which the provider
// observes instead of creating. paved owns both dialects, so it can make
// the namespaced composite compose exactly those managed resources (see
// fn/internal/compose, Set.adopt) and check it before anything acts.
//
// Every step is idempotent and the last step done is recorded on the
// claim and the new composite (AnnotationStep), so that an interrupted
// migration is resumed by running the command again.
package migrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/paved-dev/paved/fn/dialect"
)

// Annotations paved migrate reads and writes.
const (
	// AnnotationStep is the last step done, on the claim and, once it
	// exists, on the new composite.
	AnnotationStep = "paved.dev/migration-step"
	// AnnotationTo, on the legacy composite, names the namespaced
	// composite it moves to.
	AnnotationTo = "paved.dev/migrate-to"
	// AnnotationFrom, on the new composite and the managed resources
	// migrate made for it, names the claim, and on the composite
	// AnnotationFromComposite the legacy composite they come from.
	AnnotationFrom          = "paved.dev/migrated-from"
	AnnotationFromComposite = "paved.dev/migrated-from-composite"

	// Crossplane's pause annotation: the claim, composite and managed
	// resource reconcilers do nothing, deletion included, while it is
	// "true" (crossplane v2.4.0
	// internal/controller/apiextensions/composite/reconciler.go and
	// claim/reconciler.go, "Reconciliation (including deletion) is paused
	// via the pause annotation"; crossplane-runtime v2.4.0
	// pkg/meta/meta.go, AnnotationKeyReconciliationPaused).
	annotationPaused = "crossplane.io/paused"
	// The cloud object a managed resource stands for (crossplane-runtime
	// v2.4.0 pkg/meta/meta.go, AnnotationKeyExternalName): a provider that
	// finds it set observes that object instead of creating one.
	annotationExternalName = "crossplane.io/external-name"
	// The composed resource's name in the composite's pipeline, which
	// Crossplane keys observed resources by (crossplane v2.4.0
	// internal/controller/apiextensions/composite/composition_functions.go,
	// AnnotationKeyCompositionResourceName).
	annotationResourceName = "crossplane.io/composition-resource-name"
	// annotationAdoptOnly restricts the new composite to adopting: the
	// function refuses it while it would create any managed resource
	// that does not exist (fn/internal/compose, AnnotationAdoptOnly), so
	// nothing the claim's composite did not have is created. Set from
	// step create to step manage.
	annotationAdoptOnly = "paved.dev/adopt-only"
	// labelName selects siblings (fn/internal/compose, Selector).
	labelName = "app.kubernetes.io/name"

	// FieldManager is migrate's field manager for what it applies.
	FieldManager = "paved-migrate"
)

// A Kind is a claim kind migrate moves and what it moves to.
type Kind struct {
	Claim, Composite, Target string
	// ClaimGroup and TargetGroup: platform.paved.dev and paved.dev.
	ClaimGroup, TargetGroup string
}

// Kinds migrate moves, by claim kind.
var Kinds = map[string]Kind{
	"DatabaseClaim": {Claim: "DatabaseClaim", Composite: "XDatabase", Target: "Database", ClaimGroup: "platform.paved.dev", TargetGroup: "paved.dev"},
	"BucketClaim":   {Claim: "BucketClaim", Composite: "XBucket", Target: "Bucket", ClaimGroup: "platform.paved.dev", TargetGroup: "paved.dev"},
	"ServiceBundle": {Claim: "ServiceBundle", Composite: "XServiceBundle", Target: "ServiceBundle", ClaimGroup: "platform.paved.dev", TargetGroup: "paved.dev"},
}

// nestedKinds are the composites a legacy composite composes (a
// bundle's XDatabase and XBucket), by kind: each moves to the namespaced
// composite its namespaced parent composes in their place (a Database,
// a Bucket), the way the claim of that kind would.
var nestedKinds = map[string]string{"XDatabase": "DatabaseClaim", "XBucket": "BucketClaim"}

const version = "v1alpha1"

// The steps of a migration, in order.
const (
	StepPause   = "pause"
	StepOrphan  = "orphan"
	StepCreate  = "create"
	StepAdopt   = "adopt"
	StepSecret  = "secret"
	StepCompose = "compose"
	StepManage  = "manage"
	StepRemove  = "remove"
)

// Steps in order, each with what it does.
var Steps = []struct{ Name, Does string }{
	{StepPause, "pause the claim and its composite (crossplane.io/paused), so that nothing composes the legacy managed resources again"},
	{StepOrphan, "set every legacy managed resource to deletionPolicy Orphan and managementPolicies [Observe]: from now on it neither changes nor deletes its cloud object; remove Argo CD's resources finalizer from the legacy Applications"},
	{StepCreate, "create the namespaced composite, paused, in the claim's namespace, with the claim's spec (and the nested composites it composes, paused)"},
	{StepAdopt, "create its managed resources, controlled by it, named as the function names them, with the legacy external names and parameters, observe-only; move the Applications to the claim's namespace"},
	{StepSecret, "hand the claim's connection Secret over to the namespaced composite (a database's to its provider)"},
	{StepCompose, "let the namespaced composite compose, then verify that it composed exactly the adopted resources with the same external names and identifiers; refuse otherwise"},
	{StepManage, "let the namespaced managed resources manage their cloud objects (managementPolicies [*]) and wait until the composite is Ready"},
	{StepRemove, "delete the claim and the legacy composite; their managed resources go, orphaning their cloud objects"},
}

func stepIndex(name string) int {
	for i, s := range Steps {
		if s.Name == name {
			return i
		}
	}
	return -1
}

// Options of one migration.
type Options struct {
	Client    client.Client
	Kind      Kind
	Namespace string
	Name      string
	// Apply acts; otherwise migrate only prints the plan.
	Apply bool
	// StopAfter stops after that step (an interrupted migration).
	StopAfter string
	Out       io.Writer
	// Poll and Timeout: how often to read, and how long to wait, for
	// what Crossplane and the provider do.
	Poll    time.Duration
	Timeout time.Duration
}

// ErrStopped is returned when StopAfter stopped the migration.
var ErrStopped = errors.New("stopped")

// A Refusal is a migration migrate will not make: something would be
// created or replaced, or something is not as migrate left it.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return "refusing to migrate: " + r.Reason }

func refuse(format string, a ...any) error { return &Refusal{Reason: fmt.Sprintf(format, a...)} }

// legacyMR is one legacy managed resource and what it becomes.
type legacyMR struct {
	obj *unstructured.Unstructured
	// pipeline is its name in the composite's pipeline; external its
	// external name.
	pipeline, external string
	// target is its namespaced kind's apiVersion and the name the
	// function gives it for the new composite.
	targetAPIVersion, targetName string
}

// migration is the state migrate reads before each step.
type migration struct {
	o         Options
	claim     *unstructured.Unstructured // nil once deleted, and for a nested one
	composite *unstructured.Unstructured // nil once deleted
	target    *unstructured.Unstructured // nil until created
	mrs       []legacyMR
	done      int // index of the last step done, -1 for none

	// nested are the migrations of the composites the legacy composite
	// composes (a bundle's XDatabase and XBucket), each to the namespaced
	// composite named o.Name in the new one's namespace; parent is the
	// migration of the composite that composes this one, and pipeline
	// its name in that composite's pipeline.
	nested   []*migration
	parent   *migration
	pipeline string
	// apps are the Argo CD Applications the legacy composite composes.
	apps []legacyApp
}

// root is the top migration: the claim's.
func (m *migration) root() *migration {
	for m.parent != nil {
		m = m.parent
	}
	return m
}

// all is m and every migration nested in it, parents first.
func (m *migration) all() []*migration {
	out := []*migration{m}
	for _, n := range m.nested {
		out = append(out, n.all()...)
	}
	return out
}

// from is what AnnotationFrom says on the composite and on the objects
// migrate made for m: the claim, or for a nested migration the legacy
// composite.
func (m *migration) from() string {
	if m.parent != nil {
		return m.o.Kind.Composite + " " + m.composite.GetName()
	}
	return fmt.Sprintf("%s %s/%s", m.o.Kind.Claim, m.o.Namespace, m.o.Name)
}

func (o Options) claimGVK() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: o.Kind.ClaimGroup, Version: version, Kind: o.Kind.Claim}
}

func (o Options) compositeGVK() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: o.Kind.ClaimGroup, Version: version, Kind: o.Kind.Composite}
}

func (o Options) targetGVK() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: o.Kind.TargetGroup, Version: version, Kind: o.Kind.Target}
}

func (o Options) subject() string {
	return fmt.Sprintf("%s %s/%s", o.Kind.Claim, o.Namespace, o.Name)
}

func (o Options) targetSubject() string {
	return fmt.Sprintf("%s %s/%s", o.Kind.Target, o.Namespace, o.Name)
}

// get reads an object, nil if it does not exist.
func get(ctx context.Context, c client.Client, gvk schema.GroupVersionKind, ns, name string) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, u); err != nil {
		if kerrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("cannot read %s %s: %w", gvk.Kind, strings.TrimPrefix(ns+"/"+name, "/"), err)
	}
	return u, nil
}

// load reads the claim, the composites and the legacy managed resources.
func (o Options) load(ctx context.Context) (*migration, error) {
	m := &migration{o: o, done: -1}
	var err error
	if m.claim, err = get(ctx, o.Client, o.claimGVK(), o.Namespace, o.Name); err != nil {
		return nil, err
	}
	if m.target, err = get(ctx, o.Client, o.targetGVK(), o.Namespace, o.Name); err != nil {
		return nil, err
	}
	from := m.from()
	if m.target != nil && m.target.GetAnnotations()[AnnotationFrom] != from {
		return nil, refuse("%s exists and was not made by paved migrate from %s (its %s is %q): migrate never takes over a composite",
			o.targetSubject(), o.subject(), AnnotationFrom, m.target.GetAnnotations()[AnnotationFrom])
	}
	for _, u := range []*unstructured.Unstructured{m.claim, m.target} {
		if u != nil {
			m.done = max(m.done, stepIndex(u.GetAnnotations()[AnnotationStep]))
		}
	}
	var composite string
	switch {
	case m.claim != nil:
		composite, _, _ = unstructured.NestedString(m.claim.Object, "spec", "resourceRef", "name")
		if composite == "" {
			return nil, refuse("%s is bound to no composite (spec.resourceRef)", o.subject())
		}
	case m.target != nil:
		composite = m.target.GetAnnotations()[AnnotationFromComposite]
	default:
		return nil, fmt.Errorf("%s does not exist", o.subject())
	}
	if m.composite, err = get(ctx, o.Client, o.compositeGVK(), "", composite); err != nil {
		return nil, err
	}
	if m.composite == nil {
		return m, nil
	}
	if m.claim == nil && m.done < stepIndex(StepRemove)-1 {
		return nil, refuse("%s is gone but the migration had only done %q", o.subject(), Steps[max(m.done, 0)].Name)
	}
	if err := m.loadResources(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// loadNested reads the legacy composite called name, which m's composite
// composes as pipeline, and what it moves to.
func (m *migration) loadNested(ctx context.Context, kind Kind, pipeline, name string) (*migration, error) {
	o := m.o
	o.Kind = kind
	o.Name = dialect.ObjectName(m.o.Name, pipeline)
	n := &migration{o: o, done: m.done, parent: m, pipeline: pipeline}
	var err error
	if n.composite, err = get(ctx, o.Client, o.compositeGVK(), "", name); err != nil {
		return nil, err
	}
	if n.composite == nil {
		return nil, refuse("composite %s lists %s %s, which does not exist", m.composite.GetName(), kind.Composite, name)
	}
	if n.target, err = get(ctx, o.Client, o.targetGVK(), o.Namespace, o.Name); err != nil {
		return nil, err
	}
	if n.target != nil && n.target.GetAnnotations()[AnnotationFrom] != n.from() {
		return nil, refuse("%s exists and was not made by paved migrate from %s (its %s is %q): migrate never takes over a composite",
			o.targetSubject(), n.from(), AnnotationFrom, n.target.GetAnnotations()[AnnotationFrom])
	}
	if err := n.loadResources(ctx); err != nil {
		return nil, err
	}
	return n, nil
}

// loadResources reads what m's legacy composite composes: its managed
// resources (provider-aws's and provider-paved's), the composites it
// composes (loadNested) and its Argo CD Applications. Usages go with the
// composite.
func (m *migration) loadResources(ctx context.Context) error {
	o := m.o
	composite := m.composite.GetName()
	refs, _, _ := unstructured.NestedSlice(m.composite.Object, "spec", "resourceRefs")
	for _, r := range refs {
		ref, _ := r.(map[string]any)
		apiVersion, _ := ref["apiVersion"].(string)
		kind, _ := ref["kind"].(string)
		name, _ := ref["name"].(string)
		group, _, _ := strings.Cut(apiVersion, "/")
		switch {
		case apiVersion == applicationAPIVersion && kind == applicationKind:
			app, err := m.loadApp(ctx, ref)
			if err != nil {
				return err
			}
			m.apps = append(m.apps, app)
			continue
		case group == o.Kind.ClaimGroup && nestedKinds[kind] != "":
			pipeline, err := m.pipelineOf(ctx, apiVersion, kind, name)
			if err != nil {
				return err
			}
			n, err := m.loadNested(ctx, Kinds[nestedKinds[kind]], pipeline, name)
			if err != nil {
				return err
			}
			m.nested = append(m.nested, n)
			continue
		case group == o.Kind.ClaimGroup:
			return refuse("composite %s composes %s %s, which paved migrate does not move", composite, kind, name)
		case !strings.HasSuffix(group, ".aws.upbound.io") && !pavedManaged(group):
			continue // Usages: they go with the composite.
		}
		gv, err := schema.ParseGroupVersion(apiVersion)
		if err != nil {
			return fmt.Errorf("composite %s lists %s: %w", composite, apiVersion, err)
		}
		u, err := get(ctx, o.Client, gv.WithKind(kind), "", name)
		if err != nil {
			return err
		}
		if u == nil {
			return refuse("composite %s lists %s %s, which does not exist", composite, kind, name)
		}
		targetAPIVersion, ok := dialect.NamespacedKind(apiVersion, kind)
		if !ok {
			return refuse("%s %s has no namespaced kind paved composes", kind, name)
		}
		pipeline := u.GetAnnotations()[annotationResourceName]
		external := u.GetAnnotations()[annotationExternalName]
		if pipeline == "" {
			return refuse("%s %s has no %s annotation", kind, name, annotationResourceName)
		}
		if external == "" && !byParameters[kind] {
			return refuse("%s %s has no external name yet: its cloud object may not exist; migrate only a Ready claim", kind, name)
		}
		// The function names a managed resource after its composite
		// (naming.Object), or, some of a bundle's, after the service alike
		// in both dialects (fn/servicebundle, providerObject).
		targetName := name
		if name == dialect.ObjectName(composite, pipeline) {
			targetName = dialect.ObjectName(o.Name, pipeline)
		}
		m.mrs = append(m.mrs, legacyMR{obj: u, pipeline: pipeline, external: external,
			targetAPIVersion: targetAPIVersion, targetName: targetName})
	}
	sort.Slice(m.mrs, func(i, j int) bool { return m.mrs[i].pipeline < m.mrs[j].pipeline })
	sort.Slice(m.nested, func(i, j int) bool { return m.nested[i].pipeline < m.nested[j].pipeline })
	sort.Slice(m.apps, func(i, j int) bool { return m.apps[i].name < m.apps[j].name })
	if len(m.mrs) == 0 && len(m.nested) == 0 {
		return refuse("composite %s lists no managed resources", composite)
	}
	return nil
}

// byParameters are provider-paved's kinds whose GitHub object is named by
// their parameters (a file's repository and path, a branch's repository
// and name, a team's access to a repository), not an external name: the
// provider sets none (provider/internal/controller, branch,
// repositoryfile, teamrepository), and verify holds those parameters
// equal (identifying).
var byParameters = map[string]bool{"RepositoryFile": true, "Branch": true, "TeamRepository": true}

// pavedManaged reports whether group is one of provider-paved's
// cluster-scoped groups (github.paved.dev, backstage.paved.dev), whose
// namespaced kinds are in the same group with ".m." (provider/apis).
func pavedManaged(group string) bool {
	return group == "github.paved.dev" || group == "backstage.paved.dev"
}

// pipelineOf is the name in the pipeline of a composed object.
func (m *migration) pipelineOf(ctx context.Context, apiVersion, kind, name string) (string, error) {
	u, err := get(ctx, m.o.Client, gvk(apiVersion, kind), "", name)
	if err != nil {
		return "", err
	}
	if u == nil {
		return "", refuse("composite %s lists %s %s, which does not exist", m.composite.GetName(), kind, name)
	}
	p := u.GetAnnotations()[annotationResourceName]
	if p == "" {
		return "", refuse("%s %s has no %s annotation", kind, name, annotationResourceName)
	}
	return p, nil
}

// Run plans, and with Apply makes, the migration.
func Run(ctx context.Context, o Options) error {
	if o.Poll == 0 {
		o.Poll = time.Second
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Minute
	}
	m, err := o.load(ctx)
	if err != nil {
		return err
	}
	if err := m.precheck(ctx); err != nil {
		return err
	}
	mode := "dry run, nothing is changed; --apply to act"
	if o.Apply {
		mode = "applying"
	}
	fmt.Fprintf(o.Out, "migrate %s to %s (%s)\n", o.subject(), o.targetSubject(), mode)
	m.printPlan()
	if !o.Apply {
		return nil
	}
	for i, s := range Steps {
		if i <= m.done {
			continue
		}
		begin := time.Now()
		if err := m.run(ctx, s.Name); err != nil {
			return fmt.Errorf("step %s: %w", s.Name, err)
		}
		if err := m.record(ctx, s.Name); err != nil {
			return err
		}
		m.done = i
		fmt.Fprintf(o.Out, "done %s (%.1fs)\n", s.Name, time.Since(begin).Seconds())
		if s.Name == o.StopAfter {
			fmt.Fprintf(o.Out, "stopped after %s; run again to resume\n", s.Name)
			return ErrStopped
		}
	}
	fmt.Fprintf(o.Out, "migrated %s to %s\n", o.subject(), o.targetSubject())
	return nil
}

// precheck refuses, before any step, what would make the migration take
// over or replace something.
func (m *migration) precheck(ctx context.Context) error {
	if m.done < 0 && m.claim != nil {
		if condition(m.claim, "Ready") != "True" {
			return refuse("%s is not Ready: migrate only a claim whose resources all exist", m.o.subject())
		}
	}
	for _, n := range m.all() {
		if err := n.precheckOne(ctx); err != nil {
			return err
		}
	}
	return m.precheckApps(ctx)
}

func (m *migration) precheckOne(ctx context.Context) error {
	o := m.o
	for _, mr := range m.mrs {
		u, err := get(ctx, o.Client, gvk(mr.targetAPIVersion, mr.obj.GetKind()), o.Namespace, mr.targetName)
		if err != nil {
			return err
		}
		if u == nil {
			continue
		}
		if m.target == nil || !controlledBy(u, m.target.GetUID()) {
			return refuse("%s %s/%s exists and is not the namespaced composite's: migrate never takes over an object", u.GetKind(), o.Namespace, u.GetName())
		}
		if ext := u.GetAnnotations()[annotationExternalName]; ext != mr.external {
			return refuse("%s %s/%s has external name %q, the legacy %s has %q: that would be another cloud object",
				u.GetKind(), o.Namespace, u.GetName(), ext, mr.obj.GetName(), mr.external)
		}
	}
	return nil
}

func (m *migration) printPlan() {
	for i, s := range Steps {
		state := "to do"
		if i <= m.done {
			state = "done"
		}
		fmt.Fprintf(m.o.Out, "  %d %-8s %-5s  %s\n", i+1, s.Name, state, s.Does)
	}
	for _, n := range m.all() {
		if n.parent != nil && n.composite != nil {
			fmt.Fprintf(m.o.Out, "    %s %s -> %s\n", n.o.Kind.Composite, n.composite.GetName(), n.o.targetSubject())
		}
		for _, mr := range n.mrs {
			ext := "external name " + mr.external
			if mr.external == "" {
				ext = "named by its parameters"
			}
			fmt.Fprintf(m.o.Out, "    %s %s (%s) -> %s %s/%s\n", mr.obj.GetKind(), mr.obj.GetName(), ext,
				strings.Split(mr.targetAPIVersion, "/")[0], n.o.Namespace, mr.targetName)
		}
	}
	for _, a := range m.apps {
		fmt.Fprintf(m.o.Out, "    Application %s/%s -> %s/%s (without %s: its deletion leaves what it deployed)\n",
			a.legacyNamespace, a.name, m.o.Namespace, a.name, resourcesFinalizer)
	}
}

// record writes the last step done on the claim and the new composite.
func (m *migration) record(ctx context.Context, step string) error {
	for _, u := range []*unstructured.Unstructured{m.claim, m.target} {
		if u == nil {
			continue
		}
		if err := annotate(ctx, m.o.Client, u, map[string]any{AnnotationStep: step}); err != nil && !kerrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

func (m *migration) run(ctx context.Context, step string) error {
	switch step {
	case StepPause:
		return m.pause(ctx)
	case StepOrphan:
		return m.orphan(ctx)
	case StepCreate:
		return m.create(ctx)
	case StepAdopt:
		return m.adopt(ctx)
	case StepSecret:
		return m.secret(ctx)
	case StepCompose:
		return m.compose(ctx)
	case StepManage:
		return m.manage(ctx)
	case StepRemove:
		return m.remove(ctx)
	}
	return fmt.Errorf("no step %q", step)
}

// pause pauses claim and composite and records where the composite moves.
func (m *migration) pause(ctx context.Context) error {
	if err := annotate(ctx, m.o.Client, m.claim, map[string]any{annotationPaused: "true"}); err != nil {
		return err
	}
	for _, n := range m.all() {
		if err := annotate(ctx, m.o.Client, n.composite, map[string]any{annotationPaused: "true", AnnotationTo: n.o.targetSubject()}); err != nil {
			return err
		}
	}
	return nil
}

// orphanPolicies are the legacy managed resources' policies from step
// orphan on: observe only. Under them the managed reconciler neither
// creates, updates, late-initialises nor deletes (crossplane-runtime
// v2.4.0 pkg/reconciler/managed/policies.go: ShouldCreate, ShouldUpdate,
// ShouldLateInitialize need those actions), and a legacy managed
// resource's deletion orphans its cloud object: LegacyManagementPoliciesResolver.ShouldDelete
// deletes only when deletionPolicy is Delete and the policies hold Delete
// or "*", or when non-default policies hold Delete. deletionPolicy Orphan
// too, for a provider running with management policies turned off
// (ShouldDelete then reads deletionPolicy alone).
var orphanPolicies = []any{"Observe"}

func (m *migration) orphan(ctx context.Context) error {
	for _, n := range m.all() {
		for _, mr := range n.mrs {
			p := map[string]any{"spec": map[string]any{"deletionPolicy": "Orphan", "managementPolicies": orphanPolicies}}
			if err := patch(ctx, m.o.Client, mr.obj, p); err != nil {
				return err
			}
		}
	}
	return m.releaseApps(ctx)
}

// orphaned reports whether a legacy managed resource can no longer
// delete or change its cloud object.
func orphaned(u *unstructured.Unstructured) bool {
	dp, _, _ := unstructured.NestedString(u.Object, "spec", "deletionPolicy")
	return dp == "Orphan" && reflect.DeepEqual(policiesOf(u), orphanPolicies)
}

func policiesOf(u *unstructured.Unstructured) []any {
	mp, _, _ := unstructured.NestedSlice(u.Object, "spec", "managementPolicies")
	return mp
}

// claimOnlyFields are a claim's spec fields the namespaced composite has
// not, or has under spec.crossplane, which only Crossplane and the
// platform's XRD choose (apis/admission).
var claimOnlyFields = []string{"resourceRef", "compositionRef", "compositionSelector", "compositionRevisionRef",
	"compositionRevisionSelector", "compositionUpdatePolicy", "compositeDeletePolicy", "publishConnectionDetailsTo", "writeConnectionSecretToRef"}

func (m *migration) create(ctx context.Context) error {
	if err := m.createRoot(ctx); err != nil {
		return err
	}
	for _, n := range m.all()[1:] {
		if err := n.createNested(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (m *migration) createRoot(ctx context.Context) error {
	if m.target != nil {
		return nil
	}
	spec, _, _ := unstructured.NestedMap(m.claim.Object, "spec")
	spec = maps.Clone(spec)
	for _, f := range claimOnlyFields {
		delete(spec, f)
	}
	// The team's apps read the claim's Secret: the composite writes the
	// same one (handed over in step secret).
	if n, _, _ := unstructured.NestedString(m.claim.Object, "spec", "writeConnectionSecretToRef", "name"); n != "" {
		spec["writeConnectionSecretToRef"] = map[string]any{"name": n}
	}
	t := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	t.SetGroupVersionKind(m.o.targetGVK())
	t.SetNamespace(m.o.Namespace)
	t.SetName(m.o.Name)
	t.SetLabels(m.claim.GetLabels())
	// Paused from its creation: Crossplane composes nothing for it until
	// its managed resources exist (step compose).
	t.SetAnnotations(map[string]string{
		annotationPaused:        "true",
		annotationAdoptOnly:     "true",
		AnnotationFrom:          m.from(),
		AnnotationFromComposite: m.composite.GetName(),
		AnnotationStep:          StepPause,
	})
	if err := m.o.Client.Create(ctx, t, client.FieldOwner(FieldManager)); err != nil {
		return fmt.Errorf("cannot create %s: %w", m.o.targetSubject(), err)
	}
	m.target = t
	return nil
}

// namespacedParameters is a legacy managed resource's spec.forProvider as
// its namespaced kind takes it, without resolved references (the
// namespaced selectors resolve them among the new composite's resources).
func namespacedParameters(mr legacyMR) (map[string]any, error) {
	fp, _, _ := unstructured.NestedMap(mr.obj.Object, "spec", "forProvider")
	for k := range fp {
		if (strings.HasSuffix(k, "Ref") || strings.HasSuffix(k, "Refs")) && !strings.HasSuffix(k, "SecretRef") {
			delete(fp, k)
		}
	}
	if group, _, _ := strings.Cut(mr.obj.GetAPIVersion(), "/"); pavedManaged(group) {
		// provider-paved's namespaced kinds take the cluster-scoped
		// kinds' parameters as they are (provider/apis/namespaced: their
		// types embed the same parameter structs).
		return fp, nil
	}
	return dialect.Parameters(mr.obj.GetAPIVersion(), mr.obj.GetKind(), fp)
}

func (m *migration) adopt(ctx context.Context) error {
	for _, n := range m.all() {
		if err := n.adoptManaged(ctx); err != nil {
			return err
		}
	}
	return m.moveApps(ctx)
}

func (m *migration) adoptManaged(ctx context.Context) error {
	o := m.o
	controller := true
	owner := metav1.OwnerReference{APIVersion: m.target.GetAPIVersion(), Kind: m.target.GetKind(), Name: m.target.GetName(),
		UID: m.target.GetUID(), Controller: &controller, BlockOwnerDeletion: &controller}
	for _, mr := range m.mrs {
		fp, err := namespacedParameters(mr)
		if err != nil {
			return fmt.Errorf("%s %s: %w", mr.obj.GetKind(), mr.obj.GetName(), err)
		}
		if mr.obj.GetKind() == "Instance" {
			if err := m.copyPassword(ctx, mr); err != nil {
				return err
			}
		}
		u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{
			// Observe only until step manage: what the composite
			// composes over it is verified first (step compose).
			"managementPolicies": orphanPolicies,
			"forProvider":        fp,
			// The legacy ProviderConfig's name as a ClusterProviderConfig:
			// provider-aws v2's namespaced managed resources name their
			// provider config with its kind (crossplane/apis v2.4.0
			// core/v2/resource_namespace.go, ProviderConfigReference).
			"providerConfigRef": map[string]any{"kind": "ClusterProviderConfig", "name": providerConfigName(mr.obj)},
		}}}
		u.SetAPIVersion(mr.targetAPIVersion)
		u.SetKind(mr.obj.GetKind())
		u.SetNamespace(o.Namespace)
		u.SetName(mr.targetName)
		u.SetAnnotations(providerAnnotations(mr.obj, map[string]string{
			annotationExternalName: mr.external,
			annotationResourceName: mr.pipeline,
			AnnotationFrom:         mr.obj.GetKind() + " " + mr.obj.GetName(),
		}))
		u.SetLabels(map[string]string{labelName: mr.pipeline})
		u.SetOwnerReferences([]metav1.OwnerReference{owner})
		existing, err := get(ctx, o.Client, u.GroupVersionKind(), o.Namespace, u.GetName())
		if err != nil {
			return err
		}
		if existing != nil {
			if !controlledBy(existing, m.target.GetUID()) || existing.GetAnnotations()[annotationExternalName] != mr.external {
				return refuse("%s %s/%s exists and is not the one migrate made", existing.GetKind(), o.Namespace, existing.GetName())
			}
			continue
		}
		if err := o.Client.Create(ctx, u, client.FieldOwner(FieldManager)); err != nil {
			return fmt.Errorf("cannot create %s %s/%s: %w", u.GetKind(), o.Namespace, u.GetName(), err)
		}
	}
	return nil
}

func providerConfigName(u *unstructured.Unstructured) string {
	if n, _, _ := unstructured.NestedString(u.Object, "spec", "providerConfigRef", "name"); n != "" {
		return n
	}
	return "default"
}

// copyPassword copies the legacy instance's master password Secret into
// the composite's namespace under the same name: a namespaced managed
// resource reads Secrets of its own namespace only, and provider-aws
// generates a new password, and sets it on the database, when the Secret
// it names holds none (provider-aws v1.23.0 config/common.PasswordGenerator
// keeps the password of an existing Secret). The team could read the
// password already: it is in the claim's connection Secret.
func (m *migration) copyPassword(ctx context.Context, mr legacyMR) error {
	ref, _, _ := unstructured.NestedStringMap(mr.obj.Object, "spec", "forProvider", "passwordSecretRef")
	if ref["name"] == "" || ref["namespace"] == "" {
		return nil
	}
	c := m.o.Client
	from := &corev1.Secret{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: ref["namespace"], Name: ref["name"]}, from); err != nil {
		return fmt.Errorf("cannot read the master password Secret %s/%s of %s: %w", ref["namespace"], ref["name"], mr.obj.GetName(), err)
	}
	to := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: m.o.Namespace, Name: ref["name"],
		Annotations: map[string]string{AnnotationFrom: ref["namespace"] + "/" + ref["name"]}},
		Type: from.Type, Data: from.Data}
	if err := c.Create(ctx, to, client.FieldOwner(FieldManager)); err != nil && !kerrors.IsAlreadyExists(err) {
		return fmt.Errorf("cannot copy the master password Secret to %s/%s: %w", m.o.Namespace, ref["name"], err)
	}
	return nil
}

// secret hands the claim's connection Secret over. Crossplane would
// otherwise keep writing it for the claim (crossplane v2.4.0
// claim/connection.go: the claim's Secret must be controllable by the
// claim), and neither the composite's function nor a provider writes a
// Secret another object controls: the function refuses one it does not
// control (fn/internal/compose, Conflicts), a provider one not
// controllable by its managed resource (crossplane-runtime v2.4.0
// pkg/resource/api.go, ConnectionSecretMustBeControllableBy). A bucket's
// Secret is composed by the composite: it becomes the composite's. A
// database's is written by its Instance: it is left without a controller,
// which the provider then takes.
func (m *migration) secret(ctx context.Context) error {
	if err := m.claimSecret(ctx); err != nil {
		return err
	}
	for _, n := range m.all()[1:] {
		if err := n.releaseSecrets(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (m *migration) claimSecret(ctx context.Context) error {
	name, _, _ := unstructured.NestedString(m.claim.Object, "spec", "writeConnectionSecretToRef", "name")
	if name == "" {
		return nil
	}
	s := &corev1.Secret{}
	if err := m.o.Client.Get(ctx, types.NamespacedName{Namespace: m.o.Namespace, Name: name}, s); err != nil {
		if kerrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("cannot read the claim's connection Secret: %w", err)
	}
	var owners []metav1.OwnerReference
	if m.o.Kind.Target == "Bucket" {
		controller := true
		owners = []metav1.OwnerReference{{APIVersion: m.target.GetAPIVersion(), Kind: m.target.GetKind(), Name: m.target.GetName(),
			UID: m.target.GetUID(), Controller: &controller, BlockOwnerDeletion: &controller}}
	}
	s.OwnerReferences = owners
	if err := m.o.Client.Update(ctx, s); err != nil {
		return fmt.Errorf("cannot hand over the connection Secret %s/%s: %w", m.o.Namespace, name, err)
	}
	return nil
}

// compose unpauses the composite, waits until Crossplane has composed
// the adopted managed resources (listed them in spec.crossplane.resourceRefs
// and applied the function's desired state over them) and verifies them.
func (m *migration) compose(ctx context.Context) error {
	o := m.o
	if err := annotate(ctx, o.Client, m.target, map[string]any{annotationPaused: nil}); err != nil {
		return err
	}
	var why string
	err := m.wait(ctx, "the composite to compose its adopted resources", func(ctx context.Context) (bool, error) {
		t, err := get(ctx, o.Client, o.targetGVK(), o.Namespace, o.Name)
		if err != nil || t == nil {
			return false, err
		}
		listed := map[string]bool{}
		refs, _, _ := unstructured.NestedSlice(t.Object, "spec", "crossplane", "resourceRefs")
		for _, r := range refs {
			ref, _ := r.(map[string]any)
			apiVersion, _ := ref["apiVersion"].(string)
			kind, _ := ref["kind"].(string)
			name, _ := ref["name"].(string)
			listed[apiVersion+" "+kind+" "+name] = true
		}
		why = fmt.Sprintf("lists %d resources; conditions %s", len(refs), conditions(t))
		if msg := refusedBy(t); msg != "" {
			_ = annotate(ctx, o.Client, t, map[string]any{annotationPaused: "true"})
			return false, refuse("the function refused %s (the composite is paused again; nothing was changed): %s", o.targetSubject(), msg)
		}
		for _, c := range m.composed() {
			key := c.apiVersion + " " + c.kind + " " + c.name
			if !listed[key] {
				return false, nil
			}
			delete(listed, key)
			u, err := get(ctx, o.Client, gvk(c.apiVersion, c.kind), o.Namespace, c.name)
			if err != nil || u == nil {
				return false, err
			}
			// Crossplane labels what it applied with its composite, a
			// nested composite's with the top composite's label
			// (crossplane v2.4.0 composite/composition_functions.go,
			// RenderComposedResourceMetadata).
			if u.GetLabels()["crossplane.io/composite"] != m.root().o.Name {
				return false, nil
			}
		}
		for key := range listed {
			if wouldCreate(key) {
				_ = annotate(ctx, o.Client, t, map[string]any{annotationPaused: "true"})
				return false, refuse("%s composed %s, which the claim's composite did not: it would be created; the composite is paused again", o.targetSubject(), key)
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("%w (%s)", err, why)
	}
	// The nested composites compose once theirs lists them: each moves
	// the way its claim would.
	for _, n := range m.nested {
		if err := n.compose(ctx); err != nil {
			return fmt.Errorf("%s: %w", n.o.targetSubject(), err)
		}
	}
	if err := m.verify(ctx); err != nil {
		return err
	}
	return m.verifyApps(ctx)
}

// A composedRef is an object the namespaced composite must list once it
// composed what migrate made for it.
type composedRef struct{ apiVersion, kind, name string }

// composed is what m's namespaced composite must list: the managed
// resources, nested composites and Applications migrate made for it.
func (m *migration) composed() []composedRef {
	var out []composedRef
	for _, mr := range m.mrs {
		out = append(out, composedRef{mr.targetAPIVersion, mr.obj.GetKind(), mr.targetName})
	}
	for _, n := range m.nested {
		out = append(out, composedRef{n.o.targetGVK().GroupVersion().String(), n.o.Kind.Target, n.o.Name})
	}
	for _, a := range m.apps {
		out = append(out, composedRef{applicationAPIVersion, applicationKind, a.name})
	}
	return out
}

// wouldCreate reports whether a composed object ("apiVersion kind name")
// that migrate did not make stands for something new outside the
// cluster: a namespaced managed resource (a cloud, GitHub or Backstage
// object), a composite composing those, or an Application (what Argo CD
// deploys).
func wouldCreate(key string) bool {
	apiVersion, rest, _ := strings.Cut(key, " ")
	kind, _, _ := strings.Cut(rest, " ")
	group, _, _ := strings.Cut(apiVersion, "/")
	switch {
	case strings.HasSuffix(group, ".aws.m.upbound.io"), group == "github.m.paved.dev", group == "backstage.m.paved.dev":
		return true
	case apiVersion == applicationAPIVersion && kind == applicationKind:
		return true
	case group == "paved.dev":
		return true
	}
	return false
}

// identifying are, per kind, the parameters whose change makes the
// provider replace the cloud object (Terraform AWS provider, ForceNew in
// the resource schemas: https://registry.terraform.io/providers/hashicorp/aws/latest/docs,
// aws_db_instance identifier, engine, kms_key_id, storage_encrypted;
// aws_security_group name, description, vpc_id; aws_security_group_rule
// every argument but description; aws_db_parameter_group family,
// description; aws_db_subnet_group and aws_s3_bucket* are named by their
// external name), and the region every one of them lives in.
var identifying = map[string][]string{
	"Instance":          {"identifier", "engine", "kmsKeyId", "storageEncrypted"},
	"SecurityGroup":     {"name", "description", "vpcId"},
	"SecurityGroupRule": {"type", "protocol", "fromPort", "toPort", "cidrBlocks", "ipv6CidrBlocks", "securityGroupId"},
	"ParameterGroup":    {"family", "description"},
	"SubnetGroup":       {},
	"Bucket":            {"bucket"},
	"BucketVersioning":  {"bucket"},
	"BucketServerSideEncryptionConfiguration": {"bucket"},
	"BucketPublicAccessBlock":                 {"bucket"},
	"BucketOwnershipControls":                 {"bucket"},
	"BucketPolicy":                            {"bucket"},
	"BucketLifecycleConfiguration":            {"bucket"},
	// provider-paved's kinds (provider/apis): a repository is its owner's
	// and is identified by GitHub's id (the annotation verify compares);
	// a file, branch or team's access is its repository's; a catalog
	// location is its type and target in the catalog.
	"Repository":      {"owner"},
	"RepositoryFile":  {"repository", "path", "branch"},
	"Branch":          {"repository", "branch"},
	"TeamRepository":  {"repository", "team"},
	"CatalogLocation": {"type", "target"},
}

// verify compares each namespaced managed resource, as Crossplane applied
// the function's desired state to it, with its legacy one: the same
// external name, and the same identifying parameters where both have
// them. On any difference the composite is paused again and the
// migration refused: the managed resources are still observe-only, so
// nothing was changed.
func (m *migration) verify(ctx context.Context) error {
	o := m.o
	var diffs []string
	for _, mr := range m.mrs {
		u, err := get(ctx, o.Client, gvk(mr.targetAPIVersion, mr.obj.GetKind()), o.Namespace, mr.targetName)
		if err != nil {
			return err
		}
		if u == nil {
			return refuse("%s %s/%s is gone", mr.obj.GetKind(), o.Namespace, mr.targetName)
		}
		if ext := u.GetAnnotations()[annotationExternalName]; ext != mr.external {
			diffs = append(diffs, fmt.Sprintf("%s %s: external name %q, the legacy %s has %q", u.GetKind(), u.GetName(), ext, mr.obj.GetName(), mr.external))
		}
		for _, k := range identityAnnotations {
			if want := mr.obj.GetAnnotations()[k]; want != "" && u.GetAnnotations()[k] != want {
				diffs = append(diffs, fmt.Sprintf("%s %s: %s %q, the legacy %s has %q", u.GetKind(), u.GetName(), k, u.GetAnnotations()[k], mr.obj.GetName(), want))
			}
		}
		legacy, err := namespacedParameters(mr)
		if err != nil {
			return err
		}
		fields, ok := identifying[mr.obj.GetKind()]
		if !ok {
			return refuse("migrate does not know what identifies a %s", mr.obj.GetKind())
		}
		for _, f := range append([]string{"region"}, fields...) {
			want, wok := legacy[f]
			got, gok, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "forProvider", f)
			if wok && gok && !reflect.DeepEqual(normalise(want), normalise(got)) {
				diffs = append(diffs, fmt.Sprintf("%s %s: %s %v, the legacy %s has %v", u.GetKind(), u.GetName(), f, got, mr.obj.GetName(), want))
			}
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	if err := annotate(ctx, o.Client, m.target, map[string]any{annotationPaused: "true"}); err != nil {
		return err
	}
	return refuse("%s would replace cloud objects (its managed resources are observe-only and the composite is paused again; nothing was changed): %s",
		o.targetSubject(), strings.Join(diffs, "; "))
}

// normalise makes numbers compare alike (JSON numbers decode as int64 or
// float64) and lists compare as sets.
func normalise(v any) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(normalise(e)))
		}
		slices.Sort(out)
		return out
	}
	return v
}

// manage lets the namespaced managed resources manage their cloud
// objects, the way the function composes them (it sets no management
// policies for Database and Bucket: the default, all), and waits for the
// composite to be Ready.
func (m *migration) manage(ctx context.Context) error {
	o := m.o
	for _, n := range m.nested {
		if err := n.manage(ctx); err != nil {
			return fmt.Errorf("%s: %w", n.o.targetSubject(), err)
		}
	}
	for _, mr := range m.mrs {
		u, err := get(ctx, o.Client, gvk(mr.targetAPIVersion, mr.obj.GetKind()), o.Namespace, mr.targetName)
		if err != nil {
			return err
		}
		if u == nil {
			return refuse("%s %s/%s is gone", mr.obj.GetKind(), o.Namespace, mr.targetName)
		}
		// Policies the function composes (a bundle's catalog file and
		// release branch are orphaned on deletion), which Crossplane
		// applied over migrate's, stay.
		if !reflect.DeepEqual(policiesOf(u), orphanPolicies) {
			continue
		}
		if err := patch(ctx, o.Client, u, map[string]any{"spec": map[string]any{"managementPolicies": []any{"*"}}}); err != nil {
			return err
		}
	}
	if err := annotate(ctx, o.Client, m.target, map[string]any{annotationAdoptOnly: nil}); err != nil {
		return err
	}
	return m.wait(ctx, o.targetSubject()+" to be Ready", func(ctx context.Context) (bool, error) {
		t, err := get(ctx, o.Client, o.targetGVK(), o.Namespace, o.Name)
		if err != nil || t == nil {
			return false, err
		}
		return condition(t, "Ready") == "True", nil
	})
}

// remove deletes the claim and the legacy composite. Both are paused, so
// they are deleted first and unpaused after: a composite being deleted
// only has its finalizer removed, its pipeline never runs again (crossplane
// v2.4.0 composite/reconciler.go), so nothing composes the legacy managed
// resources anew; the garbage collector then deletes them, and, being
// orphaned, their provider lets them go without touching the cloud.
// Crossplane's Usage webhook denies deleting a used one until its user is
// gone; the composed Usages then release it (replayDeletion).
func (m *migration) remove(ctx context.Context) error {
	o := m.o
	all := m.all()
	for _, n := range all {
		for _, mr := range n.mrs {
			u, err := get(ctx, o.Client, mr.obj.GroupVersionKind(), "", mr.obj.GetName())
			if err != nil {
				return err
			}
			if u != nil && !orphaned(u) {
				return refuse("%s %s is no longer orphaned (deletionPolicy Orphan, managementPolicies [Observe]): deleting it could delete its cloud object", u.GetKind(), u.GetName())
			}
		}
	}
	if err := m.appsReleased(ctx); err != nil {
		return err
	}
	// Nested composites first, then the claim's: each is deleted while
	// paused and unpaused after (see above).
	var del []*unstructured.Unstructured
	for _, n := range slices.Backward(all) {
		del = append(del, n.composite)
	}
	for _, u := range append(del, m.claim) {
		if u == nil {
			continue
		}
		if err := o.Client.Delete(ctx, u); err != nil && !kerrors.IsNotFound(err) {
			return fmt.Errorf("cannot delete %s %s: %w", u.GetKind(), u.GetName(), err)
		}
		if err := annotate(ctx, o.Client, u, map[string]any{annotationPaused: nil}); err != nil && !kerrors.IsNotFound(err) {
			return err
		}
	}
	return m.wait(ctx, "the claim, its composite and its managed resources to be gone", func(ctx context.Context) (bool, error) {
		if u, err := get(ctx, o.Client, o.claimGVK(), o.Namespace, o.Name); err != nil || u != nil {
			return false, err
		}
		for _, n := range all {
			if n.composite != nil {
				if u, err := get(ctx, o.Client, n.o.compositeGVK(), "", n.composite.GetName()); err != nil || u != nil {
					return false, err
				}
			}
			for _, mr := range n.mrs {
				if u, err := get(ctx, o.Client, mr.obj.GroupVersionKind(), "", mr.obj.GetName()); err != nil || u != nil {
					return false, err
				}
			}
		}
		for _, a := range m.apps {
			if u, err := get(ctx, o.Client, gvk(applicationAPIVersion, applicationKind), a.legacyNamespace, a.name); err != nil || u != nil {
				return false, err
			}
		}
		return true, nil
	})
}

// wait polls done until it reports true, an error, or the timeout.
func (m *migration) wait(ctx context.Context, what string, done func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, m.o.Timeout)
	defer cancel()
	for {
		ok, err := done(ctx)
		if err != nil {
			var r *Refusal
			if errors.As(err, &r) || ctx.Err() != nil {
				return err
			}
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up waiting for %s after %s", what, m.o.Timeout)
		case <-time.After(m.o.Poll):
		}
	}
}

func gvk(apiVersion, kind string) schema.GroupVersionKind {
	gv, _ := schema.ParseGroupVersion(apiVersion)
	return gv.WithKind(kind)
}

func controlledBy(u *unstructured.Unstructured, uid types.UID) bool {
	c := metav1.GetControllerOf(u)
	return c != nil && c.UID == uid
}

// condition returns a condition's status.
func condition(u *unstructured.Unstructured, typ string) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			s, _ := m["status"].(string)
			return s
		}
	}
	return ""
}

func conditions(u *unstructured.Unstructured) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	var b strings.Builder
	for _, c := range conds {
		m, _ := c.(map[string]any)
		fmt.Fprintf(&b, "[%v=%v %v: %v]", m["type"], m["status"], m["reason"], m["message"])
	}
	return b.String()
}

// annotate sets (a nil value removes) annotations with a merge patch.
func annotate(ctx context.Context, c client.Client, u *unstructured.Unstructured, a map[string]any) error {
	return patch(ctx, c, u, map[string]any{"metadata": map[string]any{"annotations": a}})
}

// patch applies a JSON merge patch (RFC 7386) to u and updates u.
func patch(ctx context.Context, c client.Client, u *unstructured.Unstructured, p map[string]any) error {
	if err := c.Patch(ctx, u, client.RawPatch(types.MergePatchType, mustJSON(p)), client.FieldOwner(FieldManager)); err != nil {
		return fmt.Errorf("cannot update %s %s: %w", u.GetKind(), strings.TrimPrefix(u.GetNamespace()+"/"+u.GetName(), "/"), err)
	}
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of strings, lists and nil always marshal
	}
	return b
}

// refusedReasons are the reasons of the function's condition when it
// composes nothing (fn/fn.go, refuse).
var refusedReasons = []string{"Conflict", "InvalidClaim", "InvalidEnvironment", "ChangeRefused", "InternalError", "Unbound"}

// refusedBy returns the message of a condition of u whose reason says the
// function refused to compose it, "" if none does.
func refusedBy(u *unstructured.Unstructured) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if r, _ := m["reason"].(string); m["status"] == "False" && slices.Contains(refusedReasons, r) {
			return fmt.Sprint(m["message"])
		}
	}
	return ""
}
