package compose

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/field"
	"github.com/paved-dev/paved/fn/internal/naming"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// paved composes in two dialects, from the same composers. A legacy
// composite (a claim's, cluster-scoped) composes provider-aws's
// cluster-scoped kinds. A namespaced composite (Crossplane v2) composes
// into its own namespace only: Crossplane refuses a cluster-scoped
// composed resource for it and moves one of another namespace into the
// composite's (crossplane v2.4.0
// internal/controller/apiextensions/composite/composition_functions.go,
// errFmtNamespacedXRClusterResource and errFmtNamespaceOverridden). So
// for a namespaced composite every object the composers add is translated
// here, once, as it is added (Set.add):
//
//   - provider-aws kinds become their namespaced kinds of provider-aws
//     v2.6.0 (namespacedKinds), with the parameters those take as objects
//     rather than lists of one;
//   - every object gets the composite's namespace, and one added in another
//     namespace, or of a kind paved does not know to be namespaced, is
//     paved's bug (Objects.CheckDialect refuses it before anything is
//     applied);
//   - a managed resource's spec gets the platform's providerConfigRef with
//     its kind, its secret references become local ones (no namespace:
//     the Secret is in the managed resource's namespace), and
//     deletionPolicy, which namespaced managed resources no longer have,
//     becomes managementPolicies (namespacedSpec).
//
// Paths into observed objects that composers wrote for the cluster-scoped
// kinds are translated where the set reads them (Pin, NamespacedPath).
// Usages follow from the translated objects (Protect): a namespaced
// resource is kept by a namespaced Usage in its namespace. Connection
// details, which Crossplane writes for legacy composites only, become a
// composed Secret (ComposeConnectionSecret).

// namespacedKinds maps the apiVersion and kind of every provider-aws kind
// paved composes to its namespaced kind in provider-aws v2.6.0
// (test/crds/provider-aws-v2.6.0, package/crds of provider-upjet-aws
// v2.6.0). A kind that is not here has no namespaced kind paved tested:
// CheckDialect refuses it.
var namespacedKinds = map[string]namespacedKindOf{
	"s3.aws.upbound.io/v1beta1 Bucket":           {apiVersion: "s3.aws.m.upbound.io/v1beta1"},
	"s3.aws.upbound.io/v1beta1 BucketVersioning": {apiVersion: "s3.aws.m.upbound.io/v1beta1", embedded: [][]string{{"versioningConfiguration"}}},
	"s3.aws.upbound.io/v1beta1 BucketServerSideEncryptionConfiguration": {apiVersion: "s3.aws.m.upbound.io/v1beta1",
		embedded: [][]string{{"rule", "*", "applyServerSideEncryptionByDefault"}}},
	"s3.aws.upbound.io/v1beta1 BucketPublicAccessBlock":      {apiVersion: "s3.aws.m.upbound.io/v1beta1"},
	"s3.aws.upbound.io/v1beta1 BucketOwnershipControls":      {apiVersion: "s3.aws.m.upbound.io/v1beta1", embedded: [][]string{{"rule"}}},
	"s3.aws.upbound.io/v1beta1 BucketPolicy":                 {apiVersion: "s3.aws.m.upbound.io/v1beta1"},
	"s3.aws.upbound.io/v1beta1 BucketLifecycleConfiguration": {apiVersion: "s3.aws.m.upbound.io/v1beta1"},
	"rds.aws.upbound.io/v1beta1 SubnetGroup":                 {apiVersion: "rds.aws.m.upbound.io/v1beta1"},
	"rds.aws.upbound.io/v1beta1 ParameterGroup":              {apiVersion: "rds.aws.m.upbound.io/v1beta1"},
	"rds.aws.upbound.io/v1beta2 Instance":                    {apiVersion: "rds.aws.m.upbound.io/v1beta1"},
	"ec2.aws.upbound.io/v1beta1 SecurityGroup":               {apiVersion: "ec2.aws.m.upbound.io/v1beta1"},
	"ec2.aws.upbound.io/v1beta1 SecurityGroupRule":           {apiVersion: "ec2.aws.m.upbound.io/v1beta1"},
	// DocumentDB: none of the parameters paved sets is a list of one.
	"docdb.aws.upbound.io/v1beta1 Cluster":                {apiVersion: "docdb.aws.m.upbound.io/v1beta1"},
	"docdb.aws.upbound.io/v1beta1 ClusterInstance":        {apiVersion: "docdb.aws.m.upbound.io/v1beta1"},
	"docdb.aws.upbound.io/v1beta1 ClusterParameterGroup":  {apiVersion: "docdb.aws.m.upbound.io/v1beta1"},
	"docdb.aws.upbound.io/v1beta1 SubnetGroup":            {apiVersion: "docdb.aws.m.upbound.io/v1beta1"},
	"elasticache.aws.upbound.io/v1beta1 SubnetGroup":      {apiVersion: "elasticache.aws.m.upbound.io/v1beta1"},
	"elasticache.aws.upbound.io/v1beta2 ReplicationGroup": {apiVersion: "elasticache.aws.m.upbound.io/v1beta1"},
	"sqs.aws.upbound.io/v1beta1 Queue":                    {apiVersion: "sqs.aws.m.upbound.io/v1beta1"},
	"sqs.aws.upbound.io/v1beta1 QueuePolicy":              {apiVersion: "sqs.aws.m.upbound.io/v1beta1"},
}

