package fn

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/bucket"
	"github.com/paved-dev/paved/fn/database"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/naming"
	"github.com/paved-dev/paved/fn/internal/pb"
	"github.com/paved-dev/paved/fn/queue"
)

// FuzzRunFunction feeds arbitrary composite resources, allowed CIDR blocks
// and observed instances to the function and checks what must hold for
// every input: it never fails or panics, it either rejects the input with a
// Fatal result and composes nothing, or composes resources that are
// private, encrypted and protected: every ingress block lies inside a
// private range, every instance is bound to a parameter group of its own
// engine family that enforces TLS, every value obeys AWS's rules and
// siblings bind by controller reference only (checkComposed), and every dependent resource is
// kept by a ClusterUsage while the database or bucket exists
// (checkProtected). A hostile second tenant, a claim of the same name in
// otherNamespace (or, if that is the first's, of another name), has its
// own composite of the same spec: neither names the other's namespace or
// claim, and they share no composed object or cloud name
// (checkTenantBoundary, checkNoSharedObjects).
func FuzzRunFunction(f *testing.F) {
	observedSeeds := []string{
		``,
		`{"engine": "postgres", "engineVersion": "16", "allocatedStorage": 100, "region": "us-east-1"}`,
		`{"engine": "mysql", "engineVersion": "8.0", "allocatedStorage": 20, "kmsKeyId": "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"}`,
		`{"region": "us-east-1", "kmsKeyId": "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"}`,
		// A DocumentDB cluster (observed as the cluster of a mongodb
		// database): 8.0, pinned to its region and key.
		`{"engine": "docdb", "engineVersion": "8.0.0", "region": "us-east-1", "kmsKeyId": "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"}`,
		// An existing dead-letter queue: the queue and its policies are
		// composed against the account its ARN names.
		`{"region": "eu-west-1", "arn": "arn:aws:sqs:eu-west-1:111122223333:example-dlq", "fifoQueue": false}`,
		`{"arn": "arn:aws-cn:sqs:cn-north-1:111122223333:x-dlq.fifo", "fifoQueue": true, "kmsMasterKeyId": "arn:aws-cn:kms:cn-north-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"}`,
		// A redis database's replication group.
		`{"engine": "valkey", "engineVersion": "8.2", "region": "us-east-1", "nodeType": "cache.r6g.xlarge"}`,
	}
	cidrSeeds := []string{"10.20.0.0/16", "10.0.0.0/7", "fd00::/8,192.168.0.0/24", "0.0.0.0/0", "11.0.0.0/8,172.16.0.0/11"}
	// Every registered kind's example, from a claim and, for a kind that
	// has one, as a namespaced composite, so that a new kind is fuzzed too.
	var kindSeeds, kindNames []string
	// (A database's examples are one of each engine.)
	for _, k := range Kinds {
		for _, ex := range kindExamples(k) {
			// As Crossplane makes a claim's composite: claim labels and spec.claimRef.
			spec := strings.TrimSuffix(ex, "}") + `, "claimRef": {"apiVersion": "platform.paved.dev/v1alpha1", "kind": "` + k.Claim + `", "name": "example", "namespace": "team-orders"}}`
			kindSeeds = append(kindSeeds, `{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "`+k.Composite+`", "metadata": {"name": "example", "uid": "u-`+k.Composite+`", "labels": {"crossplane.io/claim-name": "example", "crossplane.io/claim-namespace": "team-orders"}}, "spec": `+spec+`}`)
			kindNames = append(kindNames, k.Composite+" "+ex)
			if k.Namespaced != "" {
				kindSeeds = append(kindSeeds, `{"apiVersion": "paved.dev/v1alpha1", "kind": "`+k.Namespaced+`", "metadata": {"name": "example", "namespace": "team-orders", "uid": "u-`+k.Namespaced+`"}, "spec": `+ex+`}`)
				kindNames = append(kindNames, k.Namespaced+" "+ex)
			}
		}
	}
	for _, seed := range append(kindSeeds,
		// Made by the platform without a claim, bound to themselves
		// (compose.PlatformClaimRef), or without a claim's namespace.
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "a", "uid": "u1"}, "spec": {"engine": "postgresql", "size": "small", "claimRef": {"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "name": "a", "namespace": ""}}}`,
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "b-x", "uid": "u2"}, "spec": {"engine": "mysql", "size": "large", "version": "8.4", "storageGB": 4096, "publiclyAccessible": false, "claimRef": {"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "name": "b-x", "namespace": ""}}}`,
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "c", "uid": "u3"}, "spec": {"engine": "postgresql", "size": "small", "publiclyAccessible": true, "storageEncrypted": false, "claimRef": {"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "name": "c", "namespace": ""}}}`,
		// mongodb: an Amazon DocumentDB cluster, of each size and dialect.
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "catalog-db-m4q8r", "uid": "u18", "labels": {"crossplane.io/claim-name": "catalog-db", "crossplane.io/claim-namespace": "catalog"}}, "spec": {"engine": "mongodb", "size": "medium", "claimRef": {"apiVersion": "platform.paved.dev/v1alpha1", "kind": "DatabaseClaim", "name": "catalog-db", "namespace": "catalog"}}}`,
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "9.Mongo--db", "uid": "u19"}, "spec": {"engine": "mongodb", "size": "small", "version": "5.0", "storageEncrypted": false, "claimRef": {"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "name": "9.Mongo--db", "namespace": ""}}}`,
		`{"apiVersion": "paved.dev/v1alpha1", "kind": "Database", "metadata": {"name": "catalog", "namespace": "team-catalog", "uid": "u20"}, "spec": {"engine": "mongodb", "size": "large", "version": "8.0", "writeConnectionSecretToRef": {"name": "catalog-db"}}}`,
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "sg-9.x", "uid": "u4"}, "spec": {"engine": "postgresql", "size": "small", "claimRef": {"name": "sg-9.x", "namespace": "données"}}}`,
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket", "metadata": {"name": "9.Bucket..Name", "uid": "u5"}, "spec": {"noncurrentVersionExpirationDays": 30, "claimRef": {"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket", "name": "9.Bucket..Name", "namespace": ""}}}`,
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket", "metadata": {"name": "xn--x-s3alias", "uid": "u6"}, "spec": {"claimRef": {"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket", "name": "xn--x-s3alias", "namespace": ""}}}`,
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket", "metadata": {"name": "x", "uid": "u7"}, "spec": {"publicAccess": true}}`,
		// No spec.claimRef: any claim could bind them (refused).
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket", "metadata": {"name": "y", "uid": "u8", "labels": {"crossplane.io/claim-name": "c"}}, "spec": {"claimRef": 7}}`,
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket", "metadata": {"name": "y"}, "spec": {}}`,
		// A ServiceBundle's nested composites, bound to the bundle's claim.
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "orders-api-x7k2p-database", "uid": "u9", "labels": {"crossplane.io/claim-name": "orders-api", "crossplane.io/claim-namespace": "team-orders"}}, "spec": {"engine": "postgresql", "size": "small", "claimRef": {"apiVersion": "platform.paved.dev/v1alpha1", "kind": "ServiceBundle", "name": "orders-api", "namespace": "team-orders"}, "writeConnectionSecretToRef": {"name": "orders-api-database", "namespace": "team-orders"}}}`,
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket", "metadata": {"name": "orders-api-x7k2p-bucket", "uid": "u10"}, "spec": {"claimRef": {"apiVersion": "platform.paved.dev/v1alpha1", "kind": "ServiceBundle", "name": "orders-api", "namespace": "team-orders"}, "writeConnectionSecretToRef": {"name": "orders-api-bucket", "namespace": "team-orders"}}}`,
		`{"kind": 3, "spec": null}`,
		// Namespaced composites whose authors claim another namespace's
		// claim, name a Secret elsewhere, or leave the namespace out.
		`{"apiVersion": "paved.dev/v1alpha1", "kind": "Bucket", "metadata": {"name": "orders", "namespace": "team-orders", "uid": "u11", "labels": {"crossplane.io/claim-name": "payments", "crossplane.io/claim-namespace": "team-payments"}}, "spec": {"claimRef": {"name": "payments", "namespace": "team-payments"}}}`,
		`{"apiVersion": "paved.dev/v1alpha1", "kind": "Bucket", "metadata": {"name": "orders", "namespace": "team-orders", "uid": "u12"}, "spec": {"writeConnectionSecretToRef": {"name": "orders-s3", "namespace": "kube-system"}}}`,
		`{"apiVersion": "paved.dev/v1alpha1", "kind": "Bucket", "metadata": {"name": "orders", "namespace": "team-orders", "uid": "u13"}, "spec": {"writeConnectionSecretToRef": {"name": "../x"}}}`,
		`{"apiVersion": "paved.dev/v1alpha1", "kind": "Bucket", "metadata": {"name": "orders", "uid": "u14"}, "spec": {}}`,
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket", "metadata": {"name": "orders", "namespace": "team-orders", "uid": "u15"}, "spec": {}}`,
		`{"apiVersion": "paved.dev/v1alpha1", "kind": "Database", "metadata": {"name": "orders", "namespace": "team-orders", "uid": "u16"}, "spec": {"engine": "mysql", "size": "medium", "writeConnectionSecretToRef": {"name": "orders-instance-master-29881aad8730"}}}`,
		`{"apiVersion": "paved.dev/v1alpha1", "kind": "Database", "metadata": {"name": "cart", "namespace": "team-orders", "uid": "u18"}, "spec": {"engine": "redis", "size": "large", "version": "7.2", "storageGB": 20, "writeConnectionSecretToRef": {"name": "cart-replication-group-auth-token-a9c4d6b54a8b"}}}`,
		`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "9--Cache.", "uid": "u19"}, "spec": {"engine": "redis", "size": "medium", "publiclyAccessible": true, "claimRef": {"apiVersion": "platform.paved.dev/v1alpha1", "kind": "DatabaseClaim", "name": "9--Cache.", "namespace": "team-orders"}}}`,
		`{"apiVersion": "paved.dev/v1alpha1", "kind": "Database", "metadata": {"name": "orders", "namespace": "team-orders", "uid": "u17", "labels": {"crossplane.io/claim-namespace": "team-payments"}}, "spec": {"engine": "postgresql", "size": "small", "writeConnectionSecretToRef": {"name": "orders-db", "namespace": "team-payments"}}}`,
	) {
		for _, o := range observedSeeds {
			f.Add(seed, cidrSeeds[0], o, "team-mallory")
		}
		for _, c := range cidrSeeds[1:] {
			f.Add(seed, c, "", "team-orders")
		}
	}
	// One function for every input, as Crossplane calls one function for
	// every composite: what it remembers between requests (its memos of
	// inputs and environments) must never change an answer, which a fresh
	// function gives for comparison on every input.
	fn := New(logging.NewNopLogger())

	// Every kind's example composes: a function that refused everything
	// would pass every check below.
	for i, seed := range kindSeeds {
		xr := &structpb.Struct{}
		if err := protojson.Unmarshal([]byte(seed), xr); err != nil {
			f.Fatalf("kind seed %d: %v", i, err)
		}
		// What a ServiceBundle requires (its Applications) is fetched.
		rsp, err := run(fn, runReq(bundleInput, &fnv1.State{Composite: &fnv1.Resource{Resource: xr}}))
		if err != nil || len(rsp.GetResults()) > 0 || len(rsp.GetDesired().GetResources()) == 0 {
			f.Fatalf("the example of %s must compose: error %v, results %v, %d resources", kindNames[i], err, rsp.GetResults(), len(rsp.GetDesired().GetResources()))
		}
	}

	f.Fuzz(func(t *testing.T, xrJSON, cidrs, observedInstance, otherNamespace string) {
		xr := &structpb.Struct{}
		if err := protojson.Unmarshal([]byte(xrJSON), xr); err != nil {
			return // Not an object; Crossplane never sends one.
		}
		// The input with the ServiceBundle's section, which only bundles read.
		in := runReq(bundleInput, nil).GetInput()
		blocks := make([]*structpb.Value, 0)
		for c := range strings.SplitSeq(cidrs, ",") {
			blocks = append(blocks, structpb.NewStringValue(c))
		}
		pb.Set(in, structpb.NewListValue(&structpb.ListValue{Values: blocks}), "environment", "allowedCidrs")
		observed := map[string]*fnv1.Resource{}
		// What holds a database's data: an RDS instance, a redis
		// database's replication group, or a mongodb database's DocumentDB
		// cluster.
		primary := database.Instance
		switch e, _ := pb.String(xr, "spec", "engine"); e {
		case "redis":
			primary = database.ReplicationGroup
		case "mongodb":
			primary = database.Cluster
		}
		if obs := (&structpb.Struct{}); observedInstance != "" && protojson.Unmarshal([]byte(observedInstance), obs) == nil {
			observed[primary] = &fnv1.Resource{Resource: &structpb.Struct{Fields: pb.Fields{"spec": pb.Obj(pb.Fields{"forProvider": structpb.NewStructValue(obs)})}}}
			// The same facts as what provider-aws reports of a queue's
			// dead-letter queue.
			observed[queue.DeadLetterQueue] = &fnv1.Resource{Resource: &structpb.Struct{Fields: pb.Fields{
				"spec":   pb.Obj(pb.Fields{"forProvider": structpb.NewStructValue(obs)}),
				"status": pb.Obj(pb.Fields{"atProvider": structpb.NewStructValue(obs)}),
			}}}
		}
		req := &fnv1.RunFunctionRequest{Input: in, Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: xr}, Resources: observed}}
		rsp, err := run(fn, req)
		if err != nil {
			t.Fatalf("RunFunction returned an error instead of a result: %v", err)
		}
		if fresh, _ := run(New(logging.NewNopLogger()), req); !proto.Equal(fresh, rsp) {
			t.Fatalf("a function that has answered other requests answers differently from a fresh one:\nwarm:  %v\nfresh: %v", rsp, fresh)
		}
		fatal := false
		for _, r := range rsp.GetResults() {
			if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
				fatal = true
				if r.GetMessage() == "" {
					t.Error("Fatal result without a message")
				}
			}
		}
		if fatal && len(rsp.GetDesired().GetResources()) > 0 {
			t.Fatalf("rejected input composed %d resources", len(rsp.GetDesired().GetResources()))
		}
		for _, e := range checkComposed(rsp, xr) {
			t.Error(e)
		}
		// What protects a database's or bucket's dependents; a
		// ServiceBundle's own invariants are FuzzServiceBundle's.
		if k, _ := pb.String(xr, "kind"); k == database.Kind || k == database.NamespacedKind || k == bucket.Kind || k == bucket.NamespacedKind ||
			k == queue.Kind || k == queue.NamespacedKind {
			checkProtected(t, rsp.GetDesired().GetResources())
			if !fatal {
				checkOtherTenant(t, fn, req, rsp, otherNamespace)
			}
		}
		// A namespaced composite composes into its namespace only.
		if ns, _ := pb.String(xr, "metadata", "namespace"); ns != "" {
			for _, e := range checkNamespaced(rsp, ns) {
				t.Error(e)
			}
		}
		for name, r := range rsp.GetDesired().GetResources() {
			o := r.GetResource()
			kind, _ := pb.String(o, "kind")
			if v, _ := pb.String(o, "apiVersion"); !strings.Contains(v, ".aws.") {
				// A bundle's nested Bucket is paved's, not S3's.
				continue
			}
			// A DocumentDB cluster and its instances are reachable from
			// their VPC only: DocumentDB has no public access to turn on
			// (https://docs.aws.amazon.com/documentdb/latest/developerguide/security.html;
			// the docdb ClusterInstance has no publiclyAccessible
			// parameter), so the security group rule is what keeps it private.
			must := map[string]map[string]bool{
				"Instance":                {"storageEncrypted": true, "publiclyAccessible": false, "deletionProtection": true, "skipFinalSnapshot": false, "multiAz": true},
				"Cluster":                 {"storageEncrypted": true, "deletionProtection": true, "skipFinalSnapshot": false, "autoGeneratePassword": true},
				"BucketPublicAccessBlock": {"blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true},
				"Bucket":                  {"forceDestroy": false},
				// Multi-AZ with failover, TLS, and a token the provider
				// generates.
				"ReplicationGroup": {"multiAzEnabled": true, "automaticFailoverEnabled": true, "transitEncryptionEnabled": true, "autoGenerateAuthToken": true},
			}[kind]
			for field, want := range must {
				if got, ok := pb.Bool(o, "spec", "forProvider", field); !ok || got != want {
					t.Errorf("%s (%s): spec.forProvider.%s = %v (set: %v), want %v", name, kind, field, got, ok, want)
				}
			}
			switch kind {
			case "Queue", "QueuePolicy":
				checkQueue(t, name, o)
			case "ReplicationGroup":
				checkReplicationGroup(t, name, o, observed[primary].GetResource())
			case "Instance":
				if d, _ := pb.Number(o, "spec", "forProvider", "backupRetentionPeriod"); d < 7 {
					t.Errorf("%s: backupRetentionPeriod %v < 7", name, d)
				}
				checkTLSBound(t, rsp, o)
				// Placement is pinned: what the observed instance records
				// is kept, whatever the environment says.
				for _, f := range []string{"region", "kmsKeyId"} {
					if want, _ := pb.String(observed["instance"].GetResource(), "spec", "forProvider", f); want != "" {
						if got, _ := pb.String(o, "spec", "forProvider", f); got != want {
							t.Errorf("%s: spec.forProvider.%s = %q, want %q as the existing instance has it", name, f, got, want)
						}
					}
				}
			case "Cluster":
				fp := pb.Struct(o, "spec", "forProvider")
				if d, _ := pb.Number(fp, "backupRetentionPeriod"); d < 7 || d > 35 {
					t.Errorf("%s: backupRetentionPeriod %v, want 7 to 35 days", name, d)
				}
				if s, _ := pb.String(fp, "finalSnapshotIdentifier"); s == "" {
					t.Errorf("%s: no finalSnapshotIdentifier", name)
				}
				if pb.Has(fp, "masterPassword") || pb.Has(fp, "masterPasswordWo") {
					t.Errorf("%s: a password in the spec: %v", name, fp.AsMap())
				}
				checkDocDBTLS(t, rsp, o)
				for _, f := range []string{"region", "kmsKeyId"} {
					if want, _ := pb.String(observed[database.Cluster].GetResource(), "spec", "forProvider", f); want != "" {
						if got, _ := pb.String(fp, f); got != want {
							t.Errorf("%s: spec.forProvider.%s = %q, want %q as the existing cluster has it", name, f, got, want)
						}
					}
				}
			case "ClusterInstance":
				sel := pb.Struct(o, "spec", "forProvider", "clusterIdentifierSelector")
				if c, _ := pb.Bool(sel, "matchControllerRef"); !c || pb.Has(o, "spec", "forProvider", "clusterIdentifier") {
					t.Errorf("%s: binds its cluster other than by controller reference: %v", name, pb.Get(o, "spec", "forProvider").AsInterface())
				}
				if l, _ := pb.String(sel, "matchLabels", compose.LabelName); l != database.Cluster {
					t.Errorf("%s: selects %q, not its composite's cluster", name, l)
				}
			case "SecurityGroupRule":
				for _, field := range []string{"cidrBlocks", "ipv6CidrBlocks"} {
					for _, v := range pb.Get(o, "spec", "forProvider", field).GetListValue().GetValues() {
						p, err := netip.ParsePrefix(v.GetStringValue())
						if err != nil || !env.Private(p) || p.Addr().Is4() != (field == "cidrBlocks") {
							t.Errorf("%s: %s holds %q, not a private block of its IP version", name, field, v.GetStringValue())
						}
					}
				}
			}
		}
	})
}

