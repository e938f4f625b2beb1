//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// waitLimit bounds every wait: only how long a failing test hangs.
	waitLimit = 3 * time.Minute
)

// claimRun follows one claim from creation to Ready and deletion, and
// keeps the figures.
type claimRun struct {
	kind, namespace, name string
	want                  []string // composed kinds
	usages                int      // composed ClusterUsages
	// client creates the claim: a tenant's (TestClaimAdmission), or
	// cp.Client, the cluster admin, when nil.
	client client.Client

	created   time.Time
	composed  time.Duration // claim created -> every composed resource exists
	xr        *unstructured.Unstructured
	refs      map[string]ref
	usageRefs []ref
}

func newClaim(kind, namespace, name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": claimVersion,
		"kind":       kind,
		"metadata":   map[string]any{"name": name, "namespace": namespace},
		"spec":       spec,
	}}
	return u
}

// create creates the claim and waits until the composite exists and every
// composed resource it lists is in the API server.
func (r *claimRun) create(ctx context.Context, t *testing.T, claim *unstructured.Unstructured) {
	t.Helper()
	r.created = time.Now()
	c := r.client
	if c == nil {
		c = cp.Client
	}
	if err := c.Create(ctx, claim); err != nil {
		t.Fatalf("create %s %s/%s: %v", r.kind, r.namespace, r.name, err)
	}
	r.composed = eventually(ctx, t, waitLimit, fmt.Sprintf("%s %s/%s composes %v", r.kind, r.namespace, r.name, r.want), func(ctx context.Context) error {
		c, err := get(ctx, claimVersion, r.kind, r.namespace, r.name)
		if err != nil {
			return err
		}
		xrName, _, _ := unstructured.NestedString(c.Object, "spec", "resourceRef", "name")
		xrKind, _, _ := unstructured.NestedString(c.Object, "spec", "resourceRef", "kind")
		if xrName == "" {
			return fmt.Errorf("claim has no spec.resourceRef yet; conditions: %s", conditionsString(c))
		}
		xr, err := get(ctx, claimVersion, xrKind, "", xrName)
		if err != nil {
			return err
		}
		all := resourceRefs(xr)
		var usages []ref
		for _, rf := range all {
			if rf.Kind == "ClusterUsage" {
				usages = append(usages, rf)
				if _, err := get(ctx, rf.APIVersion, rf.Kind, "", rf.Name); err != nil {
					return err
				}
			}
		}
		refs := kinds(all)
		delete(refs, "ClusterUsage")
		for _, k := range r.want {
			rf, ok := refs[k]
			if !ok {
				return fmt.Errorf("composite %s lists %v, no %s yet; conditions: %s", xrName, refs, k, conditionsString(xr))
			}
			if _, err := get(ctx, rf.APIVersion, rf.Kind, "", rf.Name); err != nil {
				return err
			}
		}
		if len(refs) != len(r.want) || len(usages) != r.usages || len(all) != len(r.want)+r.usages {
			return fmt.Errorf("composite %s lists %d resources %v, want exactly %v and %d ClusterUsages", xrName, len(all), all, r.want, r.usages)
		}
		r.xr, r.refs, r.usageRefs = xr, refs, usages
		return nil
	})
	t.Logf("figure: %s %s/%s: composed %d resources %.2fs after the claim was created", r.kind, r.namespace, r.name, len(r.refs)+len(r.usageRefs), r.composed.Seconds())
}

// composed reads a composed resource back from the API server.
func (r *claimRun) composedResource(ctx context.Context, t *testing.T, kind string) *unstructured.Unstructured {
	t.Helper()
	rf := r.refs[kind]
	u, err := get(ctx, rf.APIVersion, rf.Kind, "", rf.Name)
	if err != nil {
		t.Fatalf("%s: %v", rf, err)
	}
	return u
}