// pavedNamespacedKinds maps the apiVersion and kind of every
// provider-paved kind paved composes (a ServiceBundle's repository, its
// catalog-info.yaml, release branch, team access and catalog
// registration) to the apiVersion of its namespaced kind: the same kind
// and parameters in the group with ".m." (provider/apis/namespaced, whose
// types embed the cluster-scoped kinds' parameter structs;
// package/crds/{github,backstage}.m.paved.dev_*.yaml). Their provider
// config is provider-paved's, not provider-aws's: the name the composer
// gave (the environment's githubProviderConfig or
// backstageProviderConfig) with the kind the environment's
// serviceBundle.providerConfigKind says (namespacedSpec).
// TestPavedNamespacedKindsServed checks them against package/crds.
var pavedNamespacedKinds = map[string]string{
	"github.paved.dev/v1alpha1 Repository":         "github.m.paved.dev/v1alpha1",
	"github.paved.dev/v1alpha1 RepositoryFile":     "github.m.paved.dev/v1alpha1",
	"github.paved.dev/v1alpha1 Branch":             "github.m.paved.dev/v1alpha1",
	"github.paved.dev/v1alpha1 TeamRepository":     "github.m.paved.dev/v1alpha1",
	"backstage.paved.dev/v1alpha1 CatalogLocation": "backstage.m.paved.dev/v1alpha1",
}

// pavedServed are the namespaced provider-paved kinds, by apiVersion and
// kind: namespacedKind allows them.
var pavedServed = func() map[string]bool {
	m := make(map[string]bool, len(pavedNamespacedKinds))
	for from, to := range pavedNamespacedKinds {
		_, kind, _ := strings.Cut(from, " ")
		m[to+" "+kind] = true
	}
	return m
}()

// NamespacedCompositeAPIVersion is the apiVersion of paved's namespaced
// composites (apis/*-v2), which a namespaced ServiceBundle composes as
// its database and bucket, in its own namespace.
const NamespacedCompositeAPIVersion = "paved.dev/v1alpha1"

// NamespacedComposites are the kinds of paved's namespaced composites
// another namespaced composite may compose (a ServiceBundle's Database and
// Bucket). fn's TestNamespacedComposites holds it to the kind registry.
var NamespacedComposites = []string{"Database", "Bucket", "Queue"}

// Argo CD's Application is namespaced: with Argo CD's "applications in
// any namespace" a namespaced ServiceBundle's Applications live in its own
// namespace (https://argo-cd.readthedocs.io/en/stable/operator-manual/app-any-namespace/).
const (
	applicationAPIVersion = "argoproj.io/v1alpha1"
	applicationKind       = "Application"
)