// checkQueue checks an SQS queue or queue policy: whatever the claim, a
// queue is encrypted at rest (the platform's key or SQS's) and a FIFO
// queue's name ends with .fifo; a policy denies requests without TLS and
// from other accounts; and deleting the claim deletes neither (deletion
// policy Orphan, or a namespaced managed resource's management policies
// without Delete).
func checkQueue(t *testing.T, name string, o *structpb.Struct) {
	t.Helper()
	if p, ok := pb.String(o, "spec", "deletionPolicy"); ok && p != "Orphan" || !ok && !orphaned(o) {
		t.Errorf("%s: deleting the claim would delete it: deletionPolicy %q, managementPolicies %v", name, p, pb.Get(o, "spec", "managementPolicies").AsInterface())
	}
	kind, _ := pb.String(o, "kind")
	if kind == "QueuePolicy" {
		doc, _ := pb.String(o, "spec", "forProvider", "policy")
		for _, cond := range []string{`"Bool":{"aws:SecureTransport":"false"}`, `"StringNotEquals":{"aws:PrincipalAccount":`} {
			if !strings.Contains(doc, `"Effect":"Deny"`) || !strings.Contains(doc, cond) {
				t.Errorf("%s: policy %s lacks the Deny on %s", name, doc, cond)
			}
		}
		return
	}
	kms, _ := pb.String(o, "spec", "forProvider", "kmsMasterKeyId")
	sse, _ := pb.Bool(o, "spec", "forProvider", "sqsManagedSseEnabled")
	if kms == "" && !sse {
		t.Errorf("%s: queue not encrypted at rest", name)
	}
	if fifo, _ := pb.Bool(o, "spec", "forProvider", "fifoQueue"); fifo {
		if n, _ := pb.String(o, "spec", "forProvider", "name"); !strings.HasSuffix(n, ".fifo") {
			t.Errorf("%s: FIFO queue named %q", name, n)
		}
	}
}

