package fn

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	"github.com/paved-dev/paved/fn/database"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// The names a namespaced Bucket orders-assets in team-orders composes: the
// cloud name carries the uid's digest as a claim's does.
const (
	nsBucketName = "orders-assets-" + testID
	nsBucketTags = `{"paved.dev/managed-by": "paved", "paved.dev/component": "bucket", "paved.dev/composite": "orders-assets", "paved.dev/composite-uid": "` + testUID + `", "paved.dev/namespace": "team-orders"}`
	nsTLSOnly    = `{"Statement":[{"Action":"s3:*","Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny","Principal":"*","Resource":["arn:aws:s3:::` + nsBucketName + `","arn:aws:s3:::` + nsBucketName + `/*"],"Sid":"DenyInsecureTransport"},{"Action":"s3:*","Condition":{"NumericLessThan":{"s3:TlsVersion":"1.2"}},"Effect":"Deny","Principal":"*","Resource":["arn:aws:s3:::` + nsBucketName + `","arn:aws:s3:::` + nsBucketName + `/*"],"Sid":"DenyOutdatedTLS"}],"Version":"2012-10-17"}`
)

// nsLabels are the labels of a namespaced composite's composed resource:
// no claim's.
func nsLabels(name, component, xr string) string {
	return `{"app.kubernetes.io/name": "` + name + `", "app.kubernetes.io/instance": "` + xr + `", "app.kubernetes.io/component": "` + component + `",
		"app.kubernetes.io/part-of": "` + xr + `", "app.kubernetes.io/managed-by": "paved"}`
}

// desiredNamespacedBucket is the complete desired state of an empty
// namespaced Bucket: the legacy one's resources as provider-aws v2.6.0's
// namespaced kinds in team-orders, kept by namespaced Usages, and the
// connection Secret with secret (its data).
func desiredNamespacedBucket(ready fnv1.Ready, secret string) map[string]*fnv1.Resource {
	l := func(n string) string { return nsLabels(n, "bucket", "orders-assets") }
	const pc = `"providerConfigRef": {"kind": "ClusterProviderConfig", "name": "default"}`
	kinds := map[string]string{
		"versioning": "BucketVersioning", "encryption": "BucketServerSideEncryptionConfiguration", "public-access-block": "BucketPublicAccessBlock",
		"ownership-controls": "BucketOwnershipControls", "policy": "BucketPolicy", "lifecycle": "BucketLifecycleConfiguration",
	}
	sub := func(name, fp string) *fnv1.Resource {
		return &fnv1.Resource{Ready: ready, Resource: mustStructJSON(`{
			"apiVersion": "s3.aws.m.upbound.io/v1beta1",
			"kind": "` + kinds[name] + `",
			"metadata": {"name": "orders-assets-` + name + `", "namespace": "team-orders", "labels": ` + l(name) + `},
			"spec": {"forProvider": {"region": "eu-west-1", "bucketSelector": ` + selector("bucket") + `, ` + fp + `}, ` + pc + `}
		}`)}
	}
	d := map[string]*fnv1.Resource{
		"bucket": {Ready: ready, Resource: mustStructJSON(`{
			"apiVersion": "s3.aws.m.upbound.io/v1beta1",
			"kind": "Bucket",
			"metadata": {"name": "orders-assets-bucket", "namespace": "team-orders", "labels": ` + l("bucket") + `,
				"annotations": {"crossplane.io/external-name": "` + nsBucketName + `"}},
			"spec": {"forProvider": {"region": "eu-west-1", "forceDestroy": false, "tags": ` + nsBucketTags + `}, ` + pc + `}
		}`)},
		// The namespaced kinds take as objects what the cluster-scoped
		// ones take as lists of one.
		"versioning": sub("versioning", `"versioningConfiguration": {"status": "Enabled"}`),
		"encryption": sub("encryption", `"rule": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}, "bucketKeyEnabled": true}]`),
		"public-access-block": sub("public-access-block",
			`"blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true`),
		"ownership-controls": sub("ownership-controls", `"rule": {"objectOwnership": "BucketOwnerEnforced"}`),
		"policy":             sub("policy", `"policy": `+strconvQuote(nsTLSOnly)),
		"lifecycle": sub("lifecycle",
			`"rule": [{"id": "paved-defaults", "status": "Enabled", "filter": [{"prefix": ""}], "abortIncompleteMultipartUpload": [{"daysAfterInitiation": 7}]}]`),
		"connection-secret": {Ready: ready, Resource: mustStructJSON(`{
			"apiVersion": "v1", "kind": "Secret", "type": "connection.crossplane.io/v1alpha1",
			"metadata": {"name": "orders-assets-bucket-connection", "namespace": "team-orders", "labels": ` + l("connection-secret") + `},
			"data": ` + secret + `
		}`)},
	}
	for name, kind := range kinds {
		d["protect-"+name] = &fnv1.Resource{Ready: ready, Resource: mustStructJSON(`{
			"apiVersion": "protection.crossplane.io/v1beta1", "kind": "Usage",
			"metadata": {"name": "orders-assets-protect-` + name + `", "namespace": "team-orders", "finalizers": ["usage.apiextensions.crossplane.io"], "labels": ` + l("protect-"+name) + `,
				"annotations": {"crossplane.io/usage-details": "Bucket/orders-assets-bucket uses ` + kind + `/orders-assets-` + name + ` in namespace team-orders"}},
			"spec": {"replayDeletion": true,
				"of": {"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "` + kind + `", "resourceRef": {"name": "orders-assets-` + name + `", "namespace": "team-orders"}},
				"by": {"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "Bucket", "resourceRef": {"name": "orders-assets-bucket"}}}
		}`)}
	}
	return d
}