// A namespacedKindOf is the namespaced kind of a cluster-scoped
// provider-aws kind: its apiVersion (the group gains ".m." and versions
// restart at v1beta1, the only version these CRDs serve) and the
// parameters it takes as an object where the cluster-scoped kind paved
// composes takes a list of one object. provider-aws v2's namespaced kinds
// have the schema of the latest cluster-scoped version, in which upjet
// generates such "singleton lists" as embedded objects (compare
// s3.aws.upbound.io_bucketversionings.yaml v1beta1 of provider-aws
// v1.23.0, versioningConfiguration a list with maxItems 1, with
// s3.aws.m.upbound.io_bucketversionings.yaml of v2.6.0, an object). Their
// paths are below spec.forProvider, spec.initProvider and
// status.atProvider; "*" stands for every element of a list.
// TestNamespacedKindsServed checks both against the vendored CRDs.
type namespacedKindOf struct {
	apiVersion string
	embedded   [][]string
}

// embeddedOf are the embedded objects of each namespaced kind, by its
// apiVersion and kind.
var embeddedOf = func() map[string][][]string {
	m := make(map[string][][]string, len(namespacedKinds))
	for from, to := range namespacedKinds {
		_, kind, _ := strings.Cut(from, " ")
		m[to.apiVersion+" "+kind] = to.embedded
	}
	return m
}()

// namespacedManagedSuffix ends the group of every namespaced provider-aws
// kind.
const namespacedManagedSuffix = ".aws.m.upbound.io"

// ConnectionSecret is the pipeline name of the Secret a namespaced
// composite's connection details are composed as (ComposeConnectionSecret).
const ConnectionSecret = "connection-secret"

// ConnectionSecretType is the type of that Secret: the type Crossplane
// gives the connection secrets it writes for claims and managed resources
// (crossplane-runtime v2.4.0 pkg/resource, SecretTypeConnection), so that a
// team's tooling reads both alike.
const ConnectionSecretType = "connection.crossplane.io/v1alpha1"

// orphanPolicies are the management policies of a managed resource whose
// external resource outlives it: all but Delete. Namespaced managed
// resources have no deletionPolicy (crossplane/apis v2.4.0
// core/v2/resource_namespace.go, ManagedResourceSpec); a policy set
// without Delete leaves the external resource when the managed resource
// is deleted, and this one is among those the managed reconciler supports
// (crossplane-runtime v2.4.0 pkg/reconciler/managed/policies.go,
// defaultSupportedManagementPolicies: "No Delete, the external resource is
// not deleted when the managed resource is deleted").
var orphanPolicies = pb.Strs([]string{"Observe", "Create", "Update", "LateInitialize"})

// namespacedKind reports whether paved may compose a kind for a namespaced
// composite: namespaced provider-aws and provider-paved kinds, paved's
// namespaced composites, Argo CD Applications, namespaced Usages and
// Secrets. Anything else may be cluster-scoped, which Crossplane refuses,
// or a kind paved never tested in the namespaced dialect.
func namespacedKind(apiVersion, kind string) bool {
	group, _, _ := strings.Cut(apiVersion, "/")
	switch {
	case strings.HasSuffix(group, namespacedManagedSuffix):
		return true
	case pavedServed[apiVersion+" "+kind]:
		return true
	case apiVersion == NamespacedCompositeAPIVersion && slices.Contains(NamespacedComposites, kind):
		return true
	case apiVersion == applicationAPIVersion && kind == applicationKind:
		return true
	case apiVersion == UsageAPIVersion && kind == NamespacedUsage:
		return true
	case apiVersion == "v1" && kind == "Secret":
		return true
	}
	return false
}