// orphaned reports whether a namespaced managed resource's management
// policies leave out Delete.
func orphaned(o *structpb.Struct) bool {
	ps := pb.Get(o, "spec", "managementPolicies").GetListValue().GetValues()
	for _, p := range ps {
		if v := p.GetStringValue(); v == "Delete" || v == "*" {
			return false
		}
	}
	return len(ps) > 0
}

// checkReplicationGroup checks what makes a redis database's replication
// group private, encrypted, backed up and kept: TLS required, encryption
// at rest, an AUTH token only the provider knows (generated into a Secret,
// never in the spec), two nodes, snapshots kept at least 7 days, a final
// snapshot, and the placement the observed group obs records.
func checkReplicationGroup(t *testing.T, name string, o, obs *structpb.Struct) {
	t.Helper()
	fp := pb.Struct(o, "spec", "forProvider")
	for field, want := range map[string]string{"transitEncryptionMode": "required", "atRestEncryptionEnabled": "true", "engine": "valkey", "clusterMode": "disabled"} {
		if got, _ := pb.String(fp, field); got != want {
			t.Errorf("%s: spec.forProvider.%s = %q, want %q", name, field, got, want)
		}
	}
	if pb.Has(fp, "authToken") {
		t.Errorf("%s: spec.forProvider carries an auth token", name)
	}
	if n, _ := pb.String(fp, "authTokenSecretRef", "name"); n == "" {
		t.Errorf("%s: no authTokenSecretRef: the provider generates the token into no Secret", name)
	}
	if n, _ := pb.Number(fp, "numCacheClusters"); n < 2 {
		t.Errorf("%s: numCacheClusters %v < 2: no replica to fail over to", name, n)
	}
	if d, _ := pb.Number(fp, "snapshotRetentionLimit"); d < 7 {
		t.Errorf("%s: snapshotRetentionLimit %v < 7", name, d)
	}
	if f, _ := pb.String(fp, "finalSnapshotIdentifier"); f == "" {
		t.Errorf("%s: no finalSnapshotIdentifier", name)
	}
	for _, f := range []string{"region", "kmsKeyId"} {
		if want, _ := pb.String(obs, "spec", "forProvider", f); want != "" {
			if got, _ := pb.String(fp, f); got != want {
				t.Errorf("%s: spec.forProvider.%s = %q, want %q as the existing group has it", name, f, got, want)
			}
		}
	}
}

