// Package compose holds the mechanics every paved composer shares: reading
// the observed composite, naming and labelling composed resources, deciding
// their readiness and sync from what was observed, pinning the placement of
// what exists (pin.go), and writing status, conditions and connection
// details back. A composer only says what to compose.
package compose

import (
	"fmt"
	"maps"
	"math"
	"sync"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/awsrules"
	"github.com/paved-dev/paved/fn/internal/field"
	"github.com/paved-dev/paved/fn/internal/naming"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// Label keys set on every composed resource.
const (
	LabelName           = "app.kubernetes.io/name"
	LabelInstance       = "app.kubernetes.io/instance"
	LabelComponent      = "app.kubernetes.io/component"
	LabelPartOf         = "app.kubernetes.io/part-of"
	LabelManagedBy      = "app.kubernetes.io/managed-by"
	LabelClaimName      = "paved.dev/claim-name"
	LabelClaimNamespace = "paved.dev/claim-namespace"

	ManagedBy = "paved"
)

// Composite is the observed composite resource a composer works from.
type Composite struct {
	Object     *structpb.Struct
	APIVersion string
	Kind       string
	Name       string
	// UID is the composite's metadata.uid, assigned by the API server.
	UID string
	// Created is its metadata.creationTimestamp, also the API server's;
	// zero when the request has none (an XR file given to `crossplane
	// render`). See CreationWindow.
	Created time.Time
	// Namespace is the metadata.namespace of a namespaced composite
	// (Crossplane v2, apiextensions.crossplane.io/v2 scope Namespaced), ""
	// for a legacy cluster-scoped one. It decides the dialect of what is
	// composed (see Namespaced and dialect.go).
	Namespace string

	// ClaimAPIVersion, ClaimKind, ClaimName and ClaimNamespace identify
	// the claim, if any.
	ClaimAPIVersion string
	ClaimKind       string
	ClaimName       string
	ClaimNamespace  string
	// Bound reports that a legacy composite has a spec.claimRef, so that
	// Crossplane binds no claim but the one it names (see Bindable).
	Bound bool
	// Nested describes the composite's controller when another composite
	// composed it (a bundle's XDatabase and XBucket, or a namespaced
	// bundle's Database and Bucket: Crossplane sets the controller
	// reference of what it composes), "" for a composite of its own (a
	// claim's composite, or one a team applied, has no controller
	// reference).
	Nested string
	// AdoptOnly reports that a namespaced composite carries
	// AnnotationAdoptOnly: it may compose only managed resources that
	// exist (see Set.WouldCreateManaged).
	AdoptOnly bool

	// names and namesUID remember Names (a digest of the uid) for the
	// Name and UID they were made from.
	names    naming.Names
	namesUID string
	// parsed is what the composer's parse made of the composite (Parsed).
	parsed any
}

// Parsed is parse(c), made once per composite: a composer reads its claim
// in Check, Compose and Status on every request. Only the composer of c's
// kind parses it, with one parse function; what it returns is shared by
// the three and must not be modified.
func Parsed[T any](c *Composite, parse func(*Composite) (T, error)) (T, error) {
	if p, ok := c.parsed.(parsedClaim[T]); ok {
		return p.v, p.err
	}
	v, err := parse(c)
	c.parsed = parsedClaim[T]{v, err}
	return v, err
}

type parsedClaim[T any] struct {
	v   T
	err error
}

// Names returns the names of the composite's composed resources.
func (c *Composite) Names() naming.Names {
	if c.names.ID == "" || c.names.Composite != c.Name || c.namesUID != c.UID {
		c.names, c.namesUID = naming.Names{Composite: c.Name, ID: naming.ID(c.UID)}, c.UID
	}
	return c.names
}

// Spec returns the composite's spec (never nil).
func (c *Composite) Spec() *structpb.Struct {
	if s := pb.Struct(c.Object, "spec"); s != nil {
		return s
	}
	return &structpb.Struct{}
}

// value is the observed composite's string value at field, which is v:
// the request's own value, shared rather than copied (a request's values,
// like a response's, are never modified), or a new one when the composite
// was made without an object.
func (c *Composite) value(field, v string) *structpb.Value {
	if o := pb.Get(c.Object, field); o.GetStringValue() == v && v != "" {
		return o
	}
	return pb.Str(v)
}

// Namespaced reports whether the composite is a namespaced one (Crossplane
// v2): what it composes lives in its namespace, as provider-aws's
// namespaced kinds (see dialect.go).
func (c *Composite) Namespaced() bool { return c.Namespace != "" }

// Subject names what the user created: the claim if there is one, the
// composite otherwise, e.g. "DatabaseClaim orders/orders-db" or, for a
// namespaced composite, "Database team-orders/orders-db".
func (c *Composite) Subject() string {
	if c.ClaimName == "" {
		return c.Kind + " " + c.Owner()
	}
	kind := c.ClaimKind
	if kind == "" {
		kind = "claim"
	}
	return kind + " " + c.ClaimNamespace + "/" + c.ClaimName
}

// Owner is who a composed resource belongs to: the claim if there is one,
// the composite otherwise (namespace/name for a namespaced one).
func (c *Composite) Owner() string {
	switch {
	case c.ClaimName != "":
		return c.ClaimNamespace + "/" + c.ClaimName
	case c.Namespaced():
		return c.Namespace + "/" + c.Name
	}
	return c.Name
}

// Bindable reports whether any claim could bind the composite: a legacy
// composite without spec.claimRef. Crossplane binds a claim to a composite
// it names in spec.resourceRef unless the composite's spec.claimRef names
// another claim: "we only check the claim ref if the XR has one - this
// allows us to bind unbound claims" (crossplane v2.4.0
// internal/controller/apiextensions/claim/reconciler.go, Reconcile); it then
// applies the claim's spec onto the composite (claim/syncer_ssa.go), copies
// the composite's connection secret into the claim's namespace
// (claim/connection.go) and deletes the composite with the claim. A claim's
// composite always has one (Crossplane sets it as it creates the
// composite); a composite made without a claim must carry one too
// (PlatformClaimRef), or function-paved composes nothing for it, so that
// nothing it would compose, its connection secret above all, can be taken
// by a claim. Namespaced composites have no claims.
func (c *Composite) Bindable() bool { return !c.Namespaced() && !c.Bound }

// PlatformClaimRef is the spec.claimRef of a composite made without a
// claim: the composite itself, with namespace "". Claims are namespaced, so
// a claim's reference never equals it and Crossplane binds no claim to the
// composite; its claim is none (ObservedComposite). The nested composites
// of a ServiceBundle made without a claim name that bundle the same way
// (fn/servicebundle/nested.go, owner).
func PlatformClaimRef(apiVersion, kind, name string) string {
	return fmt.Sprintf(`{"apiVersion": %q, "kind": %q, "name": %q, "namespace": ""}`, apiVersion, kind, name)
}

// ObservedComposite reads the composite from the request.
func ObservedComposite(req *fnv1.RunFunctionRequest) (*Composite, error) {
	o := req.GetObserved().GetComposite().GetResource()
	c := &Composite{Object: o}
	c.APIVersion, _ = pb.String(o, "apiVersion")
	c.Kind, _ = pb.String(o, "kind")
	c.Name, _ = pb.String(o, "metadata", "name")
	if c.APIVersion == "" || c.Kind == "" || c.Name == "" {
		return nil, fmt.Errorf("observed composite resource has no apiVersion, kind or metadata.name")
	}
	// Cloud names carry a digest of the uid so that nobody can choose them
	// (see package naming). Without it they would be guessable: refuse.
	// Crossplane always sends it; an XR file given to `crossplane render`
	// must set one.
	c.UID, _ = pb.String(o, "metadata", "uid")
	if c.UID == "" {
		return nil, fmt.Errorf("observed composite resource %s %s has no metadata.uid: paved derives the names of cloud resources from it, so that nobody can choose them", c.Kind, c.Name)
	}
	if ts, _ := pb.String(o, "metadata", "creationTimestamp"); ts != "" {
		// RFC 3339 in whole seconds (metav1.Time); one that does not
		// parse stays zero: never settling.
		c.Created, _ = time.Parse(time.RFC3339, ts)
	}
	// A namespaced composite is what its author created: it has no claim,
	// and what its spec or labels say of one is the author's word, never
	// read (a claim label would put another namespace's claim on what it
	// composes).
	c.Namespace, _ = pb.String(o, "metadata", "namespace")
	c.Nested, _ = Controller(o)
	if c.Namespaced() {
		v, _ := pb.String(o, "metadata", "annotations", AnnotationAdoptOnly)
		c.AdoptOnly = v == "true"
		return c, nil
	}
	// Legacy composites record their claim in spec.claimRef; Crossplane also
	// labels them with the claim's name and namespace. A claimRef without a
	// namespace names no claim (claims are namespaced): the platform made
	// the composite and bound it to itself (PlatformClaimRef).
	c.Bound = pb.Struct(o, "spec", "claimRef") != nil
	if ns, _ := pb.String(o, "spec", "claimRef", "namespace"); c.Bound && ns == "" {
		return c, nil
	}
	c.ClaimAPIVersion, _ = pb.String(o, "spec", "claimRef", "apiVersion")
	c.ClaimKind, _ = pb.String(o, "spec", "claimRef", "kind")
	c.ClaimName, _ = pb.String(o, "spec", "claimRef", "name")
	c.ClaimNamespace, _ = pb.String(o, "spec", "claimRef", "namespace")
	if c.ClaimName == "" {
		c.ClaimName, _ = pb.String(o, "metadata", "labels", "crossplane.io/claim-name")
		c.ClaimNamespace, _ = pb.String(o, "metadata", "labels", "crossplane.io/claim-namespace")
	}
	return c, nil
}

// Objects are the composed resources a composer desires for one composite,
// by name in the order it added them.
type Objects struct {
	names       []string
	objs        []*structpb.Struct
	ready       []Readiness
	protections []protection
	nested      []string // names of composites whose DeletionProtected is repeated (ReportNested)
	// inStages: DeletionProtected names the protections once all are in
	// force (ProtectInStages).
	inStages bool
	dialect  []string // what a namespaced composite cannot compose (CheckDialect)
}

// Set is the desired composed resources of one composite: what a composer
// builds (Add, AddObject, Keep and the rest of this file, dialect.go,
// object.go, pin.go, protect.go, required.go) from what Crossplane observed
// (ObservedState, observed.go), and what the composite's conditions and
// status say of them (Report, and the Set's reporting: report.go).
type Set struct {
	ObservedState
	Report
	xr        *Composite
	component string
	objects   Objects
	desired   map[string]*fnv1.Resource
	// shared are the labels every composed resource has but its name
	// (labels), made once: the objects share the values.
	shared pb.Fields
	// tags are Tags(), made once and shared by every composed resource
	// that carries them.
	tags *structpb.Value
	// For a namespaced composite (dialect.go): its namespace, the
	// providerConfigRef of its managed resources and the name of the
	// Secret its connection details are composed as ("" for none), made
	// once.
	namespace        *structpb.Value
	providerConfig   *structpb.Value
	connectionSecret string
	// pavedConfigKind is the kind of the provider configs of its
	// provider-paved managed resources (pavedProviderConfigRef).
	pavedConfigKind string
}

// NewSet starts the desired resources of xr for the composer of component
// (e.g. "database"), reading readiness from what req observed.
func NewSet(req *fnv1.RunFunctionRequest, xr *Composite, component string) *Set {
	s := &Set{
		ObservedState: NewObservedState(req),
		xr:            xr,
		component:     component,
		desired:       make(map[string]*fnv1.Resource, composedHint),
	}
	s.adopt()
	s.objects.names = make([]string, 0, composedHint)
	s.objects.objs = make([]*structpb.Struct, 0, composedHint)
	s.objects.ready = make([]Readiness, 0, composedHint)
	return s
}

// composedHint is room for the resources a composite's first reconciles
// compose, made at once rather than grown: a map of up to 8 entries is
// one group of slots, and 16 made a table, which a Queue or a bundle never
// fills (a BucketClaim's 13 with their Usages grow it once).
const composedHint = 8

// Labels returns the labels of a composed resource called name: the
// Kubernetes recommended labels (instance is the composite) and the claim.
func (s *Set) Labels(name string) map[string]string {
	l := map[string]string{LabelName: name}
	s.sharedLabels(func(k string, v *structpb.Value) { l[k] = v.GetStringValue() })
	return l
}

// sharedLabels calls add with each label of Labels but the name, which
// every composed resource of the set has. The component and managed-by
// values are constants of paved's code (pb.Const).
func (s *Set) sharedLabels(add func(k string, v *structpb.Value)) {
	add(LabelInstance, pb.Str(naming.LabelValue(s.xr.Name)))
	add(LabelComponent, pb.Const(s.component))
	add(LabelPartOf, pb.Str(naming.LabelValue(s.partOf())))
	add(LabelManagedBy, pb.Const(ManagedBy))
	if s.xr.ClaimName != "" {
		add(LabelClaimName, pb.Str(naming.LabelValue(s.xr.ClaimName)))
		add(LabelClaimNamespace, pb.Str(s.xr.ClaimNamespace))
	}
}

// labels are Labels(name) as an object's labels. The values of all but
// the name are shared by every object of the set (never modify them).
func (s *Set) labels(name string) pb.Fields {
	if s.shared == nil {
		s.shared = make(pb.Fields, 6)
		s.sharedLabels(func(k string, v *structpb.Value) { s.shared[k] = v })
	}
	l := make(pb.Fields, len(s.shared)+1)
	maps.Copy(l, s.shared)
	l[LabelName] = pb.Str(name)
	return l
}

func (s *Set) partOf() string {
	if s.xr.ClaimName != "" {
		return s.xr.ClaimName
	}
	return s.xr.Name
}

// Tags returns the AWS tags that carry the composite's identity into the
// cloud account, for cost reports and audits. Values obey AWS's tag rules:
// one derived from a long claim (a 63-character namespace and a
// 253-character name) is shortened with a digest of the whole. They are
// made once per set and shared by every resource that carries them (never
// modify them).
func (s *Set) Tags() *structpb.Value {
	if s.tags == nil {
		s.tags = s.makeTags()
	}
	return s.tags
}

func (s *Set) makeTags() *structpb.Value {
	t := pb.Fields{
		"paved.dev/managed-by":    pb.Const(ManagedBy),
		"paved.dev/component":     pb.Const(s.component),
		"paved.dev/composite":     pb.Str(awsrules.TagValue.Text(s.xr.Name)),
		"paved.dev/composite-uid": pb.Str(awsrules.TagValue.Text(s.xr.UID)),
	}
	if s.xr.ClaimName != "" {
		t["paved.dev/claim"] = pb.Str(awsrules.TagValue.Text(s.xr.Owner()))
	}
	if s.xr.Namespaced() {
		t["paved.dev/namespace"] = pb.Str(awsrules.TagValue.Text(s.xr.Namespace))
	}
	return pb.Obj(t)
}

// Keep returns the value a cloud name or other identifying field of the
// composed resource called name must have: the value the observed resource
// already has at path (e.g. spec.forProvider.identifier), or fresh for a
// resource not created yet. A database or bucket that exists is thus never
// renamed, which AWS would do by replacing it, even when paved's naming
// scheme changes on upgrade. An observed value that is not valid (e.g.
// awsrules.S3BucketName.Valid) is not kept: AWS refused it, so nothing
// exists under that name. path must lie under spec (see ObservedIdentity).
func (s *Set) Keep(name string, valid func(string) bool, fresh string, path ...string) string {
	if len(path) == 0 || path[0] != "spec" {
		panic("compose: Keep reads only the observed spec")
	}
	if v, ok := pb.String(s.Observed(name), path...); ok && v != "" && valid(v) {
		return v
	}
	return fresh
}

// KeepExternalName is Keep for kinds whose cloud name is their external
// name (the crossplane.io/external-name annotation). An observed resource
// without the annotation is one the provider has not initialised yet; it
// will name it after its metadata.name (crossplane-runtime's
// NameAsExternalName initialiser), so that is the name to keep.
func (s *Set) KeepExternalName(name string, valid func(string) bool, fresh string) string {
	o := s.Observed(name)
	if o == nil {
		return fresh
	}
	if v := awsrules.ExternalName(o); v != "" && valid(v) {
		return v
	}
	return fresh
}

// Selector selects the composed resource called name of the same composite:
// the one object that has the same controller (the composite) and the
// app.kubernetes.io/name label of that composed resource. Siblings bind
// with it rather than by object name, so that no name a claim's author
// chooses can make a reference resolve to another composite's object
// (crossplane-runtime pkg/reference: matchControllerRef keeps only
// objects whose controller reference equals the selecting object's).
//
// The selector of a name is made once and shared, like every value in a
// composed object never modified.
func Selector(name string) *structpb.Value {
	if v, ok := selectors.Load(name); ok {
		return v.(*structpb.Value) //nolint:forcetypeassert // selectors holds only *structpb.Value
	}
	v, _ := selectors.LoadOrStore(name, pb.Obj(pb.Fields{
		"matchControllerRef": pb.Boolean(true),
		"matchLabels":        pb.StrMap(map[string]string{LabelName: name}),
	}))
	return v.(*structpb.Value) //nolint:forcetypeassert // selectors holds only *structpb.Value
}

// selectors are the Selector of each name (composed resources have a few
// fixed names).
var selectors sync.Map

// An Option changes a composed resource before it is added.
type Option func(obj *structpb.Struct)

// WithExternalName sets the crossplane.io/external-name annotation: the
// cloud name of kinds whose external name is their name.
func WithExternalName(v string) Option {
	return func(obj *structpb.Struct) {
		pb.Set(obj, pb.Str(v), "metadata", "annotations", awsrules.ExternalNameAnnotation)
	}
}

// Add composes a resource called name (its name in the Composition's
// pipeline, stable across reconciles) as object objName of the given
// apiVersion and kind (constants of the composer: see pb.Const) with the
// given spec. Its readiness follows its
// observed Ready condition. spec becomes the object's: pass a map made
// for it alone (the namespaced dialect rewrites its top level in place,
// never the values under it).
func (s *Set) Add(name, apiVersion, kind, objName string, spec pb.Fields, opts ...Option) {
	obj := &structpb.Struct{Fields: pb.Fields{
		"apiVersion": pb.Const(apiVersion),
		"kind":       pb.Const(kind),
		"metadata": pb.Obj(pb.Fields{
			"name":   pb.Str(objName),
			"labels": pb.Obj(s.labels(name)),
		}),
		"spec": pb.Obj(spec),
	}}
	for _, o := range opts {
		o(obj)
	}
	s.add(name, obj)
}

// CheckAWSRules checks every composed resource against AWS's rules for its
// fields (package awsrules). Composers build every constrained value with
// the rules' constructors, so an error here is a bug in paved, caught
// before anything AWS would refuse is applied.
func (o Objects) CheckAWSRules() error {
	var errs field.List
	var c awsrules.Checker
	for _, obj := range o.objs {
		errs = append(errs, c.Check(obj)...)
	}
	return errs.Err()
}

// Objects returns what was added to the set.
func (s *Set) Objects() Objects { return s.objects }

func (s *Set) add(name string, obj *structpb.Struct) { s.addReady(name, obj, nil) }

// addReady adds obj as the composed resource called name. Its readiness
// follows its observed Ready condition, or ready when that is not nil.
func (s *Set) addReady(name string, obj *structpb.Struct, ready Readiness) {
	if s.xr.Namespaced() {
		s.namespaced(name, obj)
	}
	withControllerFinalizer(obj)
	r := fnv1.Ready_READY_FALSE
	switch obs := s.observed[name].GetResource(); {
	case ready != nil && obs != nil:
		if ok, why := ready(obs); ok {
			r = fnv1.Ready_READY_TRUE
		} else if why = ProviderMessage(why); why == "" {
			s.addPending(name, name)
		} else {
			s.addPending(name, name+" ("+why+")")
		}
	default:
		if c, ok := pb.ConditionOf(obs, "Ready"); ok && c.Status == "True" {
			r = fnv1.Ready_READY_TRUE
		} else {
			s.addPending(name, describe(name, c, ok, obs != nil))
		}
	}
	if c, ok := pb.ConditionOf(s.observed[name].GetResource(), "Synced"); ok && c.Status == "False" {
		s.addUnsynced(name, c)
	}
	s.desired[name] = &fnv1.Resource{Resource: obj, Ready: r}
	s.objects.names = append(s.objects.names, name)
	s.objects.objs = append(s.objects.objs, obj)
	s.objects.ready = append(s.objects.ready, ready)
}

// Desired returns the desired object of the composed resource called name,
// as added to the set, or nil. It is shared: never modify it.
func (s *Set) Desired(name string) *structpb.Struct {
	return s.desired[name].GetResource()
}

// Write adds the desired composed resources to rsp, keeping any that earlier
// pipeline steps desired. When there are none (paved is the first step)
// the set's own map is the response's: what the set adds after Write (a
// namespaced composite's connection Secret, WriteStatus) goes in both.
func (s *Set) Write(rsp *fnv1.RunFunctionResponse) {
	if rsp.GetDesired() == nil {
		rsp.Desired = &fnv1.State{}
	}
	if len(rsp.GetDesired().GetResources()) == 0 {
		rsp.Desired.Resources = s.desired
		return
	}
	maps.Copy(rsp.GetDesired().GetResources(), s.desired)
}

// SecureSetting checks a boolean a claim may state only with its secure
// value: a claim that asks for the insecure one is refused, naming why.
func SecureSetting(spec *structpb.Struct, name string, secure bool, why string) *field.Error {
	v, ok := pb.Bool(spec, name)
	if !ok || v == secure {
		return nil
	}
	return field.Invalid("spec."+name, v, fmt.Sprintf("only %t is allowed: %s", secure, why))
}

// WholeNumber reads an optional whole number between lo and hi from the
// claim's spec. It returns 0 and no error when the field is not set.
// allowed says, for the error, what the number means, e.g. "a whole number
// of GiB from 20 to 4096".
func WholeNumber(spec *structpb.Struct, name string, lo, hi int, allowed string) (int, *field.Error) {
	if !pb.Has(spec, name) {
		return 0, nil
	}
	n, ok := pb.Number(spec, name)
	if !ok || n != math.Trunc(n) || n < float64(lo) || n > float64(hi) {
		return 0, field.Invalid("spec."+name, pb.Get(spec, name).AsInterface(), allowed)
	}
	return int(n), nil
}

// A ChangeError refuses a change of a claim that the existing resources
// cannot make (an engine change, a smaller disk, a downgrade).
type ChangeError struct{ Err error }

func (e *ChangeError) Error() string { return e.Err.Error() }
func (e *ChangeError) Unwrap() error { return e.Err }