// namespaced translates obj, which the composer added as the composed
// resource called name, into the namespaced dialect (see above). Values
// of obj's spec may be shared with other objects: what changes is copied.
func (s *Set) namespaced(name string, obj *structpb.Struct) {
	apiVersion, _ := pb.String(obj, "apiVersion")
	kind, _ := pb.String(obj, "kind")
	to, managed := namespacedKinds[apiVersion+" "+kind]
	if managed {
		apiVersion = to.apiVersion
		obj.Fields["apiVersion"] = pb.Const(to.apiVersion)
	}
	paved, isPaved := pavedNamespacedKinds[apiVersion+" "+kind]
	if isPaved {
		apiVersion = paved
		obj.Fields["apiVersion"] = pb.Const(paved)
	}
	if !namespacedKind(apiVersion, kind) {
		s.objects.dialect = append(s.objects.dialect, fmt.Sprintf("%s (%s %s): paved composes no such kind for a namespaced composite (it may be cluster-scoped, which Crossplane refuses)", name, apiVersion, kind))
	}
	md := pb.Struct(obj, "metadata")
	if ns, _ := pb.String(md, "namespace"); ns != "" && ns != s.xr.Namespace {
		s.objects.dialect = append(s.objects.dialect, fmt.Sprintf("%s (%s %s): in namespace %q, but a namespaced composite composes only into its own, %q", name, apiVersion, kind, ns, s.xr.Namespace))
	}
	if s.namespace == nil {
		s.namespace = pb.Str(s.xr.Namespace)
	}
	md.Fields["namespace"] = s.namespace
	if managed || isPaved {
		composed := pb.Struct(obj, "spec")
		if composed == nil {
			composed = &structpb.Struct{}
			obj.Fields["spec"] = structpb.NewStructValue(composed)
		}
		ref := s.providerConfigRef()
		if isPaved {
			ref = s.pavedProviderConfigRef(composed)
		}
		if err := namespacedSpec(composed, ref, to.embedded); err != nil {
			s.objects.dialect = append(s.objects.dialect, fmt.Sprintf("%s (%s %s): %v", name, apiVersion, kind, err))
		}
	}
}

// namespacedSpec rewrites a managed resource's spec into the namespaced
// dialect: the platform's providerConfigRef (ref), local secret
// references, management policies for deletionPolicy, and the parameters
// of embedded as objects.
//
// It rewrites spec in place, as namespaced does the object's apiVersion
// and namespace: a composed object is the set's from AddObject on, and
// its top-level spec map is the composer's own, made for the object. The
// values under it are never modified (they may be shared: constants,
// Selector, the tags); what changes below the top level is replaced by a
// copy (localSecretRefs, embed). Applied twice to one spec it changes
// nothing more: every step finds its work done.
func namespacedSpec(spec *structpb.Struct, ref *structpb.Value, embedded [][]string) error {
	if spec.Fields == nil {
		spec.Fields = pb.Fields{}
	}
	out := spec.GetFields()
	// Namespaced managed resources name their provider config with its
	// kind: a ProviderConfig in their namespace or a ClusterProviderConfig
	// (crossplane/apis v2.4.0 core/v2/resource_namespace.go,
	// ProviderConfigReference). The platform's environment chooses it,
	// never the composite's author.
	out["providerConfigRef"] = ref
	if p, ok := pb.String(spec, "deletionPolicy"); ok {
		delete(out, "deletionPolicy")
		if p == "Orphan" {
			out["managementPolicies"] = orphanPolicies
		}
	}
	// A namespaced managed resource's secret references are local: the
	// Secret is in its own namespace, and the reference has no namespace
	// field (crossplane/apis v2.4.0 core/v2, LocalSecretReference and
	// LocalSecretKeySelector).
	if ref := pb.Struct(spec, "writeConnectionSecretToRef"); ref != nil {
		out["writeConnectionSecretToRef"] = withoutNamespace(ref)
	}
	var errs []error
	for _, params := range []string{"forProvider", "initProvider"} {
		p := pb.Struct(spec, params)
		if p == nil {
			continue
		}
		if local := localSecretRefs(p); local != nil {
			out[params] = pb.Obj(local)
		}
		for _, path := range embedded {
			v, err := embed(out[params], path)
			if err != nil {
				errs = append(errs, fmt.Errorf("spec.%s.%s: %w", params, strings.Join(path, "."), err))
			}
			out[params] = v
		}
	}
	return errors.Join(errs...)
}