// checkTLSBound checks that an instance selects, among the resources of its
// own composite, a parameter group of its engine family that requires TLS.
func checkTLSBound(t *testing.T, rsp *fnv1.RunFunctionResponse, instance *structpb.Struct) {
	t.Helper()
	sel := pb.Struct(instance, "spec", "forProvider", "parameterGroupNameSelector")
	if ctrl, _ := pb.Bool(sel, "matchControllerRef"); !ctrl {
		t.Fatalf("instance: parameterGroupNameSelector does not match its controller: %v", sel)
	}
	name, _ := pb.String(sel, "matchLabels", compose.LabelName)
	pg := rsp.GetDesired().GetResources()[name].GetResource()
	if kind, _ := pb.String(pg, "kind"); kind != "ParameterGroup" {
		t.Fatalf("instance: parameterGroupNameSelector selects %q, which is no composed ParameterGroup", name)
	}
	if l, _ := pb.String(pg, "metadata", "labels", compose.LabelName); l != name {
		t.Fatalf("parameter group %q is labelled %q, which the instance's selector does not match", name, l)
	}
	engine, _ := pb.String(instance, "spec", "forProvider", "engine")
	version, _ := pb.String(instance, "spec", "forProvider", "engineVersion")
	family, _ := pb.String(pg, "spec", "forProvider", "family")
	major, _, _ := strings.Cut(version, ".")
	if engine == "mysql" {
		major = strings.Join(strings.SplitN(version, ".", 3)[:2], ".")
	}
	if family != engine+major {
		t.Errorf("instance %s %s is bound to family %q, want %q", engine, version, family, engine+major)
	}
	want := map[string]string{"postgres": "rds.force_ssl", "mysql": "require_secure_transport"}[engine]
	for _, p := range pb.Get(pg, "spec", "forProvider", "parameter").GetListValue().GetValues() {
		if n, _ := pb.String(p.GetStructValue(), "name"); n == want {
			if v, _ := pb.String(p.GetStructValue(), "value"); v == "1" {
				return
			}
		}
	}
	t.Errorf("parameter group %q (%s) does not set %s=1", name, family, want)
}