// checkOwnership checks what garbage collection and the claim's owner rely
// on: every composed resource is controlled by the composite and labelled
// with the claim.
func (r *claimRun) checkOwnership(ctx context.Context, t *testing.T) {
	t.Helper()
	for _, k := range r.want {
		u := r.composedResource(ctx, t, k)
		var controlled bool
		for _, o := range u.GetOwnerReferences() {
			if o.UID == r.xr.GetUID() && o.Controller != nil && *o.Controller {
				controlled = true
			}
		}
		if !controlled {
			t.Errorf("%s %s is not controlled by composite %s: ownerReferences %v", k, u.GetName(), r.xr.GetName(), u.GetOwnerReferences())
		}
		expect(t, k+" label crossplane.io/claim-name", u.GetLabels()["crossplane.io/claim-name"], r.name)
		expect(t, k+" label crossplane.io/claim-namespace", u.GetLabels()["crossplane.io/claim-namespace"], r.namespace)
	}
}

// notReadyYet checks that the claim waits for the provider: nothing is
// Ready before the managed resources are.
func (r *claimRun) notReadyYet(ctx context.Context, t *testing.T) {
	t.Helper()
	c, err := get(ctx, claimVersion, r.kind, r.namespace, r.name)
	if err != nil {
		t.Fatal(err)
	}
	if s, _, _ := condition(c, "Ready"); s == "True" {
		t.Errorf("%s %s/%s is Ready before any managed resource is: %s", r.kind, r.namespace, r.name, conditionsString(c))
	}
}

// ready waits for the claim to become Ready after the simulated provider
// step ended, and reports the figures.
func (r *claimRun) ready(ctx context.Context, t *testing.T, providerDone time.Time, providerStep time.Duration) *unstructured.Unstructured {
	t.Helper()
	c, _ := waitCondition(ctx, t, waitLimit, claimVersion, r.kind, r.namespace, r.name, "Ready", "True")
	d := time.Since(providerDone) // from the end of the provider step
	t.Logf("figure: %s %s/%s: Ready %.2fs after the provider step (provider step %.2fs); claim created -> Ready excluding the provider step: %.2fs",
		r.kind, r.namespace, r.name, d.Seconds(), providerStep.Seconds(), (r.composed + d).Seconds())
	return c
}

// all is every composed resource, ClusterUsages included.
func (r *claimRun) all() []ref {
	out := append([]ref{}, r.usageRefs...)
	for _, k := range r.want {
		out = append(out, r.refs[k])
	}
	return out
}

// delete deletes the claim and waits until the composite, every composed
// resource and the claim's connection secret are gone.
func (r *claimRun) delete(ctx context.Context, t *testing.T, secret string) {
	t.Helper()
	begin := time.Now()
	c, err := get(ctx, claimVersion, r.kind, r.namespace, r.name)
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.Client.Delete(ctx, c); err != nil {
		t.Fatal(err)
	}
	r.gone(ctx, t, secret)
	t.Logf("figure: %s %s/%s: claim, composite and %d composed resources gone %.2fs after deleting the claim", r.kind, r.namespace, r.name, len(r.all()), time.Since(begin).Seconds())
}

// gone waits until the claim, the composite, every composed resource and
// the claim's connection secret are gone.
func (r *claimRun) gone(ctx context.Context, t *testing.T, secret string) {
	t.Helper()
	eventually(ctx, t, waitLimit, fmt.Sprintf("%s %s/%s and what it composed are deleted", r.kind, r.namespace, r.name), func(ctx context.Context) error {
		var left []string
		if _, err := get(ctx, claimVersion, r.kind, r.namespace, r.name); !kerrors.IsNotFound(err) {
			left = append(left, "claim")
		}
		if _, err := get(ctx, r.xr.GetAPIVersion(), r.xr.GetKind(), "", r.xr.GetName()); !kerrors.IsNotFound(err) {
			left = append(left, "composite "+r.xr.GetName())
		}
		for _, rf := range r.all() {
			if _, err := get(ctx, rf.APIVersion, rf.Kind, "", rf.Name); !kerrors.IsNotFound(err) {
				left = append(left, rf.String())
			}
		}
		if secret != "" {
			if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: r.namespace, Name: secret}, &corev1.Secret{}); !kerrors.IsNotFound(err) {
				left = append(left, "Secret "+secret)
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("still there: %v", left)
		}
		return nil
	})
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// uidDigest is the part of cloud names a claim's author cannot choose: the
// first 12 hex digits of the SHA-256 of the composite's uid.
func uidDigest(xr *unstructured.Unstructured) string {
	h := sha256.Sum256([]byte(xr.GetUID()))
	return hex.EncodeToString(h[:])[:12]
}