// embed is a copy of v with the list of one object at path replaced by
// the object; v itself if nothing is at path.
func embed(v *structpb.Value, path []string) (*structpb.Value, error) {
	if len(path) == 0 {
		l := v.GetListValue()
		if l == nil {
			return v, nil
		}
		if n := len(l.GetValues()); n != 1 {
			return v, fmt.Errorf("a list of %d, where the namespaced kind takes one object", n)
		}
		return l.GetValues()[0], nil
	}
	if path[0] == "*" {
		l := v.GetListValue()
		if l == nil {
			return v, nil
		}
		out := make([]*structpb.Value, len(l.GetValues()))
		var errs []error
		for i, e := range l.GetValues() {
			var err error
			out[i], err = embed(e, path[1:])
			errs = append(errs, err)
		}
		return pb.List(out...), errors.Join(errs...)
	}
	st := v.GetStructValue()
	f, ok := st.GetFields()[path[0]]
	if !ok {
		return v, nil
	}
	e, err := embed(f, path[1:])
	out := maps.Clone(pb.Fields(st.GetFields()))
	out[path[0]] = e
	return pb.Obj(out), err
}

// NamespacedPath is path, into an observed object of a namespaced kind,
// as that kind has it (the path itself for any other object): a path written for the cluster-scoped kind indexes
// the list of one object that the namespaced kind has as the object itself
// (embeddedOf), e.g. spec.forProvider.rule.0.applyServerSideEncryptionByDefault.0.kmsMasterKeyId
// becomes spec.forProvider.rule.0.applyServerSideEncryptionByDefault.kmsMasterKeyId.
func NamespacedPath(observed *structpb.Struct, path []string) []string {
	apiVersion, _ := pb.String(observed, "apiVersion")
	kind, _ := pb.String(observed, "kind")
	embedded := embeddedOf[apiVersion+" "+kind]
	if len(embedded) == 0 || len(path) < 3 {
		return path
	}
	out := slices.Clone(path[:2])
	rest := path[2:]
	for i := 0; i < len(rest); i++ {
		out = append(out, rest[i])
		for _, e := range embedded {
			if matches(rest[:i+1], e) && i+1 < len(rest) && rest[i+1] == "0" {
				i++ // the index of the list of one
			}
		}
	}
	return out
}

// matches reports whether path is pattern, whose "*" matches any index.
func matches(path, pattern []string) bool {
	if len(path) != len(pattern) {
		return false
	}
	for i := range path {
		if pattern[i] != "*" && pattern[i] != path[i] {
			return false
		}
	}
	return true
}

// localSecretRefs is a copy of a managed resource's parameters whose
// secret references (the fields named ...SecretRef) have no namespace, or
// nil if none has one.
func localSecretRefs(params *structpb.Struct) pb.Fields {
	var out pb.Fields
	for k, v := range params.GetFields() {
		ref := v.GetStructValue()
		if !strings.HasSuffix(k, "SecretRef") || !pb.Has(ref, "namespace") {
			continue
		}
		if out == nil {
			out = maps.Clone(pb.Fields(params.GetFields()))
		}
		out[k] = withoutNamespace(ref)
	}
	return out
}

// withoutNamespace is a copy of ref without its namespace.
func withoutNamespace(ref *structpb.Struct) *structpb.Value {
	out := make(pb.Fields, len(ref.GetFields()))
	for k, v := range ref.GetFields() {
		if k != "namespace" {
			out[k] = v
		}
	}
	return pb.Obj(out)
}

// providerConfigRef is the providerConfigRef of the set's namespaced
// managed resources: the environment's (Pin), or provider-aws's default
// when the set was not pinned.
func (s *Set) providerConfigRef() *structpb.Value {
	if s.providerConfig == nil {
		s.useProviderConfig(env.ProviderConfigRef{Kind: env.DefaultProviderConfigKind, Name: env.DefaultProviderConfigName})
	}
	return s.providerConfig
}

func (s *Set) useProviderConfig(r env.ProviderConfigRef) {
	s.providerConfig = providerConfigValue(r.Kind, r.Name)
}

// ProviderConfigRef is the providerConfigRef {name} of a cluster-scoped
// managed resource (its provider config's kind is implied), shared as
// providerConfigValue's.
func ProviderConfigRef(name string) *structpb.Value { return providerConfigValue("", name) }