// checkDocDBTLS checks that a DocumentDB cluster selects, among the
// resources of its own composite, a cluster parameter group of its
// engine's family that enforces TLS (tls=enabled).
func checkDocDBTLS(t *testing.T, rsp *fnv1.RunFunctionResponse, cluster *structpb.Struct) {
	t.Helper()
	sel := pb.Struct(cluster, "spec", "forProvider", "dbClusterParameterGroupNameSelector")
	if ctrl, _ := pb.Bool(sel, "matchControllerRef"); !ctrl || pb.Has(cluster, "spec", "forProvider", "dbClusterParameterGroupName") {
		t.Fatalf("cluster: binds its parameter group other than by controller reference: %v", sel)
	}
	name, _ := pb.String(sel, "matchLabels", compose.LabelName)
	pg := rsp.GetDesired().GetResources()[name].GetResource()
	if kind, _ := pb.String(pg, "kind"); kind != "ClusterParameterGroup" {
		t.Fatalf("cluster: dbClusterParameterGroupNameSelector selects %q, which is no composed ClusterParameterGroup", name)
	}
	version, _ := pb.String(cluster, "spec", "forProvider", "engineVersion")
	parts := append(strings.SplitN(version, ".", 3), "0")
	major := parts[0] + "." + parts[1]
	if family, _ := pb.String(pg, "spec", "forProvider", "family"); family != "docdb"+major {
		t.Errorf("cluster %s is bound to family %q, want %q", version, family, "docdb"+major)
	}
	for _, p := range pb.Get(pg, "spec", "forProvider", "parameter").GetListValue().GetValues() {
		if n, _ := pb.String(p.GetStructValue(), "name"); n == "tls" {
			if v, _ := pb.String(p.GetStructValue(), "value"); v == "enabled" {
				return
			}
		}
	}
	t.Errorf("cluster parameter group %q does not set tls=enabled", name)
}