const nsBucketDeletion = "deleting this Bucket waits for Bucket orders-assets-bucket, which S3 does not delete while it holds objects (paved never sets forceDestroy) until a platform operator empties it; until it is gone, Usages keep BucketPublicAccessBlock orders-assets-public-access-block, BucketPolicy orders-assets-policy, BucketServerSideEncryptionConfiguration orders-assets-encryption, BucketOwnershipControls orders-assets-ownership-controls, BucketVersioning orders-assets-versioning, BucketLifecycleConfiguration orders-assets-lifecycle (see paved's README, Decommission)"

// TestRunFunctionNamespacedBucket: a namespaced Bucket composes what a
// BucketClaim does, by the same composer, in the namespaced dialect: the
// namespaced kinds of provider-aws v2.6.0 in its namespace, with the
// platform's provider config, namespaced Usages, and its connection
// details as a composed Secret, never as the composite's.
func TestRunFunctionNamespacedBucket(t *testing.T) {
	observed := map[string]*fnv1.Resource{}
	for name, r := range desiredNamespacedBucket(fnv1.Ready_READY_TRUE, `{}`) {
		o := proto.Clone(r.GetResource()).(*structpb.Struct)
		observed[name] = observedReady(name, `{}`, nil)
		observed[name].Resource.Fields["metadata"] = o.Fields["metadata"]
	}
	pb.Set(observed["bucket"].GetResource(), pb.Obj(pb.Fields{
		"id": pb.Str(nsBucketName), "arn": pb.Str("arn:aws:s3:::" + nsBucketName), "region": pb.Str("eu-west-1"),
	}), "status", "atProvider")
	details := `{"bucketName": "` + b64(nsBucketName) + `", "arn": "` + b64("arn:aws:s3:::"+nsBucketName) + `", "region": "` + b64("eu-west-1") + `"}`
	protects := []string{"protect-public-access-block", "protect-policy", "protect-encryption", "protect-ownership-controls", "protect-versioning", "protect-lifecycle"}

	cases := map[string]struct {
		reason string
		req    *fnv1.RunFunctionRequest
		want   *fnv1.RunFunctionResponse
	}{
		"FirstReconcile": {
			reason: "An empty Bucket composes a versioned, KMS-encrypted, private, owner-enforced, TLS-only bucket in its namespace, and an empty connection Secret.",
			req:    runReq(input, &fnv1.State{Composite: nsbucket(`{}`)}),
			want: &fnv1.RunFunctionResponse{
				Meta: pendingMeta(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: mustStructJSON(`{"apiVersion": "paved.dev/v1alpha1", "kind": "Bucket",
						"status": {"secretName": "orders-assets-bucket-connection"}}`), Ready: fnv1.Ready_READY_FALSE},
					Resources: desiredNamespacedBucket(fnv1.Ready_READY_FALSE, `{}`),
				},
				Conditions: []*fnv1.Condition{{
					Type: "BucketReady", Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: "Creating",
					Message: str("waiting for bucket, versioning, encryption, public-access-block, ownership-controls, policy, lifecycle, " +
						"protect-public-access-block, protect-policy, protect-encryption, protect-ownership-controls, protect-versioning, protect-lifecycle, " +
						"connection-secret"),
					Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
				}, deletion(nsBucketDeletion, protects...)},
			},
		},
		"ObservedReady": {
			reason: "A Bucket whose resources are all Ready reports name, ARN, region and its Secret, which holds them.",
			req:    runReq(input, &fnv1.State{Composite: nsbucket(`{}`), Resources: observed}),
			want: &fnv1.RunFunctionResponse{
				Meta: meta(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: mustStructJSON(`{"apiVersion": "paved.dev/v1alpha1", "kind": "Bucket",
						"status": {"bucketName": "` + nsBucketName + `", "arn": "arn:aws:s3:::` + nsBucketName + `", "region": "eu-west-1", "secretName": "orders-assets-bucket-connection"}}`), Ready: fnv1.Ready_READY_TRUE},
					Resources: desiredNamespacedBucket(fnv1.Ready_READY_TRUE, details),
				},
				Conditions: []*fnv1.Condition{{
					Type: "BucketReady", Status: fnv1.Status_STATUS_CONDITION_TRUE, Reason: "Available",
					Message: str("all 14 composed resources are ready"),
					Target:  fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
				}, deletion(nsBucketDeletion)},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp, err := run(New(logging.NewNopLogger()), tc.req)
			if err != nil {
				t.Fatalf("%s\nRunFunction(...): unexpected error: %v", tc.reason, err)
			}
			if diff := cmp.Diff(withCreates(tc.want, tc.req), rsp, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nRunFunction(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestNamespacedSecretName: the Secret a namespaced Bucket's team names
// in spec.writeConnectionSecretToRef.name is composed in the Bucket's
// namespace, whatever namespace the spec names; an existing Secret keeps
// its name.
func TestNamespacedSecretName(t *testing.T) {
	cases := map[string]struct {
		spec, observed, want string
	}{
		"Named":       {`{"writeConnectionSecretToRef": {"name": "orders-s3"}}`, "", "orders-s3"},
		"NoNamespace": {`{"writeConnectionSecretToRef": {"name": "orders-s3", "namespace": "kube-system"}}`, "", "orders-s3"},
		"Existing":    {`{"writeConnectionSecretToRef": {"name": "renamed"}}`, "orders-s3", "orders-s3"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			st := &fnv1.State{Composite: nsbucket(tc.spec)}
			if tc.observed != "" {
				st.Resources = map[string]*fnv1.Resource{"connection-secret": {Resource: mustStructJSON(`{"metadata": {"name": "` + tc.observed + `", "namespace": "team-orders"}}`)}}
			}
			rsp, err := run(New(logging.NewNopLogger()), runReq(input, st))
			if err != nil {
				t.Fatal(err)
			}
			s := rsp.GetDesired().GetResources()["connection-secret"].GetResource()
			n, _ := pb.String(s, "metadata", "name")
			ns, _ := pb.String(s, "metadata", "namespace")
			status, _ := pb.String(rsp.GetDesired().GetComposite().GetResource(), "status", "secretName")
			if n != tc.want || ns != "team-orders" || status != tc.want {
				t.Errorf("Secret %s/%s, status.secretName %q; want team-orders/%s", ns, n, status, tc.want)
			}
		})
	}
}

// TestNamespacedProviderConfig: the platform's environment chooses the
// provider config of every managed resource a namespaced composite
// composes; its team cannot.
func TestNamespacedProviderConfig(t *testing.T) {
	in := strings.Replace(input, `"region": "eu-west-1",`, `"region": "eu-west-1", "awsProviderConfigRef": {"kind": "ProviderConfig", "name": "aws"},`, 1)
	rsp, err := run(New(logging.NewNopLogger()),
		runReq(in, &fnv1.State{Composite: nsbucket(`{"providerConfigRef": {"kind": "ClusterProviderConfig", "name": "tenant"}}`)}))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for name, r := range rsp.GetDesired().GetResources() {
		o := r.GetResource()
		if v, _ := pb.String(o, "apiVersion"); !strings.Contains(v, ".aws.m.upbound.io/") {
			continue
		}
		n++
		if diff := cmp.Diff(mustStructJSON(`{"kind": "ProviderConfig", "name": "aws"}`), pb.Struct(o, "spec", "providerConfigRef"), protocmp.Transform()); diff != "" {
			t.Errorf("%s: providerConfigRef -want, +got:\n%s", name, diff)
		}
	}
	if n != 7 {
		t.Errorf("%d managed resources, want 7", n)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// namespacedFirstReconciles are first reconciles of n namespaced
// composites of kind k (the registry's example spec), each of another name
// and uid, in team-orders.
func namespacedFirstReconciles(k Kind, n int) []*fnv1.RunFunctionRequest {
	reqs := make([]*fnv1.RunFunctionRequest, n)
	for i := range reqs {
		name := fmt.Sprintf("orders-%d", i)
		req := runReq(bundleInput, &fnv1.State{Composite: nsxr(k.Namespaced, name, k.Example)})
		pb.Set(req.GetObserved().GetComposite().GetResource(), pb.Str(fmt.Sprintf("00000000-0000-4000-8000-%012d", i)), "metadata", "uid")
		req.Meta.Tag = k.Namespaced + "/" + name
		reqs[i] = fetched(req)
	}
	return reqs
}

// TestNamespacedBucketKeepsPlacement: an existing namespaced bucket keeps
// its region and KMS key, read where the namespaced kinds record them
// (the key in an embedded object, not a list of one), whatever the
// environment now says, with a warning.
func TestNamespacedBucketKeepsPlacement(t *testing.T) {
	const key = "arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f"
	observed := map[string]*fnv1.Resource{
		"bucket": {Resource: mustStructJSON(`{"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "Bucket",
			"metadata": {"name": "orders-assets-bucket", "namespace": "team-orders"}, "spec": {"forProvider": {"region": "eu-west-1"}}}`)},
		"encryption": {Resource: mustStructJSON(`{"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "BucketServerSideEncryptionConfiguration",
			"metadata": {"name": "orders-assets-encryption", "namespace": "team-orders"},
			"spec": {"forProvider": {"rule": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "` + key + `"}}]}}}`)},
	}
	in := strings.Replace(input, `"region": "eu-west-1",`, `"region": "us-east-1", "kmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/1a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f",`, 1)
	rsp, err := run(New(logging.NewNopLogger()), runReq(in, &fnv1.State{Composite: nsbucket(`{}`), Resources: observed}))
	if err != nil {
		t.Fatal(err)
	}
	enc := rsp.GetDesired().GetResources()["encryption"].GetResource()
	if got, _ := pb.String(enc, "spec", "forProvider", "region"); got != "eu-west-1" {
		t.Errorf("encryption region %q, want the existing bucket's eu-west-1", got)
	}
	sse := pb.Get(enc, "spec", "forProvider", "rule").GetListValue().GetValues()[0].GetStructValue()
	if got, _ := pb.String(sse, "applyServerSideEncryptionByDefault", "kmsMasterKeyId"); got != key {
		t.Errorf("kmsMasterKeyId %q, want the existing %q", got, key)
	}
	var warned bool
	for _, r := range rsp.GetResults() {
		warned = warned || (r.GetSeverity() == fnv1.Severity_SEVERITY_WARNING && strings.Contains(r.GetMessage(), "kmsKeyId stays"))
	}
	if !warned {
		t.Errorf("no warning that the KMS key stays: %v", rsp.GetResults())
	}
}

// TestNamespacedPlacementPaths: every path where the set reads the
// placement of a namespaced composite's existing resource (the composer's
// Placement as NamespacedPlacement makes it) exists, as the set reads it,
// in the schema of the namespaced kind it composes there (the vendored provider-aws v2.6.0 CRDs): a path that
// does not would never find the setting, and an environment change would
// move what exists.
func TestNamespacedPlacementPaths(t *testing.T) {
	type schema struct {
		Properties map[string]schema `json:"properties"`
		Items      *schema           `json:"items"`
	}
	schemas := map[string]schema{}
	files, _ := filepath.Glob(filepath.Join("..", "test", "crds", "provider-aws-v2.6.0", "*.yaml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var crd struct {
			Spec struct {
				Group string `json:"group"`
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
				Versions []struct {
					Name   string `json:"name"`
					Schema struct {
						OpenAPIV3Schema schema `json:"openAPIV3Schema"`
					} `json:"schema"`
				} `json:"versions"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(b, &crd); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, v := range crd.Spec.Versions {
			schemas[crd.Spec.Group+"/"+v.Name+" "+crd.Spec.Names.Kind] = v.Schema.OpenAPIV3Schema
		}
	}
	for _, k := range Kinds {
		if k.Namespaced == "" {
			continue
		}
		// A database's pins are every engine family's: each is read on
		// the resources of the family that composes it.
		specs := []string{k.Example}
		if k.Composite == database.Kind {
			specs = nil
			for _, e := range database.Engines {
				specs = append(specs, `{"engine": "`+e+`", "size": "small"}`)
			}
		}
		composed := map[string][]*structpb.Struct{}
		for _, spec := range specs {
			rsp, err := run(New(logging.NewNopLogger()), runReq(input, &fnv1.State{Composite: nsxr(k.Namespaced, "example", spec)}))
			if err != nil {
				t.Fatal(err)
			}
			for name, r := range rsp.GetDesired().GetResources() {
				composed[name] = append(composed[name], r.GetResource())
			}
		}
		for _, p := range compose.NamespacedPlacement(k.Composer.Placement()) {
			if len(composed[p.Resource]) == 0 {
				t.Errorf("%s: pin of %s on %s, which no engine composes", k.Namespaced, p.Setting, p.Resource)
			}
			for _, o := range composed[p.Resource] {
				apiVersion, _ := pb.String(o, "apiVersion")
				kind, _ := pb.String(o, "kind")
				s, ok := schemas[apiVersion+" "+kind]
				if !ok {
					t.Errorf("%s: pin of %s on %s: no schema for %s %s", k.Namespaced, p.Setting, p.Resource, apiVersion, kind)
					continue
				}
				for _, path := range p.Paths {
					at := s
					for _, seg := range compose.NamespacedPath(o, path) {
						if _, err := strconv.Atoi(seg); err == nil && at.Items != nil {
							at = *at.Items
							continue
						}
						var found bool
						if at, found = at.Properties[seg]; !found {
							t.Errorf("%s: pin of %s on %s (%s %s): %s is not in the namespaced kind's schema (read as %s)", k.Namespaced, p.Setting, p.Resource,
								apiVersion, kind, strings.Join(path, "."), strings.Join(compose.NamespacedPath(o, path), "."))
							break
						}
					}
				}
			}
		}
	}
}

// nsdatabase is a namespaced Database (Crossplane v2) in team-orders.
func nsdatabase(spec string) *fnv1.Resource {
	return nsxr("Database", "orders-db", spec)
}

// TestRunFunctionNamespacedDatabase: a namespaced Database composes what a
// DatabaseClaim does, by the same composer, as provider-aws v2.6.0's
// namespaced kinds in its namespace; its instance writes the team's
// connection Secret there itself, and what the function returns holds no
// connection detail.
func TestRunFunctionNamespacedDatabase(t *testing.T) {
	const identifier = "orders-db-" + testID
	rsp, err := run(New(logging.NewNopLogger()), runReq(input, &fnv1.State{Composite: nsdatabase(`{"engine": "postgresql", "size": "small"}`)}))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rsp.GetResults() {
		t.Fatalf("result %s: %s", r.GetSeverity(), r.GetMessage())
	}
	kinds := map[string]string{}
	for name, r := range rsp.GetDesired().GetResources() {
		v, _ := pb.String(r.GetResource(), "apiVersion")
		k, _ := pb.String(r.GetResource(), "kind")
		kinds[name] = v + " " + k
	}
	want := map[string]string{
		"subnet-group": "rds.aws.m.upbound.io/v1beta1 SubnetGroup", "security-group": "ec2.aws.m.upbound.io/v1beta1 SecurityGroup",
		"security-group-rule": "ec2.aws.m.upbound.io/v1beta1 SecurityGroupRule", "parameter-group-postgres15": "rds.aws.m.upbound.io/v1beta1 ParameterGroup",
		"instance": "rds.aws.m.upbound.io/v1beta1 Instance",
	}
	for _, n := range []string{"security-group", "security-group-rule", "subnet-group", "parameter-group"} {
		want["protect-"+n] = "protection.crossplane.io/v1beta1 Usage"
	}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("composed kinds: -want, +got:\n%s", diff)
	}
	instance := proto.Clone(rsp.GetDesired().GetResources()["instance"].GetResource()).(*structpb.Struct)
	got := mustStructJSON(`{}`)
	for _, p := range [][]string{
		{"metadata", "namespace"}, {"spec", "writeConnectionSecretToRef"}, {"spec", "providerConfigRef"},
		{"spec", "forProvider", "passwordSecretRef"}, {"spec", "forProvider", "identifier"}, {"spec", "forProvider", "deletionProtection"},
		{"spec", "forProvider", "storageEncrypted"}, {"spec", "forProvider", "publiclyAccessible"}, {"spec", "forProvider", "parameterGroupNameSelector"},
	} {
		pb.Set(got, pb.Get(instance, p...), p...)
	}
	if diff := cmp.Diff(mustStructJSON(`{
		"metadata": {"namespace": "team-orders"},
		"spec": {
			"writeConnectionSecretToRef": {"name": "orders-db-database-connection"},
			"providerConfigRef": {"kind": "ClusterProviderConfig", "name": "default"},
			"forProvider": {
				"passwordSecretRef": {"name": "orders-db-instance-master-`+testID+`", "key": "password"},
				"identifier": "`+identifier+`",
				"deletionProtection": true, "storageEncrypted": true, "publiclyAccessible": false,
				"parameterGroupNameSelector": {"matchControllerRef": true, "matchLabels": {"app.kubernetes.io/name": "parameter-group-postgres15"}, "policy": {"resolve": "Always"}}
			}
		}
	}`), got, protocmp.Transform()); diff != "" {
		t.Errorf("instance: -want, +got:\n%s", diff)
	}
	if cd := rsp.GetDesired().GetComposite().GetConnectionDetails(); len(cd) != 0 {
		t.Errorf("connection details %v: a namespaced composite has none", cd)
	}
	if n, _ := pb.String(rsp.GetDesired().GetComposite().GetResource(), "status", "secretName"); n != "orders-db-database-connection" {
		t.Errorf("status.secretName %q, want the team's Secret", n)
	}

	// Ready: endpoint, port, secret and what a client needs to verify the
	// server are in the status; nothing is read from the connection
	// details Crossplane sends.
	observed := map[string]*fnv1.Resource{}
	for name, r := range rsp.GetDesired().GetResources() {
		observed[name] = observedReady(name, `{}`, nil)
		observed[name].Resource.Fields["metadata"] = r.GetResource().GetFields()["metadata"]
		observed[name].Resource.Fields["apiVersion"] = r.GetResource().GetFields()["apiVersion"]
		observed[name].Resource.Fields["kind"] = r.GetResource().GetFields()["kind"]
	}
	pb.Set(observed["instance"].GetResource(), pb.Obj(pb.Fields{"address": pb.Str("orders.abc.eu-west-1.rds.amazonaws.com"), "port": pb.Int(5432),
		"engineVersionActual": pb.Str("15.7"), "parameterGroup": pb.List(pb.Obj(pb.Fields{"name": pb.Str("orders-db-" + testID + "-postgres15"), "parameterApplyStatus": pb.Str("in-sync")}))}),
		"status", "atProvider")
	observed["instance"].ConnectionDetails = map[string][]byte{"address": []byte("evil.example.com"), "username": []byte("root")}
	rsp, err = run(New(logging.NewNopLogger()), runReq(input, &fnv1.State{Composite: nsdatabase(`{"engine": "postgresql", "size": "small"}`), Resources: observed}))
	if err != nil {
		t.Fatal(err)
	}
	st := pb.Struct(rsp.GetDesired().GetComposite().GetResource(), "status")
	if diff := cmp.Diff(mustStructJSON(`{"endpoint": "orders.abc.eu-west-1.rds.amazonaws.com", "port": 5432, "secretName": "orders-db-database-connection",
		"sslmode": "verify-full", "caCertIdentifier": "rds-ca-rsa2048-g1", "caBundleURL": "https://truststore.pki.rds.amazonaws.com/eu-west-1/eu-west-1-bundle.pem"}`), st, protocmp.Transform()); diff != "" {
		t.Errorf("status: -want, +got:\n%s", diff)
	}
	if cd := rsp.GetDesired().GetComposite().GetConnectionDetails(); len(cd) != 0 {
		t.Errorf("connection details %v: a namespaced composite has none", cd)
	}
	for _, c := range rsp.GetConditions() {
		if c.GetType() == "DatabaseReady" && c.GetStatus() != fnv1.Status_STATUS_CONDITION_TRUE {
			t.Errorf("DatabaseReady %v: %s", c.GetStatus(), c.GetMessage())
		}
	}
}

// TestNamespacedDatabaseSecretName: the team's Secret is the one it names,
// in the composite's namespace, never the Secret that holds the generated
// password; an existing instance keeps writing where it does.
func TestNamespacedDatabaseSecretName(t *testing.T) {
	master := "orders-db-instance-master-" + testID
	cases := map[string]struct {
		spec     string
		observed string // the existing instance's writeConnectionSecretToRef.name
		want     string
		err      string
	}{
		"Default":  {spec: `{}`, want: "orders-db-database-connection"},
		"Named":    {spec: `{"writeConnectionSecretToRef": {"name": "orders-db"}}`, want: "orders-db"},
		"Existing": {spec: `{"writeConnectionSecretToRef": {"name": "renamed"}}`, observed: "orders-db", want: "orders-db"},
		"Password": {spec: `{"writeConnectionSecretToRef": {"name": "` + master + `"}}`,
			err: `invalid Database team-orders/orders-db: spec.writeConnectionSecretToRef.name: invalid value "` + master + `": not the Secret that holds the database's generated password`},
		"NotAName": {spec: `{"writeConnectionSecretToRef": {"name": "Orders DB"}}`,
			err: `invalid Database team-orders/orders-db: spec.writeConnectionSecretToRef.name: invalid value "Orders DB"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			spec := mustStructJSON(tc.spec)
			pb.Set(spec, pb.Str("postgresql"), "engine")
			pb.Set(spec, pb.Str("small"), "size")
			b, _ := protojson.Marshal(spec)
			st := &fnv1.State{Composite: nsdatabase(string(b))}
			if tc.observed != "" {
				st.Resources = map[string]*fnv1.Resource{"instance": {Resource: mustStructJSON(`{"apiVersion": "rds.aws.m.upbound.io/v1beta1", "kind": "Instance",
					"spec": {"forProvider": {"engine": "postgres", "engineVersion": "15", "allocatedStorage": 20}, "writeConnectionSecretToRef": {"name": "` + tc.observed + `"}}}`)}}
			}
			rsp, err := run(New(logging.NewNopLogger()), runReq(input, st))
			if err != nil {
				t.Fatal(err)
			}
			var msg string
			for _, r := range rsp.GetResults() {
				if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
					msg = r.GetMessage()
				}
			}
			if tc.err != "" {
				if !strings.HasPrefix(msg, tc.err) {
					t.Errorf("refusal %q, want %q", msg, tc.err)
				}
				return
			}
			if msg != "" {
				t.Fatal(msg)
			}
			ref := pb.Struct(rsp.GetDesired().GetResources()["instance"].GetResource(), "spec", "writeConnectionSecretToRef")
			if diff := cmp.Diff(mustStructJSON(`{"name": "`+tc.want+`"}`), ref, protocmp.Transform()); diff != "" {
				t.Errorf("writeConnectionSecretToRef: -want, +got:\n%s", diff)
			}
		})
	}
}

// TestNamespacedComposites: the namespaced composites the compose dialect
// lets a namespaced composite compose (a ServiceBundle's Database and
// Bucket) are kinds of the registry, in its namespaced group.
func TestNamespacedComposites(t *testing.T) {
	if want := NamespacedGroup + "/" + Version; compose.NamespacedCompositeAPIVersion != want {
		t.Errorf("compose.NamespacedCompositeAPIVersion %q, want %q", compose.NamespacedCompositeAPIVersion, want)
	}
	for _, n := range compose.NamespacedComposites {
		if !slices.ContainsFunc(Kinds, func(k Kind) bool { return k.Namespaced == n }) {
			t.Errorf("compose.NamespacedComposites names %s, which is no namespaced kind of the registry", n)
		}
	}
}