// checkSelects checks that u binds its sibling of kind by a selector that
// only an object of the same composite matches (matchControllerRef), and
// that the sibling carries the selector's labels.
func (r *claimRun) checkSelects(ctx context.Context, t *testing.T, u *unstructured.Unstructured, selector, kind string) {
	t.Helper()
	sel, _ := field(u, "spec", "forProvider", selector).(map[string]any)
	if sel == nil {
		t.Errorf("%s %s has no spec.forProvider.%s", u.GetKind(), u.GetName(), selector)
		return
	}
	expect(t, u.GetKind()+" "+selector+".matchControllerRef", sel["matchControllerRef"], true)
	labels, _ := sel["matchLabels"].(map[string]any)
	if len(labels) == 0 {
		t.Errorf("%s %s: %s has no matchLabels", u.GetKind(), u.GetName(), selector)
	}
	target := r.composedResource(ctx, t, kind)
	for k, v := range labels {
		expect(t, kind+" label "+k+" (selected by "+u.GetKind()+")", target.GetLabels()[k], v)
	}
}

// TestDatabaseClaim: a DatabaseClaim in a team namespace composes a private,
// encrypted, deletion-protected RDS instance with its subnet group, security
// group and ingress rule; once the provider (played by the test) reports
// them ready and writes the instance's connection secret, the claim is Ready
// with endpoint and port in its status and a connection secret with
// endpoint, port, username and password in the team namespace. Deleting the
// claim garbage-collects everything it composed.
func TestDatabaseClaim(t *testing.T) {
	requireInstalled(t)
	ctx := context.Background()
	const ns, name, secret = "team-orders", "orders-db", "orders-db-conn"
	createNamespace(ctx, t, ns)

	r := &claimRun{kind: "DatabaseClaim", namespace: ns, name: name,
		want: []string{"SubnetGroup", "SecurityGroup", "SecurityGroupRule", "ParameterGroup", "Instance"}, usages: 4}
	r.create(ctx, t, newClaim(r.kind, ns, name, map[string]any{
		"engine":                     "postgresql",
		"size":                       "small",
		"version":                    "16",
		"storageGB":                  int64(50),
		"writeConnectionSecretToRef": map[string]any{"name": secret},
	}))
	r.checkOwnership(ctx, t)

	// The secure settings, as the API server stored them.
	inst := r.composedResource(ctx, t, "Instance")
	fp := func(k string) any { return field(inst, "spec", "forProvider", k) }
	for k, want := range map[string]any{
		"engine":                 "postgres",
		"engineVersion":          "16",
		"allocatedStorage":       50,
		"storageEncrypted":       true,
		"publiclyAccessible":     false,
		"deletionProtection":     true,
		"skipFinalSnapshot":      false,
		"multiAz":                true,
		"autoGeneratePassword":   true,
		"deleteAutomatedBackups": false,
		"copyTagsToSnapshot":     true,
		"port":                   5432,
	} {
		expect(t, "Instance spec.forProvider."+k, fp(k), want)
	}
	if s, _ := fp("finalSnapshotIdentifier").(string); s == "" {
		t.Errorf("Instance spec.forProvider.finalSnapshotIdentifier is empty: no final snapshot on deletion")
	}
	if n, _ := fp("backupRetentionPeriod").(int64); n < 7 {
		t.Errorf("Instance spec.forProvider.backupRetentionPeriod = %v, want at least 7 days", fp("backupRetentionPeriod"))
	}
	if fp("password") != nil {
		t.Errorf("Instance spec.forProvider carries a password: %v", fp("password"))
	}
	expect(t, "Instance spec.forProvider.parameterGroupNameSelector", fp("parameterGroupNameSelector"),
		map[string]any{"matchControllerRef": true, "matchLabels": map[string]any{"app.kubernetes.io/name": "parameter-group-postgres16"}, "policy": map[string]any{"resolve": "Always", "resolution": "Required"}}) // resolution: the CRD's default
	pg := r.composedResource(ctx, t, "ParameterGroup")
	expect(t, "ParameterGroup family", field(pg, "spec", "forProvider", "family"), "postgres16")
	// Bound to the subnet group and security group of its own composite.
	r.checkSelects(ctx, t, inst, "dbSubnetGroupNameSelector", "SubnetGroup")
	r.checkSelects(ctx, t, inst, "vpcSecurityGroupIdSelector", "SecurityGroup")
	// Cloud names carry the digest of the composite's uid.
	id := uidDigest(r.xr)
	expect(t, "Instance identifier", fp("identifier"), r.xr.GetName()+"-"+id)
	expect(t, "Instance finalSnapshotIdentifier", fp("finalSnapshotIdentifier"), r.xr.GetName()+"-"+id+"-final")
	sg := r.composedResource(ctx, t, "SecurityGroup")
	expect(t, "SecurityGroup name", field(sg, "spec", "forProvider", "name"), r.xr.GetName()+"-"+id)
	subnets := r.composedResource(ctx, t, "SubnetGroup")
	expect(t, "SubnetGroup external name", subnets.GetAnnotations()["crossplane.io/external-name"], r.xr.GetName()+"-"+id)
	expect(t, "ParameterGroup external name", pg.GetAnnotations()["crossplane.io/external-name"], r.xr.GetName()+"-"+id+"-postgres16")
	connNS := mustString(t, inst, "spec", "writeConnectionSecretToRef", "namespace")
	connName := mustString(t, inst, "spec", "writeConnectionSecretToRef", "name")

	rule := r.composedResource(ctx, t, "SecurityGroupRule")
	r.checkSelects(ctx, t, rule, "securityGroupIdSelector", "SecurityGroup")
	expect(t, "SecurityGroupRule type", field(rule, "spec", "forProvider", "type"), "ingress")
	expect(t, "SecurityGroupRule fromPort", field(rule, "spec", "forProvider", "fromPort"), 5432)
	expect(t, "SecurityGroupRule toPort", field(rule, "spec", "forProvider", "toPort"), 5432)
	cidrs, _ := field(rule, "spec", "forProvider", "cidrBlocks").([]any)
	if len(cidrs) == 0 {
		t.Errorf("SecurityGroupRule has no cidrBlocks")
	}
	for _, c := range cidrs {
		if c == "0.0.0.0/0" {
			t.Errorf("SecurityGroupRule opens the database to the internet: %v", cidrs)
		}
	}
	r.notReadyYet(ctx, t)

	// Play provider-aws.
	providerBegin := time.Now()
	address := name + ".c9akciq32.eu-west-1.rds.amazonaws.com"
	password := randomString(16)
	if err := writeSecret(ctx, connNS, connName, map[string]string{
		"username": "paved",
		"password": password,
		"endpoint": address + ":5432",
		"address":  address,
		"port":     "5432",
	}); err != nil {
		t.Fatal(err)
	}
	for _, k := range r.want {
		var at map[string]any
		switch k {
		case "Instance":
			at = map[string]any{"address": address, "endpoint": address + ":5432", "port": int64(5432), "id": "db-" + strings.ToUpper(randomString(8))}
		case "SecurityGroup":
			at = map[string]any{"id": "sg-" + randomString(8)}
		default:
			at = map[string]any{"id": r.refs[k].Name}
		}
		if err := markReady(ctx, r.refs[k], at); err != nil {
			t.Fatalf("provider step, %s: %v", k, err)
		}
	}
	providerStep := time.Since(providerBegin)

	claim := r.ready(ctx, t, time.Now(), providerStep)
	expect(t, "DatabaseClaim status.endpoint", field(claim, "status", "endpoint"), address)
	expect(t, "DatabaseClaim status.port", field(claim, "status", "port"), 5432)

	got := &corev1.Secret{}
	eventually(ctx, t, waitLimit, "the claim's connection secret", func(ctx context.Context) error {
		if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: secret}, got); err != nil {
			// Crossplane propagates the composite's connection secret,
			// which exists only if the Composition names
			// writeConnectionSecretsToNamespace.
			xr, xerr := get(ctx, r.xr.GetAPIVersion(), r.xr.GetKind(), "", r.xr.GetName())
			if xerr != nil {
				return errors.Join(err, xerr)
			}
			return fmt.Errorf("%w (composite spec.writeConnectionSecretToRef: %v)", err, field(xr, "spec", "writeConnectionSecretToRef"))
		}
		if len(got.Data["password"]) == 0 {
			return fmt.Errorf("keys %v, no password yet", keys(got.Data))
		}
		return nil
	})
	for k, want := range map[string]string{
		"endpoint": address, "port": "5432", "username": "paved", "password": password,
		"sslmode": "verify-full", "caCertIdentifier": "rds-ca-rsa2048-g1",
		"caBundleURL": "https://truststore.pki.rds.amazonaws.com/eu-west-1/eu-west-1-bundle.pem",
	} {
		expect(t, "claim connection secret "+k, string(got.Data[k]), want)
	}

	// Deleting the claim: RDS refuses to delete the deletion-protected
	// instance, so provider-aws keeps it, and nothing that protects or
	// reaches it goes. The operator lifts deletion protection; then the
	// instance goes (with its final snapshot) and everything else follows.
	r.deleteProtected(ctx, t, "Instance", []string{"SecurityGroup", "SecurityGroupRule", "SubnetGroup", "ParameterGroup"}, deletionRefusal{
		// RDS's answer to DeleteDBInstance while deletion protection is on
		// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html:
		// "You can't delete a DB instance when deletion protection is
		// turned on"), as provider-aws reports it.
		message: "delete failed: deleting RDS DB Instance (" + mustString(t, inst, "spec", "forProvider", "identifier") +
			"): operation error RDS: DeleteDBInstance, api error InvalidParameterCombination: Cannot delete protected DB Instance, please disable deletion protection and try again.",
		canDelete: func(u *unstructured.Unstructured) bool {
			on, _, _ := unstructured.NestedBool(u.Object, "spec", "forProvider", "deletionProtection")
			return !on
		},
	}, func(ctx context.Context) error {
		// README, Decommission: the platform operator lifts deletion
		// protection on the Instance. The composite is being deleted, so
		// it no longer puts deletionProtection back.
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(inst.GroupVersionKind())
		u.SetName(inst.GetName())
		return cp.Client.Patch(ctx, u, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"forProvider":{"deletionProtection":false}}}`)))
	}, secret)
}

// TestBucketClaim: a BucketClaim composes a versioned, KMS-encrypted,
// private, TLS-only bucket; once the provider reports it ready the claim is
// Ready with bucket name, ARN and region in its status. Deleting the claim
// garbage-collects everything it composed.
func TestBucketClaim(t *testing.T) {
	requireInstalled(t)
	ctx := context.Background()
	const ns, name = "team-media", "uploads"
	createNamespace(ctx, t, ns)

	r := &claimRun{kind: "BucketClaim", namespace: ns, name: name, want: []string{
		"Bucket", "BucketVersioning", "BucketServerSideEncryptionConfiguration", "BucketPublicAccessBlock",
		"BucketOwnershipControls", "BucketPolicy", "BucketLifecycleConfiguration",
	}, usages: 6}
	r.create(ctx, t, newClaim(r.kind, ns, name, map[string]any{}))
	r.checkOwnership(ctx, t)

	bucket := r.composedResource(ctx, t, "Bucket")
	region := mustString(t, bucket, "spec", "forProvider", "region")
	expect(t, "Bucket forceDestroy", field(bucket, "spec", "forProvider", "forceDestroy"), false)

	first := func(u *unstructured.Unstructured, path ...string) map[string]any {
		l, _ := field(u, path...).([]any)
		if len(l) == 0 {
			t.Errorf("%s %s: no %s", u.GetKind(), u.GetName(), strings.Join(path, "."))
			return map[string]any{}
		}
		m, _ := l[0].(map[string]any)
		return m
	}
	for _, k := range r.want[1:] {
		u := r.composedResource(ctx, t, k)
		r.checkSelects(ctx, t, u, "bucketSelector", "Bucket")
		switch k {
		case "BucketVersioning":
			expect(t, "BucketVersioning status", first(u, "spec", "forProvider", "versioningConfiguration")["status"], "Enabled")
		case "BucketServerSideEncryptionConfiguration":
			sse, _ := first(u, "spec", "forProvider", "rule")["applyServerSideEncryptionByDefault"].([]any)
			alg := ""
			if len(sse) > 0 {
				alg, _ = sse[0].(map[string]any)["sseAlgorithm"].(string)
			}
			expect(t, "BucketServerSideEncryptionConfiguration sseAlgorithm", alg, "aws:kms")
		case "BucketPublicAccessBlock":
			for _, f := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
				expect(t, "BucketPublicAccessBlock "+f, field(u, "spec", "forProvider", f), true)
			}
		case "BucketOwnershipControls":
			expect(t, "BucketOwnershipControls objectOwnership", first(u, "spec", "forProvider", "rule")["objectOwnership"], "BucketOwnerEnforced")
		case "BucketPolicy":
			checkTLSOnlyPolicy(t, mustString(t, u, "spec", "forProvider", "policy"))
		}
	}
	r.notReadyYet(ctx, t)

	providerBegin := time.Now()
	// The bucket's name is its external name, and carries the digest of
	// the composite's uid.
	bucketName := bucket.GetAnnotations()["crossplane.io/external-name"]
	expect(t, "Bucket external name", bucketName, r.xr.GetName()+"-"+uidDigest(r.xr))
	arn := "arn:aws:s3:::" + bucketName
	for _, k := range r.want {
		at := map[string]any{"id": bucketName}
		if k == "Bucket" {
			at = map[string]any{"id": bucketName, "arn": arn, "region": region}
		}
		if err := markReady(ctx, r.refs[k], at); err != nil {
			t.Fatalf("provider step, %s: %v", k, err)
		}
	}
	providerStep := time.Since(providerBegin)

	claim := r.ready(ctx, t, time.Now(), providerStep)
	expect(t, "BucketClaim status.bucketName", field(claim, "status", "bucketName"), bucketName)
	expect(t, "BucketClaim status.arn", field(claim, "status", "arn"), arn)
	expect(t, "BucketClaim status.region", field(claim, "status", "region"), region)

	// Deleting the claim: S3 refuses to delete a bucket that holds
	// objects (paved never sets forceDestroy), so provider-aws keeps it,
	// and none of its protections goes. The operator empties the bucket;
	// then it goes and everything else follows.
	var holdsObjects atomic.Bool
	holdsObjects.Store(true)
	r.deleteProtected(ctx, t, "Bucket", r.want[1:], deletionRefusal{
		// S3's answer to DeleteBucket for a bucket with object versions
		// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html:
		// "All objects (including all object versions and delete markers)
		// in the bucket must be deleted before the bucket itself can be
		// deleted"; error code BucketNotEmpty), as provider-aws reports it.
		message: "delete failed: deleting S3 Bucket (" + bucketName +
			"): operation error S3: DeleteBucket, https response error StatusCode: 409, api error BucketNotEmpty: The bucket you tried to delete is not empty. You must delete all versions in the bucket.",
		canDelete: func(*unstructured.Unstructured) bool { return !holdsObjects.Load() },
	}, func(context.Context) error {
		// README, Decommission: the platform operator empties the bucket
		// (every object version and delete marker), in S3.
		holdsObjects.Store(false)
		return nil
	}, "")
}

// checkTLSOnlyPolicy checks that the bucket policy denies every request that
// does not use TLS.
func checkTLSOnlyPolicy(t *testing.T, policy string) {
	t.Helper()
	var p struct {
		Statement []struct {
			Effect    string
			Condition map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(policy), &p); err != nil {
		t.Errorf("BucketPolicy policy is not JSON: %v: %s", err, policy)
		return
	}
	for _, s := range p.Statement {
		if s.Effect == "Deny" && fmt.Sprint(s.Condition["Bool"]["aws:SecureTransport"]) == "false" {
			return
		}
	}
	t.Errorf("BucketPolicy does not deny aws:SecureTransport=false: %s", policy)
}

func keys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
