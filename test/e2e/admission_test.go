//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/paved-dev/paved/test/harness"
)

// The policies of apis/admission/policy.yaml.
const (
	claimsPolicy     = "claims.platform.paved.dev"
	compositesPolicy = "composites.paved.dev"
)

// tenantUser is the team member the tests impersonate: the RBAC a team gets
// (tenantRole) in its namespace, nothing cluster-wide.
const tenantUser = "alice@team-admission"

// policyMessages returns the message of each validation of the named
// policy in apis/admission/policy.yaml, by the field it guards (its first
// word: "spec.resourceRef", ...), so that the tests expect what ships.
func policyMessages(t *testing.T, name string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, o := range readObjects(t, filepath.Join(repoRoot, "apis", "admission", "policy.yaml")) {
		if o.GetKind() != "ValidatingAdmissionPolicy" || o.GetName() != name {
			continue
		}
		vs, _, _ := unstructured.NestedSlice(o.Object, "spec", "validations")
		for _, v := range vs {
			msg, _ := v.(map[string]any)["message"].(string)
			out[strings.Fields(msg)[0]] = msg
		}
		// The identity it exempts is the one core runs as here.
		conds, _, _ := unstructured.NestedSlice(o.Object, "spec", "matchConditions")
		if len(conds) != 1 || !strings.Contains(fmt.Sprint(conds[0].(map[string]any)["expression"]), "'"+harness.CrossplaneUser+"'") {
			t.Fatalf("ValidatingAdmissionPolicy %s: matchConditions %v, want one exempting %s", name, conds, harness.CrossplaneUser)
		}
	}
	if len(out) == 0 {
		t.Fatalf("apis/admission/policy.yaml has no ValidatingAdmissionPolicy %s with messages", name)
	}
	return out
}

// tenantRole is what a team gets in its namespace for paved's kinds.
func tenantRole(ns string) []client.Object {
	verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	return []client.Object{
		&rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "paved-tenant"},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{group}, Resources: []string{"databaseclaims", "bucketclaims", "servicebundles"}, Verbs: verbs},
				{APIGroups: []string{"paved.dev"}, Resources: []string{"buckets", "databases", "servicebundles"}, Verbs: verbs},
			},
		},
		&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "paved-tenant"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "paved-tenant"},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: tenantUser}},
		},
	}
}

