package fn

import (
	"fmt"
	"strings"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// tenant is a claim and its namespace, as the fuzz targets' hostile second
// tenant plays it.
type tenant struct{ claim, namespace string }

// claimRef is a claim's reference as Crossplane compares it with an XR's
// spec.claimRef: apiVersion, kind, name and namespace (crossplane-runtime
// v2.4.0 pkg/resource/unstructured/claim/claim.go, GetReference).
type claimRef struct{ apiVersion, kind, name, namespace string }

func (r claimRef) String() string {
	return fmt.Sprintf("%s %s/%s (%s)", r.kind, r.namespace, r.name, r.apiVersion)
}

// bindable says whether Crossplane core v2.4.0 lets the claim c bind, and
// force-apply its spec onto, the composite xr that c names in its
// spec.resourceRef: only if xr has no spec.claimRef or its claimRef is c's
// (internal/controller/apiextensions/claim/reconciler.go, Reconcile: "we
// only check the claim ref if the XR has one").
func bindable(xr *structpb.Struct, c claimRef) bool {
	ref := pb.Struct(xr, "spec", "claimRef")
	if ref == nil {
		return true
	}
	got := claimRef{}
	got.apiVersion, _ = pb.String(ref, "apiVersion")
	got.kind, _ = pb.String(ref, "kind")
	got.name, _ = pb.String(ref, "name")
	got.namespace, _ = pb.String(ref, "namespace")
	return got == c
}

// platformNamespaces are the platform's, where composed objects of every
// tenant live: Argo CD's Applications and the providers' secrets.
var platformNamespaces = map[string]bool{env.DefaultArgoCDNamespace: true, env.DefaultConnectionSecretNamespace: true}

// nestedKinds are the composites a ServiceBundle composes, each with the
// kind of claim that could bind it.
var nestedKinds = map[string]string{"XDatabase": "DatabaseClaim", "XBucket": "BucketClaim", "XQueue": "QueueClaim"}

// checkTenantBoundary checks what rsp composed for the tenant own against
// the other tenant other (in another namespace, or in the same with
// another claim name): every nested composite is bound to own's claim
// (ownRef) and no claim of other, nor any other claim of its kind in
// own's namespace, can bind it; no composed object names other's
// namespace (the platform's aside), and every claim label names own.
func checkTenantBoundary(rsp *fnv1.RunFunctionResponse, own, other tenant, ownRef claimRef) []string {
	var errs []string
	for name, r := range rsp.GetDesired().GetResources() {
		o := r.GetResource()
		kind, _ := pb.String(o, "kind")
		if claimKind, nested := nestedKinds[kind]; nested {
			objName, _ := pb.String(o, "metadata", "name")
			if !pb.Has(o, "spec", "claimRef") || !bindable(o, ownRef) {
				errs = append(errs, fmt.Sprintf("%s: spec.claimRef %v is not its owner's %v", name, pb.Get(o, "spec", "claimRef").AsInterface(), ownRef))
			}
			for _, attacker := range []claimRef{
				{ownRef.apiVersion, claimKind, other.claim, other.namespace},
				{ownRef.apiVersion, claimKind, own.claim, own.namespace},
				{ownRef.apiVersion, claimKind, objName, own.namespace},
				{ownRef.apiVersion, ownRef.kind, other.claim, other.namespace},
			} {
				if attacker != ownRef && bindable(o, attacker) {
					errs = append(errs, fmt.Sprintf("%s: the claim %v could bind it (spec.claimRef %v)", name, attacker, pb.Get(o, "spec", "claimRef").AsInterface()))
				}
			}
		}
		if other.namespace != own.namespace && !platformNamespaces[other.namespace] {
			for path, v := range namespaces(o, "", map[string]string{}) {
				if v == other.namespace {
					errs = append(errs, fmt.Sprintf("%s: %s names the other tenant's namespace %q", name, path, v))
				}
			}
		}
		if v, ok := pb.String(o, "metadata", "labels", compose.LabelClaimNamespace); ok && v != own.namespace {
			errs = append(errs, fmt.Sprintf("%s: label %s=%q, want its own claim's %q", name, compose.LabelClaimNamespace, v, own.namespace))
		}
	}
	return errs
}

// namespaces adds to out every field called namespace in o, by its path.
func namespaces(o *structpb.Struct, at string, out map[string]string) map[string]string {
	for k, v := range o.GetFields() {
		p := strings.TrimPrefix(at+"."+k, ".")
		switch {
		case k == "namespace" && v.GetStringValue() != "":
			out[p] = v.GetStringValue()
		case v.GetStructValue() != nil:
			namespaces(v.GetStructValue(), p, out)
		case v.GetListValue() != nil:
			for i, e := range v.GetListValue().GetValues() {
				if s := e.GetStructValue(); s != nil {
					namespaces(s, fmt.Sprintf("%s[%d]", p, i), out)
				}
			}
		}
	}
	return out
}

// checkNoSharedObjects checks that two tenants' composites compose no
// object of the same kind, namespace and name, and no cloud resource of
// the same name: neither tenant's composite could adopt, or overwrite,
// what the other's composed (Crossplane applies a composed object by name).
func checkNoSharedObjects(a, b *fnv1.RunFunctionResponse) []string {
	id := func(o *structpb.Struct) string {
		v, _ := pb.String(o, "apiVersion")
		k, _ := pb.String(o, "kind")
		ns, _ := pb.String(o, "metadata", "namespace")
		n, _ := pb.String(o, "metadata", "name")
		return v + " " + k + " " + ns + "/" + n
	}
	mine := map[string]string{}
	for n, r := range a.GetDesired().GetResources() {
		mine[id(r.GetResource())] = n
	}
	var errs []string
	for n, r := range b.GetDesired().GetResources() {
		if m, ok := mine[id(r.GetResource())]; ok {
			errs = append(errs, fmt.Sprintf("the other tenant's %s and this tenant's %s are both %s", n, m, id(r.GetResource())))
		}
	}
	theirs := cloudNames(b)
	for rule, name := range cloudNames(a) {
		if name != "" && theirs[rule] == name {
			errs = append(errs, fmt.Sprintf("both tenants compose the %s %q", rule.What, name))
		}
	}
	return errs
}
