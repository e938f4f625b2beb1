package compose

import (
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/pb"
)

// The finalizers of the controllers of what paved composes, each as its
// controller names it.
const (
	// ManagedFinalizer is crossplane-runtime's managed reconciler's, which
	// provider-paved's controllers run (provider/internal/controller:
	// managed.NewReconciler without WithFinalizer): crossplane-runtime
	// v2.4.0 pkg/reconciler/managed/reconciler.go, FinalizerName.
	ManagedFinalizer = "finalizer.managedresource.crossplane.io"
	// CompositeFinalizer is Crossplane core's composite reconciler's, on
	// every composite: crossplane v2.4.0
	// internal/controller/apiextensions/composite/reconciler.go, finalizer.
	CompositeFinalizer = "composite.apiextensions.crossplane.io"
	// UsageFinalizer is Crossplane core's usage reconciler's, on Usages
	// and ClusterUsages alike: crossplane v2.4.0
	// internal/controller/protection/usage/reconciler.go, finalizer.
	UsageFinalizer = "usage.apiextensions.crossplane.io"
)

// controllerFinalizers are the finalizers of the controllers of what paved
// composes, by API group: provider-paved's groups of both scopes
// (pavedNamespacedKinds), paved's composites of both scopes (a bundle's
// nested XDatabase, XBucket and XQueue, or Database, Bucket and Queue:
// both groups serve only composites and claims, and no composer composes
// a claim), and Crossplane's Usages.
//
// provider-aws's managed resources are not composed with theirs yet: the
// control-plane tests' provider-aws stand-ins play its deletion only for
// the managed resources they were written for, and would leave the rest
// held by the finalizer.
var controllerFinalizers = map[string]string{
	"github.paved.dev":         ManagedFinalizer,
	"github.m.paved.dev":       ManagedFinalizer,
	"backstage.paved.dev":      ManagedFinalizer,
	"backstage.m.paved.dev":    ManagedFinalizer,
	"platform.paved.dev":       CompositeFinalizer,
	"paved.dev":                CompositeFinalizer,
	"protection.crossplane.io": UsageFinalizer,
}

// ControllerFinalizer is the finalizer the controller of objects of
// apiVersion adds to each of them, "" for kinds composed without one.
func ControllerFinalizer(apiVersion string) string {
	group, _, _ := strings.Cut(apiVersion, "/")
	return controllerFinalizers[group]
}

// finalizerLists are each controller finalizer as a composed object's
// metadata.finalizers, made once and shared, never modified.
var finalizerLists = func() map[string]*structpb.Value {
	m := make(map[string]*structpb.Value, 3)
	for _, f := range controllerFinalizers {
		m[f] = pb.List(pb.Const(f))
	}
	return m
}()

// withControllerFinalizer composes obj with the finalizer its controller
// would add (ControllerFinalizer), next to any obj already has (an
// Application's Argo CD resources finalizer).
//
// Why: the first thing each of those controllers does with a new object is
// add its finalizer, an update of the object; Crossplane core maps every
// update of a composed resource to its composite, and its circuit breaker
// counts two tokens for it (old and new object: crossplane v2.4.0
// internal/circuit/mapfunc.go). Composed with it, the controller finds it
// present and writes nothing: APIFinalizer.AddFinalizer returns at once
// when meta.FinalizerExists (crossplane-runtime v2.4.0
// pkg/resource/api.go), which is what the managed reconciler (before
// anything else it does to a live object), core's composite reconciler
// (crossplane v2.4.0 composite/reconciler.go, Reconcile) and its usage
// reconciler (protection/usage/reconciler.go, Reconcile) call.
//
// Safety:
//   - Deletion. Each controller still removes its finalizer when it has
//     done its part (RemoveFinalizer, an update: the API server never
//     refuses removing a finalizer). While the composite lives, core
//     applies the composed object again on every reconcile, a server-side
//     apply with the finalizer; once its controller removed it from an
//     object that is being deleted and something else still holds the
//     object (another finalizer, foreground deletion), that apply would
//     add a finalizer to an object being deleted, which the API server
//     refuses as Invalid (k8s.io/apimachinery v0.35.3
//     pkg/api/validation/objectmeta.go, ValidateObjectMetaAccessorUpdate
//     and ValidateNoNewFinalizers; k8s.io/apiserver v0.35.3
//     pkg/registry/rest/update.go, BeforeUpdate: errors.NewInvalid). Core
//     treats an Invalid apply as a warning event and that resource not
//     synced, and goes on with the others (crossplane v2.4.0
//     composite/composition_functions.go, FunctionComposer.Compose): a
//     refused request changes nothing, so neither the deletion nor the
//     composite waits on it or loops on writes; once the object is gone
//     core creates it anew, as it does today. Until the controller removed
//     it, the finalizer is already there and the apply adds nothing. An
//     Application, composed with Argo CD's resources finalizer, has always
//     been in this case.
//   - A composite being deleted runs no function (composite/reconciler.go
//     returns once it removed its own finalizer), so nothing applies its
//     composed objects while they go; an object deleted before its
//     controller first saw it is finalized by that controller as any
//     other. A reconcile that began before core saw the deletion can still
//     apply them once (seen in a cold .ci/run, test/e2e
//     TestServiceBundleDeletionArgoCDBlocked): an object deleted a moment
//     before is created anew, with the finalizer, and the garbage
//     collector deletes it at once; its controller then lets it go as
//     such an object, with nothing outside left to delete.
//   - The finalizer's owner in the object's managed fields is then the
//     composite's field manager rather than the controller's. A later
//     paved that stopped composing it would have the API server drop it
//     from the object (server-side apply removes what only its manager
//     owned); the controller adds it back on its next reconcile, which
//     that very change triggers.
func withControllerFinalizer(obj *structpb.Struct) {
	apiVersion, _ := pb.String(obj, "apiVersion")
	f := ControllerFinalizer(apiVersion)
	md := pb.Struct(obj, "metadata")
	if f == "" || md == nil {
		return
	}
	have := md.GetFields()["finalizers"].GetListValue().GetValues()
	if len(have) == 0 {
		md.Fields["finalizers"] = finalizerLists[f]
		return
	}
	for _, v := range have {
		if v.GetStringValue() == f {
			return
		}
	}
	all := make([]*structpb.Value, 0, len(have)+1)
	all = append(all, have...)
	md.Fields["finalizers"] = pb.List(append(all, pb.Const(f))...)
}
