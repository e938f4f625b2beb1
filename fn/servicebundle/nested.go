package servicebundle

import (
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/bucket"
	"github.com/paved-dev/paved/fn/database"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/naming"
	"github.com/paved-dev/paved/fn/internal/pb"
	"github.com/paved-dev/paved/fn/queue"
)

// compositeAPIVersion of paved's composites.
const compositeAPIVersion = "platform.paved.dev/v1alpha1"

// ClaimKind is the kind of a ServiceBundle's claim.
const ClaimKind = "ServiceBundle"

// Fields of a DatabaseClaim's and a BucketClaim's spec that a bundle's
// spec.database and spec.bucket pass on (apis/database and apis/bucket
// definition.yaml). Nothing else reaches the nested composite: not its
// composition (the one its XRD enforces, below), nor where its secret goes.
var (
	databaseFields = []string{"engine", "size", "version", "storageGB", "publiclyAccessible", "storageEncrypted", "deletionProtection"}
	bucketFields   = []string{"noncurrentVersionExpirationDays", "publicAccess", "encrypted"}
	queueFields    = []string{"engine", "fifo", "messageRetentionSeconds", "visibilityTimeoutSeconds", "maxReceiveCount", "publicAccess", "encrypted"}
)

// nestedComposite is an XDatabase or XBucket with the spec the claim asked
// for: its own Composition composes and validates it (the bundle never
// re-implements that), and Crossplane writes its connection secret into
// the team's namespace, next to the claim, as <service>-<what>. It is
// bound to the bundle's claim (owner) so that no other claim can bind it.
//
// A namespaced bundle's is the namespaced Database or Bucket (namespaced
// kind nsKind, apis/database-v2 and apis/bucket-v2) in the bundle's
// namespace, where the compose dialect puts it: it composes its
// connection Secret <service>-<what> there itself, as any namespaced
// Database or Bucket does (its spec.writeConnectionSecretToRef names only
// a Secret of its own namespace), and has no claim to bind, so no
// claimRef.
//
// A cluster-scoped one names the Composition its XRD enforces
// (composition; see databaseComposition).
//
// claimRef is owner(xr), made once for all of a bundle's nested composites
// (nil for a namespaced bundle), and never modified, as the
// compositionRef each shares with every bundle's (compositionRefs).
func nestedComposite(xr *compose.Composite, s *service, kind, nsKind, what, composition string, spec *structpb.Struct, known []string, claimRef *structpb.Value) *structpb.Struct {
	// Sized for what the claim sets, not for every field it may: a map
	// of up to 8 is one group of slots, and a claim sets a few.
	n := 3
	for _, k := range known {
		if _, ok := spec.GetFields()[k]; ok {
			n++
		}
	}
	fields := make(pb.Fields, n)
	for _, k := range known {
		if v, ok := spec.GetFields()[k]; ok {
			fields[k] = v
		}
	}
	apiVersion := compositeAPIVersion
	if xr.Namespaced() {
		apiVersion, kind = compose.NamespacedCompositeAPIVersion, nsKind
		fields["writeConnectionSecretToRef"] = pb.Obj(pb.Fields{"name": pb.Str(connectionSecret(s, what))})
	} else {
		fields["writeConnectionSecretToRef"] = pb.Obj(pb.Fields{
			"name":      pb.Str(connectionSecret(s, what)),
			"namespace": pb.Str(s.namespace),
		})
		fields["claimRef"] = claimRef
		fields["compositionRef"] = compositionRefs[composition]
	}
	return &structpb.Struct{Fields: pb.Fields{
		"apiVersion": pb.Const(apiVersion),
		"kind":       pb.Const(kind),
		"metadata":   pb.Obj(pb.Fields{"name": pb.Str(naming.Object(xr.Name, what))}),
		"spec":       pb.Obj(fields),
	}}
}