// providerConfigValue is the providerConfigRef {kind, name}, or {name}
// when kind is "": made once per reference, as the platform's environment
// names a few, and shared by every object that carries it (never
// modified). Past maxProviderConfigs references, which no platform has,
// each is made anew.
func providerConfigValue(kind, name string) *structpb.Value {
	key := env.ProviderConfigRef{Kind: kind, Name: name}
	providerConfigs.Lock()
	defer providerConfigs.Unlock()
	if v, ok := providerConfigs.m[key]; ok {
		return v
	}
	f := pb.Fields{"name": pb.Str(name)}
	if kind != "" {
		f["kind"] = pb.Str(kind)
	}
	v := pb.Obj(f)
	if len(providerConfigs.m) < maxProviderConfigs {
		if providerConfigs.m == nil {
			providerConfigs.m = map[env.ProviderConfigRef]*structpb.Value{}
		}
		providerConfigs.m[key] = v
	}
	return v
}

var providerConfigs struct {
	sync.Mutex
	m map[env.ProviderConfigRef]*structpb.Value
}

const maxProviderConfigs = 64

// pavedProviderConfigRef is the providerConfigRef of a namespaced
// provider-paved managed resource whose spec the composer wrote: the
// provider config it names (the environment's githubProviderConfig or
// backstageProviderConfig, never the composite's author's), of the kind
// the environment's serviceBundle.providerConfigKind says (Pin), or
// provider-paved's default kind when the set was not pinned (its
// namespaced CRDs default spec.providerConfigRef to the
// ClusterProviderConfig "default", package/crds/github.m.paved.dev_*.yaml).
func (s *Set) pavedProviderConfigRef(spec *structpb.Struct) *structpb.Value {
	kind := s.pavedConfigKind
	if kind == "" {
		kind = env.DefaultProviderConfigKind
	}
	name, _ := pb.String(spec, "providerConfigRef", "name")
	return providerConfigValue(kind, name)
}

// NamespacedPlacement are the pins of a namespaced composite's resources
// (see Pin), from the composer's pins for either dialect: the provider
// config its existing managed resources use is pinned too (another
// provider config may hold another AWS account's credentials, where the
// resource does not exist and would be created anew; every resource that
// records a placement records it), and the connection-secret namespace is
// not (a namespaced composite's secrets are in its own namespace).
func NamespacedPlacement(pins []Pin) []Pin {
	out := make([]Pin, 0, len(pins)+2)
	var seen []string
	for _, p := range pins {
		if p.Setting != env.ConnectionSecretNamespace {
			out = append(out, p)
		}
	}
	for _, p := range pins {
		if slices.Contains(seen, p.Resource) {
			continue
		}
		seen = append(seen, p.Resource)
		out = append(out,
			Pin{Setting: env.ProviderConfigKind, Resource: p.Resource, Paths: [][]string{{"spec", "providerConfigRef", "kind"}}},
			Pin{Setting: env.ProviderConfigName, Resource: p.Resource, Paths: [][]string{{"spec", "providerConfigRef", "name"}}})
	}
	return out
}

// CheckDialect refuses what a composer added that a namespaced composite
// cannot compose (see namespaced): a bug in paved, found before anything
// is applied.
func (o Objects) CheckDialect() error {
	if len(o.dialect) == 0 {
		return nil
	}
	return fmt.Errorf("cannot compose for a namespaced composite: %s", strings.Join(o.dialect, "; "))
}

// ConnectionSecretName is the name of a namespaced composite's connection
// Secret: the one its spec.writeConnectionSecretToRef.name names (paved's
// namespaced XRDs offer the field, as claims have it), or
// "<composite>-<component>-connection", which no composite of another
// kind or name in the namespace has.
func (c *Composite) ConnectionSecretName(component string) (string, error) {
	if !pb.Has(c.Spec(), "writeConnectionSecretToRef", "name") {
		return naming.Object(c.Name, component+"-connection"), nil
	}
	n, ok := pb.String(c.Spec(), "writeConnectionSecretToRef", "name")
	if !ok || !naming.ValidObject(n) {
		var errs field.List
		errs.Add(field.Invalid("spec.writeConnectionSecretToRef.name", pb.Get(c.Spec(), "writeConnectionSecretToRef", "name").AsInterface(),
			"the name of a Secret in the composite's namespace (lower-case letters, digits, '-' and '.')"))
		return "", errs.Err()
	}
	return n, nil
}