// checkProtected fails unless every composed resource other than the
// database or bucket itself (and a namespaced composite's connection
// Secret) is the "of" of a ClusterUsage, or a namespaced composite's
// Usage, "by" the composed Instance, ReplicationGroup or Bucket, both referenced by their
// exact names.
func checkProtected(t *testing.T, desired map[string]*fnv1.Resource) {
	t.Helper()
	type ref struct{ apiVersion, kind, name string }
	refOf := func(o *structpb.Struct, path ...string) ref {
		a, _ := pb.String(o, append(path, "apiVersion")...)
		k, _ := pb.String(o, append(path, "kind")...)
		n, _ := pb.String(o, append(append(path, "resourceRef"), "name")...)
		if len(path) == 0 {
			n, _ = pb.String(o, "metadata", "name")
		}
		return ref{a, k, n}
	}
	var user *ref
	kept := map[ref][]ref{} // of -> by
	usages := 0
	var dependents, instances []ref
	for _, r := range desired {
		o := r.GetResource()
		switch id := refOf(o); id.kind {
		case "ClusterUsage", "Usage":
			if id.apiVersion != "protection.crossplane.io/v1beta1" {
				t.Errorf("%s %s: apiVersion %q", id.kind, id.name, id.apiVersion)
			}
			if replay, _ := pb.Bool(o, "spec", "replayDeletion"); !replay {
				t.Errorf("%s %s: spec.replayDeletion is not true", id.kind, id.name)
			}
			of := refOf(o, "spec", "of")
			kept[of] = append(kept[of], refOf(o, "spec", "by"))
			usages++
		case "Instance", "Bucket", "Cluster", "ReplicationGroup":
			user = &id
		case "ClusterInstance":
			// DocumentDB deletes a cluster only once its instances are
			// gone: each keeps the cluster, not the other way round.
			instances = append(instances, id)
		case "Queue":
			// The queue keeps its dead-letter queue.
			if l, _ := pb.String(o, "metadata", "labels", compose.LabelName); l == queue.Queue {
				user = &id
			} else {
				dependents = append(dependents, id)
			}
		case "Secret":
			// A namespaced composite's connection details: nothing the
			// cloud resources depend on.
		default:
			dependents = append(dependents, id)
		}
	}
	if len(desired) > 0 && user == nil {
		if len(kept) == 0 && len(dependents) == 1 && dependents[0].kind == "Queue" {
			return // A dead-letter queue alone, before the queue is composed.
		}
		t.Fatalf("composed %d resources but no Instance, Bucket, Cluster, ReplicationGroup or queue", len(desired))
	}
	if user == nil {
		return // refused: nothing composed
	}
	for _, d := range dependents {
		by := kept[d]
		if len(by) == 0 {
			t.Errorf("%s %s is kept by no Usage", d.kind, d.name)
			continue
		}
		if len(by) != 1 || by[0] != *user {
			t.Errorf("%s %s is kept by %v, want the composed %v", d.kind, d.name, by, *user)
		}
	}
	if len(instances) > 0 && user.kind != "Cluster" {
		t.Errorf("%d ClusterInstances without a Cluster", len(instances))
	}
	for _, i := range instances {
		if !slices.Contains(kept[*user], i) {
			t.Errorf("%s %s keeps no Usage of the cluster %s (kept by %v)", i.kind, i.name, user.name, kept[*user])
		}
	}
	if len(kept[*user]) != len(instances) {
		t.Errorf("the %s %s is kept by %v, want its %d ClusterInstances", user.kind, user.name, kept[*user], len(instances))
	}
	if usages != len(dependents)+len(instances) {
		t.Errorf("%d Usages for %d dependent resources and %d instances", usages, len(dependents), len(instances))
	}
}