// clientFor is a client with cfg's identity.
func clientFor(t *testing.T, cfg *rest.Config) client.Client {
	t.Helper()
	c, err := client.New(cfg, client.Options{Scheme: cp.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// refusedBy checks that err is the API server's refusal of a request by
// the named admission policy with want, its message.
func refusedBy(t *testing.T, what string, err error, policy, want string) {
	t.Helper()
	// k8s.io/apiserver v0.35.3 pkg/admission/plugin/policy/validating/
	// dispatcher.go: "ValidatingAdmissionPolicy '%s' with binding '%s'
	// denied request: %s", with the validation's reason (Forbidden: 403).
	prefix := fmt.Sprintf("ValidatingAdmissionPolicy '%s' with binding '%s' denied request: ", policy, policy)
	if err == nil {
		t.Errorf("%s: accepted, want refused by %s with %q", what, policy, want)
		return
	}
	if !kerrors.IsForbidden(err) || !strings.Contains(err.Error(), prefix+want) {
		t.Errorf("%s: %v\nwant Forbidden: %s%s", what, err, prefix, want)
	}
}

// TestClaimAdmission: paved's admission policy, as testInstall applies it
// from apis/admission/policy.yaml, on a real API server, against a team
// member impersonated with the RBAC a team gets for paved's kinds in its
// namespace (tenantRole). The platform makes an XDatabase without a claim,
// bound to itself in spec.claimRef, which composes; one without
// spec.claimRef composes nothing (reason Unbound). The tenant's
// DatabaseClaim naming the platform's composite in spec.resourceRef, or
// choosing a new composite's name there, is refused with the policy's
// message, and so is the cluster admin's; with Crossplane's own identity
// the claim passes the policy and Crossplane refuses the binding, changing
// nothing. Claims setting compositionRef, compositionSelector,
// compositionRevisionRef, compositionRevisionSelector or
// compositionUpdatePolicy Manual are refused; Automatic, the default,
// passes. An ordinary BucketClaim of the tenant binds (Crossplane writes
// spec.resourceRef and the enforced compositionRef back to it) and reaches
// Ready; the tenant's updates that keep what Crossplane wrote pass, and
// changing or removing spec.resourceRef or pinning a revision is refused.
// The namespaced Bucket and Database (paved.dev) refuse the same fields
// under spec.crossplane, and resourceRefs.
func TestClaimAdmission(t *testing.T) {
	requireInstalled(t)
	ctx := context.Background()
	const ns = "team-admission"
	createNamespace(ctx, t, ns)
	for _, o := range tenantRole(ns) {
		if err := cp.Client.Create(ctx, o); err != nil && !kerrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	tenantCfg := rest.CopyConfig(cp.Config)
	tenantCfg.Impersonate = rest.ImpersonationConfig{UserName: tenantUser, Groups: []string{"system:authenticated"}}
	tenant := clientFor(t, tenantCfg)
	crossplane := clientFor(t, cp.CrossplaneConfig)
	msgs := policyMessages(t, claimsPolicy)

	// The tenant's RBAC is in force (the authorizer's cache) once an
	// ordinary claim passes a dry run.
	eventually(ctx, t, time.Minute, "the tenant may create claims in "+ns, func(ctx context.Context) error {
		return tenant.Create(ctx, newClaim("DatabaseClaim", ns, "probe", map[string]any{"engine": "postgresql", "size": "small"}), client.DryRunAll)
	})

	// The platform's composites, made without a claim.
	const platformDB, unboundDB = "platform-reports", "platform-unbound"
	platform := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": claimVersion, "kind": "XDatabase", "metadata": map[string]any{"name": platformDB},
		"spec": map[string]any{"engine": "postgresql", "size": "small",
			// compose.PlatformClaimRef: the composite itself, no namespace.
			"claimRef": map[string]any{"apiVersion": claimVersion, "kind": "XDatabase", "name": platformDB, "namespace": ""}},
	}}
	unbound := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": claimVersion, "kind": "XDatabase", "metadata": map[string]any{"name": unboundDB},
		"spec": map[string]any{"engine": "postgresql", "size": "small"},
	}}
	for _, xr := range []*unstructured.Unstructured{platform, unbound} {
		if err := cp.Client.Create(ctx, xr); err != nil {
			t.Fatal(err)
		}
	}
	var before *unstructured.Unstructured
	eventually(ctx, t, waitLimit, "the platform's XDatabase "+platformDB+" (bound to itself) composes", func(ctx context.Context) error {
		u, err := get(ctx, claimVersion, "XDatabase", "", platformDB)
		if err != nil {
			return err
		}
		if _, ok := kinds(resourceRefs(u))["Instance"]; !ok {
			return fmt.Errorf("no Instance yet: %v; conditions: %s", resourceRefs(u), conditionsString(u))
		}
		before = u
		return nil
	})
	eventually(ctx, t, invalidWaitLimit, "XDatabase "+unboundDB+" (no spec.claimRef) is refused", func(ctx context.Context) error {
		u, err := get(ctx, claimVersion, "XDatabase", "", unboundDB)
		if err != nil {
			return err
		}
		if s, reason, msg := condition(u, "DatabaseReady"); s != "False" || reason != "Unbound" || !strings.Contains(msg, "has no spec.claimRef") {
			return fmt.Errorf("want DatabaseReady=False reason Unbound (function-paved); conditions: %s", conditionsString(u))
		}
		if refs := resourceRefs(u); len(refs) > 0 {
			return fmt.Errorf("an unbound composite composed %v", refs)
		}
		return nil
	})

	// (a) Naming a composite in spec.resourceRef: the platform's, the
	// unbound one, or a name of the tenant's choosing.
	for _, target := range []string{platformDB, unboundDB, "chosen-by-tenant"} {
		claim := newClaim("DatabaseClaim", ns, "steal-"+target, map[string]any{"engine": "postgresql", "size": "large",
			"writeConnectionSecretToRef": map[string]any{"name": "stolen"},
			"resourceRef":                map[string]any{"apiVersion": claimVersion, "kind": "XDatabase", "name": target}})
		refusedBy(t, "the tenant's DatabaseClaim naming XDatabase "+target, tenant.Create(ctx, claim.DeepCopy()), claimsPolicy, msgs["spec.resourceRef"])
		if target == platformDB {
			refusedBy(t, "the cluster admin's DatabaseClaim naming XDatabase "+target, cp.Client.Create(ctx, claim.DeepCopy()), claimsPolicy, msgs["spec.resourceRef"])
		}
	}
	// Crossplane's identity passes the policy (it writes spec.resourceRef
	// itself); with a cluster missing the policy, Crossplane still refuses
	// to bind a composite whose spec.claimRef names another claim
	// (crossplane v2.4.0 claim/reconciler.go, errFmtUnbound).
	bypass := newClaim("DatabaseClaim", ns, "bypass", map[string]any{"engine": "mysql", "size": "large",
		"resourceRef": map[string]any{"apiVersion": claimVersion, "kind": "XDatabase", "name": platformDB}})
	if err := crossplane.Create(ctx, bypass); err != nil {
		t.Fatalf("Crossplane's identity: %v", err)
	}
	want := fmt.Sprintf("refusing to operate on composite resource %q that is not bound to this claim: bound to claim %q", platformDB, platformDB)
	waitCondition(ctx, t, waitLimit, claimVersion, "DatabaseClaim", ns, "bypass", "Synced", "False")
	if c, err := get(ctx, claimVersion, "DatabaseClaim", ns, "bypass"); err != nil {
		t.Fatal(err)
	} else if _, _, msg := condition(c, "Synced"); !strings.Contains(msg, want) {
		t.Errorf("DatabaseClaim %s/bypass: Synced message %q, want %q", ns, msg, want)
	}
	if err := cp.Client.Delete(ctx, bypass); err != nil {
		t.Fatal(err)
	}
	eventually(ctx, t, waitLimit, "DatabaseClaim "+ns+"/bypass gone", func(ctx context.Context) error {
		return absent(ctx, claimVersion, "DatabaseClaim", ns, "bypass")
	})
	after, err := get(ctx, claimVersion, "XDatabase", "", platformDB)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "the platform's XDatabase spec after the attempts", after.Object["spec"], before.Object["spec"])
	if after.GetDeletionTimestamp() != nil {
		t.Errorf("the platform's XDatabase %s is being deleted", platformDB)
	}

	// (b) Choosing the Composition or its revision.
	for _, tc := range []struct {
		field string
		value any
	}{
		{"compositionRef", map[string]any{"name": "xdatabases.aws.platform.paved.dev"}},
		{"compositionSelector", map[string]any{"matchLabels": map[string]any{"channel": "old"}}},
		{"compositionRevisionRef", map[string]any{"name": "xdatabases.aws.platform.paved.dev-0000000"}},
		{"compositionRevisionSelector", map[string]any{"matchLabels": map[string]any{"channel": "old"}}},
		{"compositionUpdatePolicy", "Manual"},
	} {
		claim := newClaim("DatabaseClaim", ns, "pin-"+strings.ToLower(tc.field), map[string]any{"engine": "postgresql", "size": "small", tc.field: tc.value})
		refusedBy(t, "the tenant's DatabaseClaim with spec."+tc.field, tenant.Create(ctx, claim), claimsPolicy, msgs["spec."+tc.field])
	}
	if err := tenant.Create(ctx, newClaim("DatabaseClaim", ns, "automatic", map[string]any{"engine": "postgresql", "size": "small",
		"compositionUpdatePolicy": "Automatic"}), client.DryRunAll); err != nil {
		t.Errorf("the tenant's DatabaseClaim with compositionUpdatePolicy Automatic (the default): %v", err)
	}

	// (c) An ordinary claim binds and reaches Ready: Crossplane's own
	// writes to it pass.
	r := &claimRun{kind: "BucketClaim", namespace: ns, name: "assets", client: tenant, want: []string{
		"Bucket", "BucketVersioning", "BucketServerSideEncryptionConfiguration", "BucketPublicAccessBlock",
		"BucketOwnershipControls", "BucketPolicy", "BucketLifecycleConfiguration",
	}, usages: 6}
	r.create(ctx, t, newClaim(r.kind, ns, r.name, map[string]any{}))
	expect(t, "XBucket spec.compositionRef (enforced)", field(r.xr, "spec", "compositionRef"), map[string]any{"name": "xbuckets.aws.platform.paved.dev"})
	providerBegin := time.Now()
	bucket := r.composedResource(ctx, t, "Bucket")
	name := bucket.GetAnnotations()["crossplane.io/external-name"]
	for _, k := range r.want {
		at := map[string]any{"id": name}
		if k == "Bucket" {
			at = map[string]any{"id": name, "arn": "arn:aws:s3:::" + name, "region": mustString(t, bucket, "spec", "forProvider", "region")}
		}
		if err := markReady(ctx, r.refs[k], at); err != nil {
			t.Fatalf("provider step, %s: %v", k, err)
		}
	}
	r.ready(ctx, t, time.Now(), time.Since(providerBegin))
	read := func() *unstructured.Unstructured {
		t.Helper()
		u := newClaim(r.kind, ns, r.name, nil)
		if err := tenant.Get(ctx, client.ObjectKeyFromObject(u), u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	// update reads the claim as the tenant, changes it and updates it,
	// again while Crossplane's own updates of the claim come between.
	update := func(change func(u *unstructured.Unstructured)) error {
		for attempt := 1; ; attempt++ {
			u := read()
			change(u)
			if err := tenant.Update(ctx, u); !kerrors.IsConflict(err) || attempt == 10 {
				return err
			}
		}
	}
	c := read()
	expect(t, "BucketClaim spec.resourceRef (Crossplane's)", field(c, "spec", "resourceRef", "name"), r.xr.GetName())
	expect(t, "BucketClaim spec.compositionRef (Crossplane's, from the composite)", field(c, "spec", "compositionRef"), map[string]any{"name": "xbuckets.aws.platform.paved.dev"})

	// The tenant's updates: what Crossplane wrote comes back unchanged.
	if err := update(func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(u.Object, int64(30), "spec", "noncurrentVersionExpirationDays")
	}); err != nil {
		t.Errorf("the tenant's update of its BucketClaim's own field: %v", err)
	}
	for _, tc := range []struct {
		what, msg string
		change    func(u *unstructured.Unstructured)
	}{
		{"changes spec.resourceRef", "spec.resourceRef", func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, platformDB, "spec", "resourceRef", "name")
		}},
		{"removes spec.resourceRef", "spec.resourceRef", func(u *unstructured.Unstructured) {
			unstructured.RemoveNestedField(u.Object, "spec", "resourceRef")
		}},
		{"sets compositionUpdatePolicy Manual", "spec.compositionUpdatePolicy", func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, "Manual", "spec", "compositionUpdatePolicy")
		}},
		{"pins a compositionRevisionRef", "spec.compositionRevisionRef", func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, "xbuckets.aws.platform.paved.dev-0000000", "spec", "compositionRevisionRef", "name")
		}},
		{"changes compositionRef", "spec.compositionRef", func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, "another", "spec", "compositionRef", "name")
		}},
	} {
		refusedBy(t, "the tenant's update that "+tc.what, update(tc.change), claimsPolicy, msgs[tc.msg])
	}
	expect(t, "BucketClaim spec.resourceRef after the refused updates", field(read(), "spec", "resourceRef", "name"), r.xr.GetName())
	r.delete(ctx, t, "")

	// The namespaced composites (Crossplane v2, no claim): the same fields
	// under spec.crossplane, in dry runs.
	requireNamespacedInstalled(t) // apis/bucket-v2
	for _, dir := range []string{"database-v2", "servicebundle-v2"} {
		xrd := readObjects(t, filepath.Join(repoRoot, "apis", dir, "definition.yaml"))
		createAll(ctx, t, xrd...)
		waitCondition(ctx, t, 2*time.Minute, xrd[0].GetAPIVersion(), "CompositeResourceDefinition", "", xrd[0].GetName(), "Established", "True")
	}
	nsMsgs := policyMessages(t, compositesPolicy)
	for _, k := range []struct {
		kind string
		spec map[string]any
	}{
		{"Bucket", map[string]any{}},
		{"Database", map[string]any{"engine": "postgresql", "size": "small"}},
		{"ServiceBundle", map[string]any{"description": "d", "template": "go-service"}},
	} {
		composite := func(crossplane map[string]any) *unstructured.Unstructured {
			spec := maps.Clone(k.spec)
			if crossplane != nil {
				spec["crossplane"] = crossplane
			}
			return &unstructured.Unstructured{Object: map[string]any{"apiVersion": namespacedVersion, "kind": k.kind,
				"metadata": map[string]any{"namespace": ns, "name": "ns-" + strings.ToLower(k.kind)}, "spec": spec}}
		}
		eventually(ctx, t, time.Minute, "the tenant may create a "+k.kind, func(ctx context.Context) error {
			return tenant.Create(ctx, composite(nil), client.DryRunAll)
		})
		for _, tc := range []struct {
			field string
			value any
		}{
			{"compositionRef", map[string]any{"name": "another"}},
			{"compositionSelector", map[string]any{"matchLabels": map[string]any{"channel": "old"}}},
			{"compositionRevisionRef", map[string]any{"name": "another-0000000"}},
			{"compositionRevisionSelector", map[string]any{"matchLabels": map[string]any{"channel": "old"}}},
			{"compositionUpdatePolicy", "Manual"},
			{"resourceRefs", []any{map[string]any{"apiVersion": "v1", "kind": "Secret", "name": "someone-elses"}}},
		} {
			refusedBy(t, "the tenant's "+k.kind+" with spec.crossplane."+tc.field, tenant.Create(ctx, composite(map[string]any{tc.field: tc.value}), client.DryRunAll),
				compositesPolicy, nsMsgs["spec.crossplane."+tc.field])
		}
		if err := tenant.Create(ctx, composite(map[string]any{"compositionUpdatePolicy": "Automatic"}), client.DryRunAll); err != nil {
			t.Errorf("the tenant's %s with compositionUpdatePolicy Automatic (the default): %v", k.kind, err)
		}
		if err := crossplane.Create(ctx, composite(map[string]any{"compositionUpdatePolicy": "Manual"}), client.DryRunAll); err != nil {
			t.Errorf("Crossplane's identity, a %s with compositionUpdatePolicy Manual: %v", k.kind, err)
		}
	}

	for _, xr := range []*unstructured.Unstructured{platform, unbound} {
		if err := cp.Client.Delete(ctx, xr); err != nil {
			t.Errorf("delete XDatabase %s: %v", xr.GetName(), err)
		}
	}
}