// ComposeConnectionSecret composes, for a namespaced composite, the
// connection details the composer returns in its Status as a Secret in the
// composite's namespace, named for the composer's component
// (Composite.ConnectionSecretName, whose error it returns): Crossplane
// writes the connection details a function returns only for legacy
// composites, and v2's way is to compose the Secret
// (https://docs.crossplane.io/latest/guides/connection-details-composition/,
// crossplane/docs content/master/guides/connection-details-composition.md).
// An existing Secret keeps its name (Crossplane keeps the name of every
// composed resource that exists). For a legacy composite it does nothing:
// Crossplane writes the connection details to the claim's Secret.
//
// Only composers whose connection details hold no secret use it: a
// database's password never passes through the function in the namespaced
// dialect (the provider writes it; see package database).
func (s *Set) ComposeConnectionSecret(component string) error {
	if !s.xr.Namespaced() {
		return nil
	}
	objName, err := s.xr.ConnectionSecretName(component)
	if err != nil {
		return err
	}
	if n, _ := pb.String(s.Observed(ConnectionSecret), "metadata", "name"); n != "" {
		objName = n
	}
	s.connectionSecret = objName
	return nil
}

// ConnectionSecretName returns the name of the Secret ComposeConnectionSecret
// composes, "" if it composes none.
func (s *Set) ConnectionSecretName() string { return s.connectionSecret }

// writeConnectionSecret composes the connection Secret with details and
// adds it to rsp (see ComposeConnectionSecret). It is ready once it exists.
func (s *Set) writeConnectionSecret(rsp *fnv1.RunFunctionResponse, details map[string][]byte) {
	data := make(pb.Fields, len(details))
	for k, v := range details {
		data[k] = pb.Str(base64.StdEncoding.EncodeToString(v))
	}
	s.addReady(ConnectionSecret, &structpb.Struct{Fields: pb.Fields{
		"apiVersion": pb.Const("v1"),
		"kind":       pb.Const("Secret"),
		"metadata":   pb.Obj(pb.Fields{"name": pb.Str(s.connectionSecret), "labels": pb.Obj(s.labels(ConnectionSecret))}),
		"type":       pb.Const(ConnectionSecretType),
		"data":       pb.Obj(data),
	}}, func(*structpb.Struct) (bool, string) { return true, "" })
	if rsp.Desired.Resources == nil {
		rsp.Desired.Resources = map[string]*fnv1.Resource{}
	}
	rsp.Desired.Resources[ConnectionSecret] = s.desired[ConnectionSecret]
}

// NamespacedKind returns the apiVersion of the namespaced kind of a
// cluster-scoped provider-aws or provider-paved kind paved composes (same
// kind name), and whether there is one (namespacedKinds,
// pavedNamespacedKinds).
func NamespacedKind(apiVersion, kind string) (string, bool) {
	if to, ok := pavedNamespacedKinds[apiVersion+" "+kind]; ok {
		return to, true
	}
	to, ok := namespacedKinds[apiVersion+" "+kind]
	return to.apiVersion, ok
}

// NamespacedParameters is a cluster-scoped managed resource's parameters
// (spec.forProvider or spec.initProvider of the legacy kind apiVersion
// and kind) as its namespaced kind takes them: the same translation the
// composers' objects get (namespacedSpec), local secret references and
// the lists of one as objects. paved migrate carries a legacy managed
// resource's parameters over with it.
func NamespacedParameters(apiVersion, kind string, params *structpb.Struct) (*structpb.Value, error) {
	to, ok := namespacedKinds[apiVersion+" "+kind]
	if !ok {
		return nil, fmt.Errorf("%s %s has no namespaced kind paved composes", apiVersion, kind)
	}
	out := pb.Obj(params.GetFields())
	if local := localSecretRefs(params); local != nil {
		out = pb.Obj(local)
	}
	var errs []error
	for _, path := range to.embedded {
		v, err := embed(out, path)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", strings.Join(path, "."), err))
		}
		out = v
	}
	return out, errors.Join(errs...)
}