// checkOtherTenant composes, beside req's composite (composed as rsp), the composite of a
// hostile second tenant: a claim of the same name in otherNamespace (of
// another name if that is the first's namespace), of the same spec, with
// its own name and uid as Crossplane gives every composite.
func checkOtherTenant(t *testing.T, fn *Function, req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, otherNamespace string) {
	t.Helper()
	xr, err := compose.ObservedComposite(req)
	if err != nil {
		t.Fatal(err)
	}
	if xr.Namespaced() {
		checkOtherNamespace(t, fn, req, rsp, xr, otherNamespace)
		return
	}
	own := tenant{xr.ClaimName, xr.ClaimNamespace}
	other := tenant{own.claim, otherNamespace}
	if other == own {
		other.claim += "-other"
	}
	o := proto.Clone(xr.Object).(*structpb.Struct)
	pb.Set(o, pb.Str(xr.Name+"-q4w8z"), "metadata", "name")
	pb.Set(o, pb.Str(xr.UID+"-other"), "metadata", "uid")
	if l := pb.Struct(o, "metadata", "labels"); l != nil {
		delete(l.GetFields(), "crossplane.io/claim-name")
		delete(l.GetFields(), "crossplane.io/claim-namespace")
	}
	pb.Set(o, pb.Obj(pb.Fields{"apiVersion": pb.Str("platform.paved.dev/v1alpha1"), "kind": pb.Str(xr.Kind[1:] + "Claim"),
		"name": pb.Str(other.claim), "namespace": pb.Str(other.namespace)}), "spec", "claimRef")
	otherReq := proto.Clone(req).(*fnv1.RunFunctionRequest)
	otherReq.Observed = &fnv1.State{Composite: &fnv1.Resource{Resource: o}}
	otherRsp, err := run(fn, otherReq)
	if err != nil {
		t.Fatalf("RunFunction returned an error instead of a result: %v", err)
	}
	if own.claim == "" {
		return // not a claim's composite: no tenant
	}
	for _, e := range checkTenantBoundary(rsp, own, other, claimRef{}) {
		t.Error(e)
	}
	for _, e := range checkTenantBoundary(otherRsp, other, own, claimRef{}) {
		t.Error("the other tenant: " + e)
	}
	for _, e := range checkNoSharedObjects(rsp, otherRsp) {
		t.Error(e)
	}
}