// owner is the spec.claimRef of a nested composite: the bundle's claim, or
// the bundle's composite itself when a platform engineer made it without
// one. Never empty, never the tenant's choice (the claim's spec cannot set
// an XR's claimRef: Crossplane strips it, syncer_ssa.go below).
//
// Without it any claim of the nested kind, in any namespace, could bind the
// nested composite by naming it in spec.resourceRef: crossplane v2.4.0
// internal/controller/apiextensions/claim/reconciler.go (Reconcile) refuses
// a claim only if the XR's spec.claimRef is set and differs from the
// claim's {apiVersion, kind, name, namespace} ("we only check the claim ref
// if the XR has one - this allows us to bind unbound claims"), with the
// Synced=False message "refusing to operate on composite resource ... that
// is not bound to this claim" (errFmtUnbound); otherwise syncer_ssa.go
// (ServerSideCompositeSyncer.Sync) force-applies the claim's spec and
// claimRef onto the XR, and reconciler.go then copies the XR's connection
// secret (the database's master password) into the claim's namespace. No
// DatabaseClaim or BucketClaim can equal a reference of kind ServiceBundle
// or XServiceBundle, whatever its name and namespace, so the nested
// composite can be bound by none.
//
// What else reads an XR's claimRef in core v2.4.0: the composite reconciler
// records the nested composite's claim-targeted events on the bundle's
// claim as well (internal/controller/apiextensions/composite/reconciler.go,
// getClaimFromXR), and the nested kind's claim controller is asked to
// reconcile a claim of the bundle's name, which is not of its kind
// (internal/controller/apiextensions/offered/watch.go,
// EnqueueRequestForClaim); neither changes the nested composite.
//
// paved's ValidatingAdmissionPolicy (apis/admission/policy.yaml) refuses a
// claim that sets spec.resourceRef at all, unless Crossplane itself writes
// it; it is an install manifest, not package content (a Configuration may
// hold only XRDs, Compositions, ManagedResourceActivationPolicies and
// Operations: crossplane-runtime v2.4.0 pkg/xpkg/lint.go,
// NewConfigurationLinter), so a cluster may lack it. The claimRef holds
// without it.
func owner(xr *compose.Composite) *structpb.Value {
	if xr.ClaimName == "" {
		return pb.Obj(pb.Fields{
			"apiVersion": pb.Str(xr.APIVersion),
			"kind":       pb.Str(xr.Kind),
			"name":       pb.Str(xr.Name),
			"namespace":  pb.Const(""), // a cluster-scoped composite
		})
	}
	// A claim has its composite's group and version (crossplane-runtime
	// v2.4.0 pkg/xcrd/crd.go, ForCompositeResourceClaim); Crossplane
	// records the claim's apiVersion and kind in the composite's claimRef.
	apiVersion, kind := xr.ClaimAPIVersion, xr.ClaimKind
	if apiVersion == "" {
		apiVersion = xr.APIVersion
	}
	if kind == "" {
		kind = ClaimKind
	}
	return pb.Obj(pb.Fields{
		"apiVersion": pb.Str(apiVersion),
		"kind":       pb.Str(kind),
		"name":       pb.Str(xr.ClaimName),
		"namespace":  pb.Str(xr.ClaimNamespace),
	})
}

// connectionSecret is the name of the Secret, in the team's namespace, that
// holds the connection details of the service's database or bucket.
func connectionSecret(s *service, what string) string {
	return naming.Object(s.name, what)
}

// The Compositions the cluster-scoped nested composites' XRDs enforce
// (enforcedCompositionRef in apis/database and apis/bucket
// definition.yaml; TestNestedCompositions holds them equal). The bundle
// composes its XDatabase and XBucket with it: Crossplane core v2.4.0 sets
// a composite's spec.compositionRef to the enforced Composition with an
// update of its own unless it already names it
// (internal/controller/apiextensions/composite/api.go,
// EnforcedCompositionSelector), a watch event of the nested composite and
// so of the bundle, which core's circuit breaker counts. It is the one
// Composition core would choose; the claim never chooses it.
const (
	databaseComposition = "xdatabases.aws.platform.paved.dev"
	bucketComposition   = "xbuckets.aws.platform.paved.dev"
	queueComposition    = "xqueues.aws.platform.paved.dev"
)

// compositionRefs are the nested composites' spec.compositionRef, made
// once and shared by every bundle's, never modified.
var compositionRefs = map[string]*structpb.Value{
	databaseComposition: pb.Obj(pb.Fields{"name": pb.Const(databaseComposition)}),
	bucketComposition:   pb.Obj(pb.Fields{"name": pb.Const(bucketComposition)}),
	queueComposition:    pb.Obj(pb.Fields{"name": pb.Const(queueComposition)}),
}

// nestedClaimRef is the claimRef the bundle's nested composites share
// (nestedComposite): owner(xr), or nil for a namespaced bundle, which has
// no claim.
func nestedClaimRef(xr *compose.Composite) *structpb.Value {
	if xr.Namespaced() {
		return nil
	}
	return owner(xr)
}

func nestedDatabase(xr *compose.Composite, s *service, claimRef *structpb.Value) *structpb.Struct {
	return nestedComposite(xr, s, database.Kind, database.NamespacedKind, Database, databaseComposition, s.database, databaseFields, claimRef)
}

func nestedBucket(xr *compose.Composite, s *service, claimRef *structpb.Value) *structpb.Struct {
	return nestedComposite(xr, s, bucket.Kind, bucket.NamespacedKind, Bucket, bucketComposition, s.bucket, bucketFields, claimRef)
}

func nestedQueue(xr *compose.Composite, s *service, claimRef *structpb.Value) *structpb.Struct {
	return nestedComposite(xr, s, queue.Kind, queue.NamespacedKind, Queue, queueComposition, s.queue, queueFields, claimRef)
}