// checkOtherNamespace composes, beside req's namespaced composite (composed
// as rsp), a hostile second tenant's: one of the same name and spec in
// otherNamespace (of another name, in the same namespace, if
// otherNamespace is the first's or no namespace), with its own uid. Each
// composes into its own namespace only, and they share no object or cloud
// name.
func checkOtherNamespace(t *testing.T, fn *Function, req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, xr *compose.Composite, otherNamespace string) {
	t.Helper()
	o := proto.Clone(xr.Object).(*structpb.Struct)
	pb.Set(o, pb.Str(xr.UID+"-other"), "metadata", "uid")
	if otherNamespace == xr.Namespace || !naming.ValidNamespace(otherNamespace) {
		otherNamespace = xr.Namespace
		pb.Set(o, pb.Str(xr.Name+"-other"), "metadata", "name")
		// The Secret a composite names is its author's choice in its
		// namespace: two that name one Secret are their own conflict,
		// which Crossplane refuses (it applies no composed resource over
		// one another composite controls).
		delete(pb.Struct(o, "spec").GetFields(), "writeConnectionSecretToRef")
	}
	pb.Set(o, pb.Str(otherNamespace), "metadata", "namespace")
	otherReq := proto.Clone(req).(*fnv1.RunFunctionRequest)
	otherReq.Observed = &fnv1.State{Composite: &fnv1.Resource{Resource: o}}
	otherRsp, err := run(fn, otherReq)
	if err != nil {
		t.Fatalf("RunFunction returned an error instead of a result: %v", err)
	}
	for _, e := range checkNamespaced(otherRsp, otherNamespace) {
		t.Error("the other tenant: " + e)
	}
	for _, e := range checkNoSharedObjects(rsp, otherRsp) {
		t.Error(e)
	}
}

// checkNamespaced checks what rsp composed for a namespaced composite in
// namespace ns: every object is of a kind a namespaced composite may
// compose (provider-aws's namespaced kinds, namespaced Usages, Secrets) and
// lives in ns; no field anywhere names another namespace; no label names a
// claim; every managed resource names a provider config by kind and has
// no deletionPolicy; and no connection detail is returned for the
// composite, whose connection details Crossplane would not write.
func checkNamespaced(rsp *fnv1.RunFunctionResponse, ns string) []string {
	var errs []string
	for name, r := range rsp.GetDesired().GetResources() {
		o := r.GetResource()
		apiVersion, _ := pb.String(o, "apiVersion")
		kind, _ := pb.String(o, "kind")
		group, _, _ := strings.Cut(apiVersion, "/")
		// provider-aws's and provider-paved's namespaced managed resources.
		managed := strings.HasSuffix(group, ".aws.m.upbound.io") || group == "github.m.paved.dev" || group == "backstage.m.paved.dev"
		switch apiVersion + " " + kind {
		case "protection.crossplane.io/v1beta1 Usage", "v1 Secret",
			// A namespaced ServiceBundle's database, bucket and
			// Applications.
			"paved.dev/v1alpha1 Database", "paved.dev/v1alpha1 Bucket", "paved.dev/v1alpha1 Queue", "argoproj.io/v1alpha1 Application":
		default:
			if !managed {
				errs = append(errs, fmt.Sprintf("%s: %s %s is no kind a namespaced composite composes", name, apiVersion, kind))
			}
		}
		if got, _ := pb.String(o, "metadata", "namespace"); got != ns {
			errs = append(errs, fmt.Sprintf("%s: metadata.namespace %q, want the composite's %q", name, got, ns))
		}
		for path, v := range namespaces(o, "", map[string]string{}) {
			// An Application deploys into its environment's own namespace,
			// not its own: FuzzNamespacedServiceBundle checks which.
			if kind == "Application" && path == "spec.destination.namespace" {
				continue
			}
			if v != ns {
				errs = append(errs, fmt.Sprintf("%s: %s names namespace %q, not the composite's %q", name, path, v, ns))
			}
		}
		if pb.Has(o, "metadata", "labels", compose.LabelClaimNamespace) || pb.Has(o, "metadata", "labels", compose.LabelClaimName) {
			errs = append(errs, fmt.Sprintf("%s: labels %v name a claim", name, pb.Get(o, "metadata", "labels").AsInterface()))
		}
		if !managed {
			continue
		}
		if k, _ := pb.String(o, "spec", "providerConfigRef", "kind"); k != "ClusterProviderConfig" && k != "ProviderConfig" {
			errs = append(errs, fmt.Sprintf("%s: spec.providerConfigRef %v has no provider config kind", name, pb.Get(o, "spec", "providerConfigRef").AsInterface()))
		}
		if pb.Has(o, "spec", "deletionPolicy") {
			errs = append(errs, fmt.Sprintf("%s: spec.deletionPolicy, which namespaced managed resources do not have", name))
		}
	}
	if cd := rsp.GetDesired().GetComposite().GetConnectionDetails(); len(cd) > 0 {
		errs = append(errs, fmt.Sprintf("the namespaced composite returns %d connection details, which Crossplane would not write", len(cd)))
	}
	return errs
}
