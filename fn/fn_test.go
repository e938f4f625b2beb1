package fn

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/servicebundle"
)

const input = `{
	"apiVersion": "fn.paved.dev/v1alpha1",
	"kind": "Input",
	"environment": {
		"region": "eu-west-1",
		"vpcId": "vpc-0a1b2c3d4e5f60718",
		"subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
		"allowedCidrs": ["10.20.0.0/16"]
	}
}`

// testUID is the composites' metadata.uid; naming.ID of it is testID, the
// digest every cloud name carries.
const (
	testUID = "9b2f3c1e-6d7a-4e8b-9c0d-1e2f3a4b5c6d"
	testID  = "7c62fa74a484"
)

func xdatabase(spec string) *fnv1.Resource {
	return xr("XDatabase", "DatabaseClaim", "orders-db", spec)
}

func xbucket(spec string) *fnv1.Resource {
	return xr("XBucket", "BucketClaim", "orders-assets", spec)
}

// nsbucket is a namespaced Bucket (Crossplane v2) in team-orders.
func nsbucket(spec string) *fnv1.Resource {
	return nsxr("Bucket", "orders-assets", spec)
}

// nsxr is a namespaced composite of kind in team-orders, as its team wrote
// it with the uid the API server gave it.
func nsxr(kind, name, spec string) *fnv1.Resource {
	o := mustStructJSON(`{
		"apiVersion": "paved.dev/v1alpha1",
		"kind": "` + kind + `",
		"metadata": {"name": "` + name + `", "namespace": "team-orders", "uid": "` + testUID + `"}
	}`)
	o.Fields["spec"] = structpb.NewStructValue(mustStructJSON(spec))
	return &fnv1.Resource{Resource: o}
}

func xr(kind, claimKind, claim, spec string) *fnv1.Resource {
	o := mustStructJSON(`{
		"apiVersion": "platform.paved.dev/v1alpha1",
		"kind": "` + kind + `",
		"metadata": {"name": "` + claim + `-x7k2p", "uid": "` + testUID + `"}
	}`)
	sp := mustStructJSON(spec)
	sp.Fields["claimRef"] = structpb.NewStructValue(mustStructJSON(`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "` + claimKind + `", "name": "` + claim + `", "namespace": "orders"}`))
	o.Fields["spec"] = structpb.NewStructValue(sp)
	return &fnv1.Resource{Resource: o}
}

// runReq is a request as Crossplane sends it once it has fetched what the
// function requires: a ServiceBundle's Applications, of which none exists
// (Crossplane seeds what the last reconcile required into the request).
func runReq(in string, observed *fnv1.State) *fnv1.RunFunctionRequest {
	return &fnv1.RunFunctionRequest{
		Meta:              &fnv1.RequestMeta{Tag: "t", Capabilities: v2Capabilities},
		Input:             mustStructJSON(in),
		Observed:          observed,
		RequiredResources: noApplications(),
	}
}

// v2Capabilities are what Crossplane v2.4 advertises in every request
// (crossplane v2.4.0 internal/xfn/capabilities.go, SupportedCapabilities).
var v2Capabilities = []fnv1.Capability{
	fnv1.Capability_CAPABILITY_CAPABILITIES, fnv1.Capability_CAPABILITY_REQUIRED_RESOURCES,
	fnv1.Capability_CAPABILITY_CREDENTIALS, fnv1.Capability_CAPABILITY_CONDITIONS,
	fnv1.Capability_CAPABILITY_REQUIRED_SCHEMAS,
}

// noApplications is what Crossplane fetches for a ServiceBundle's
// Applications when none exists.
func noApplications() map[string]*fnv1.Resources {
	return map[string]*fnv1.Resources{
		servicebundle.ApplicationPrefix + "staging":    {},
		servicebundle.ApplicationPrefix + "production": {},
	}
}

func meta() *fnv1.ResponseMeta {
	return &fnv1.ResponseMeta{Tag: "t", Ttl: durationpb.New(60e9)}
}

// pendingMeta is the response's meta while a composed resource is not
// ready: a shorter TTL, the composite's requeue (pendingTTL).
func pendingMeta() *fnv1.ResponseMeta {
	return &fnv1.ResponseMeta{Tag: "t", Ttl: durationpb.New(10e9)}
}

func str(s string) *string { return &s }

func labels(name, component, xr, claim string) string {
	return `{
		"app.kubernetes.io/name": "` + name + `",
		"app.kubernetes.io/instance": "` + xr + `",
		"app.kubernetes.io/component": "` + component + `",
		"app.kubernetes.io/part-of": "` + claim + `",
		"app.kubernetes.io/managed-by": "paved",
		"paved.dev/claim-name": "` + claim + `",
		"paved.dev/claim-namespace": "orders"
	}`
}

const dbTags = `{"paved.dev/managed-by": "paved", "paved.dev/component": "database", "paved.dev/composite": "orders-db-x7k2p", "paved.dev/composite-uid": "` + testUID + `", "paved.dev/claim": "orders/orders-db"}`

// selector is how a composed resource selects its sibling called name.
func selector(name string) string {
	return `{"matchControllerRef": true, "matchLabels": {"app.kubernetes.io/name": "` + name + `"}}`
}

// The complete desired state of a small postgresql DatabaseClaim.
func desiredDatabase(ready fnv1.Ready) map[string]*fnv1.Resource {
	l := func(n string) string { return labels(n, "database", "orders-db-x7k2p", "orders-db") }
	return withUsages(map[string]*fnv1.Resource{
		"subnet-group": {Ready: ready, Resource: mustStructJSON(`{
			"apiVersion": "rds.aws.upbound.io/v1beta1",
			"kind": "SubnetGroup",
			"metadata": {"name": "orders-db-x7k2p-subnet-group", "labels": ` + l("subnet-group") + `,
				"annotations": {"crossplane.io/external-name": "orders-db-x7k2p-` + testID + `"}},
			"spec": {"forProvider": {
				"region": "eu-west-1",
				"description": "paved database subnet group for orders/orders-db",
				"subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
				"tags": ` + dbTags + `
			}}
		}`)},
		"security-group": {Ready: ready, Resource: mustStructJSON(`{
			"apiVersion": "ec2.aws.upbound.io/v1beta1",
			"kind": "SecurityGroup",
			"metadata": {"name": "orders-db-x7k2p-security-group", "labels": ` + l("security-group") + `},
			"spec": {"forProvider": {
				"region": "eu-west-1",
				"name": "orders-db-x7k2p-` + testID + `",
				"description": "paved database security group for orders/orders-db",
				"vpcId": "vpc-0a1b2c3d4e5f60718",
				"revokeRulesOnDelete": true,
				"tags": ` + dbTags + `
			}}
		}`)},
		"security-group-rule": {Ready: ready, Resource: mustStructJSON(`{
			"apiVersion": "ec2.aws.upbound.io/v1beta1",
			"kind": "SecurityGroupRule",
			"metadata": {"name": "orders-db-x7k2p-security-group-rule", "labels": ` + l("security-group-rule") + `},
			"spec": {"forProvider": {
				"region": "eu-west-1",
				"type": "ingress",
				"description": "postgresql from the private networks of the platform",
				"protocol": "tcp",
				"fromPort": 5432,
				"toPort": 5432,
				"cidrBlocks": ["10.20.0.0/16"],
				"securityGroupIdSelector": ` + selector("security-group") + `
			}}
		}`)},
		"parameter-group-postgres15": {Ready: ready, Resource: mustStructJSON(`{
			"apiVersion": "rds.aws.upbound.io/v1beta1",
			"kind": "ParameterGroup",
			"metadata": {"name": "orders-db-x7k2p-parameter-group-postgres15", "labels": ` + l("parameter-group-postgres15") + `,
				"annotations": {"crossplane.io/external-name": "orders-db-x7k2p-` + testID + `-postgres15"}},
			"spec": {"forProvider": {
				"region": "eu-west-1",
				"family": "postgres15",
				"description": "paved postgres15 parameters, TLS required, for orders/orders-db",
				"parameter": [
					{"name": "rds.force_ssl", "value": "1", "applyMethod": "pending-reboot"},
					{"name": "log_min_duration_statement", "value": "1000", "applyMethod": "immediate"}
				],
				"tags": ` + dbTags + `
			}}
		}`)},
		"instance": {Ready: ready, Resource: mustStructJSON(`{
			"apiVersion": "rds.aws.upbound.io/v1beta2",
			"kind": "Instance",
			"metadata": {"name": "orders-db-x7k2p-instance", "labels": ` + l("instance") + `},
			"spec": {
				"forProvider": {
					"region": "eu-west-1",
					"identifier": "orders-db-x7k2p-` + testID + `",
					"engine": "postgres",
					"engineVersion": "15",
					"instanceClass": "db.t3.medium",
					"allocatedStorage": 20,
					"storageType": "gp3",
					"storageEncrypted": true,
					"publiclyAccessible": false,
					"multiAz": true,
					"deletionProtection": true,
					"backupRetentionPeriod": 7,
					"skipFinalSnapshot": false,
					"finalSnapshotIdentifier": "orders-db-x7k2p-` + testID + `-final",
					"copyTagsToSnapshot": true,
					"deleteAutomatedBackups": false,
					"autoMinorVersionUpgrade": true,
					"allowMajorVersionUpgrade": true,
					"applyImmediately": false,
					"caCertIdentifier": "rds-ca-rsa2048-g1",
					"port": 5432,
					"username": "paved",
					"autoGeneratePassword": true,
					"passwordSecretRef": {"namespace": "crossplane-system", "name": "orders-db-x7k2p-instance-master-` + testID + `", "key": "password"},
					"enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
					"dbSubnetGroupNameSelector": ` + selector("subnet-group") + `,
					"vpcSecurityGroupIdSelector": ` + selector("security-group") + `,
					"parameterGroupNameSelector": {"matchControllerRef": true, "matchLabels": {"app.kubernetes.io/name": "parameter-group-postgres15"}, "policy": {"resolve": "Always"}},
					"tags": ` + dbTags + `
				},
				"writeConnectionSecretToRef": {"namespace": "crossplane-system", "name": "orders-db-x7k2p-instance-connection-` + testID + `"}
			}
		}`)},
	}, ready, "database", "orders-db-x7k2p", "orders-db", dbInstance, dbKept...)
}

func observedReady(_, obj string, conn map[string][]byte) *fnv1.Resource {
	o := mustStructJSON(obj)
	o.Fields["status"] = structpb.NewStructValue(mustStructJSON(`{"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}`))
	if at := mustStructJSON(obj).GetFields()["status"]; at != nil {
		maps.Copy(o.Fields["status"].GetStructValue().Fields, at.GetStructValue().GetFields())
	}
	return &fnv1.Resource{Resource: o, ConnectionDetails: conn}
}

func TestRunFunction(t *testing.T) {
	type want struct {
		rsp *fnv1.RunFunctionResponse
	}
	allObservedReady := map[string]*fnv1.Resource{
		"subnet-group":               observedReady("subnet-group", `{"apiVersion": "rds.aws.upbound.io/v1beta1", "kind": "SubnetGroup"}`, nil),
		"security-group":             observedReady("security-group", `{"apiVersion": "ec2.aws.upbound.io/v1beta1", "kind": "SecurityGroup"}`, nil),
		"security-group-rule":        observedReady("security-group-rule", `{"apiVersion": "ec2.aws.upbound.io/v1beta1", "kind": "SecurityGroupRule"}`, nil),
		"parameter-group-postgres15": observedReady("parameter-group-postgres15", `{"apiVersion": "rds.aws.upbound.io/v1beta1", "kind": "ParameterGroup"}`, nil),
		"instance": observedReady("instance", `{"apiVersion": "rds.aws.upbound.io/v1beta2", "kind": "Instance",
			"status": {"atProvider": {"address": "orders-db-x7k2p.abc123.eu-west-1.rds.amazonaws.com", "port": 5432}}}`,
			map[string][]byte{"username": []byte("paved"), "password": []byte("s3cr3t-from-provider"), "port": []byte("5432")}),
	}
	usagesReady(allObservedReady, desiredDatabase(fnv1.Ready_READY_TRUE))

	cases := map[string]struct {
		reason string
		req    *fnv1.RunFunctionRequest
		want   want
	}{
		"DatabaseFirstReconcile": {
			reason: "A new DatabaseClaim composes all four resources, none ready, and reports what it waits for.",
			req:    runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`)}),
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: pendingMeta(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: mustStructJSON(`{
						"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase",
						"status": {"secretName": "orders-db-x7k2p-instance-connection-` + testID + `"}
					}`), ConnectionDetails: map[string][]byte{}, Ready: fnv1.Ready_READY_FALSE},
					Resources: desiredDatabase(fnv1.Ready_READY_FALSE),
				},
				Conditions: []*fnv1.Condition{{
					Type: "DatabaseReady", Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: "Creating",
					Message: str("waiting for subnet-group, security-group, security-group-rule, parameter-group-postgres15, instance, protect-security-group, protect-security-group-rule, protect-subnet-group, protect-parameter-group"),
					Target:  fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
				}, {
					Type: "StandardSupport", Status: fnv1.Status_STATUS_CONDITION_TRUE, Reason: "InStandardSupport",
					Message: str("PostgreSQL 15 is in RDS standard support until 2028-02-29"),
					Target:  fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
				}, deletion(dbDeletion, "protect-security-group", "protect-security-group-rule", "protect-subnet-group", "protect-parameter-group")},
			}},
		},
		"DatabaseObservedReady": {
			reason: "When every composed resource is observed Ready the database is Ready and its endpoint, port and credentials are returned.",
			req:    runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`), Resources: allObservedReady}),
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: meta(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{
						Resource: mustStructJSON(`{
							"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase",
							"status": {"endpoint": "orders-db-x7k2p.abc123.eu-west-1.rds.amazonaws.com", "port": 5432, "secretName": "orders-db-x7k2p-instance-connection-` + testID + `"}
						}`),
						ConnectionDetails: map[string][]byte{
							"endpoint":         []byte("orders-db-x7k2p.abc123.eu-west-1.rds.amazonaws.com"),
							"port":             []byte("5432"),
							"username":         []byte("paved"),
							"password":         []byte("s3cr3t-from-provider"),
							"sslmode":          []byte("verify-full"),
							"caCertIdentifier": []byte("rds-ca-rsa2048-g1"),
							"caBundleURL":      []byte("https://truststore.pki.rds.amazonaws.com/eu-west-1/eu-west-1-bundle.pem"),
						},
						Ready: fnv1.Ready_READY_TRUE,
					},
					Resources: desiredDatabase(fnv1.Ready_READY_TRUE),
				},
				Conditions: []*fnv1.Condition{{
					Type: "DatabaseReady", Status: fnv1.Status_STATUS_CONDITION_TRUE, Reason: "Available",
					Message: str("all 9 composed resources are ready"),
					Target:  fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
				}, {
					Type: "StandardSupport", Status: fnv1.Status_STATUS_CONDITION_TRUE, Reason: "InStandardSupport",
					Message: str("PostgreSQL 15 is in RDS standard support until 2028-02-29"),
					Target:  fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
				}, deletion(dbDeletion)},
			}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := New(logging.NewNopLogger())
			rsp, err := run(f, tc.req)
			if err != nil {
				t.Fatalf("%s\nRunFunction(...): unexpected error: %v", tc.reason, err)
			}
			if diff := cmp.Diff(withCreates(tc.want.rsp, tc.req), rsp, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nRunFunction(...): -want rsp, +got rsp:\n%s", tc.reason, diff)
			}
		})
	}
}

const bucketTags = `{"paved.dev/managed-by": "paved", "paved.dev/component": "bucket", "paved.dev/composite": "orders-assets-x7k2p", "paved.dev/composite-uid": "` + testUID + `", "paved.dev/claim": "orders/orders-assets"}`

// bucketName is the S3 bucket's name.
const bucketName = "orders-assets-x7k2p-" + testID

const tlsOnly = `{"Statement":[{"Action":"s3:*","Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny","Principal":"*","Resource":["arn:aws:s3:::` + bucketName + `","arn:aws:s3:::` + bucketName + `/*"],"Sid":"DenyInsecureTransport"},{"Action":"s3:*","Condition":{"NumericLessThan":{"s3:TlsVersion":"1.2"}},"Effect":"Deny","Principal":"*","Resource":["arn:aws:s3:::` + bucketName + `","arn:aws:s3:::` + bucketName + `/*"],"Sid":"DenyOutdatedTLS"}],"Version":"2012-10-17"}`

// The complete desired state of an empty BucketClaim.
func desiredBucket(ready fnv1.Ready) map[string]*fnv1.Resource {
	l := func(n string) string { return labels(n, "bucket", "orders-assets-x7k2p", "orders-assets") }
	sub := func(name, kind, fp string) *fnv1.Resource {
		return &fnv1.Resource{Ready: ready, Resource: mustStructJSON(`{
			"apiVersion": "s3.aws.upbound.io/v1beta1",
			"kind": "` + kind + `",
			"metadata": {"name": "orders-assets-x7k2p-` + name + `", "labels": ` + l(name) + `},
			"spec": {"forProvider": {"region": "eu-west-1", "bucketSelector": ` + selector("bucket") + `, ` + fp + `}}
		}`)}
	}
	return withUsages(map[string]*fnv1.Resource{
		"bucket": {Ready: ready, Resource: mustStructJSON(`{
			"apiVersion": "s3.aws.upbound.io/v1beta1",
			"kind": "Bucket",
			"metadata": {"name": "orders-assets-x7k2p-bucket", "labels": ` + l("bucket") + `,
				"annotations": {"crossplane.io/external-name": "` + bucketName + `"}},
			"spec": {"forProvider": {"region": "eu-west-1", "forceDestroy": false, "tags": ` + bucketTags + `}}
		}`)},
		"versioning": sub("versioning", "BucketVersioning", `"versioningConfiguration": [{"status": "Enabled"}]`),
		"encryption": sub("encryption", "BucketServerSideEncryptionConfiguration",
			`"rule": [{"applyServerSideEncryptionByDefault": [{"sseAlgorithm": "aws:kms"}], "bucketKeyEnabled": true}]`),
		"public-access-block": sub("public-access-block", "BucketPublicAccessBlock",
			`"blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true`),
		"ownership-controls": sub("ownership-controls", "BucketOwnershipControls", `"rule": [{"objectOwnership": "BucketOwnerEnforced"}]`),
		"policy":             sub("policy", "BucketPolicy", `"policy": `+strconvQuote(tlsOnly)),
		"lifecycle": sub("lifecycle", "BucketLifecycleConfiguration",
			`"rule": [{"id": "paved-defaults", "status": "Enabled", "filter": [{"prefix": ""}], "abortIncompleteMultipartUpload": [{"daysAfterInitiation": 7}]}]`),
	}, ready, "bucket", "orders-assets-x7k2p", "orders-assets", bucketBucket, bucketKept...)
}

func strconvQuote(s string) string { return strconv.Quote(s) }

func TestRunFunctionBucket(t *testing.T) {
	observed := map[string]*fnv1.Resource{}
	for _, n := range []string{"versioning", "encryption", "public-access-block", "ownership-controls", "policy", "lifecycle"} {
		observed[n] = observedReady(n, `{"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "X"}`, nil)
	}
	observed["bucket"] = observedReady("bucket", `{"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket",
		"status": {"atProvider": {"id": "`+bucketName+`", "arn": "arn:aws:s3:::`+bucketName+`", "region": "eu-west-1"}}}`, nil)
	usagesReady(observed, desiredBucket(fnv1.Ready_READY_TRUE))
	notReady := map[string]*fnv1.Resource{}
	maps.Copy(notReady, observed)
	notReady["policy"] = &fnv1.Resource{Resource: mustStructJSON(`{"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Creating"}]}}`)}
	notSynced := map[string]*fnv1.Resource{}
	maps.Copy(notSynced, observed)
	notSynced["lifecycle"] = &fnv1.Resource{Resource: mustStructJSON(`{"status": {"conditions": [
		{"type": "Ready", "status": "True", "reason": "Available"},
		{"type": "Synced", "status": "False", "reason": "ReconcileError", "message": "update failed: async update failed: InvalidRequest: Found overlapping prefixes"}]}}`)}

	cases := map[string]struct {
		reason string
		req    *fnv1.RunFunctionRequest
		want   *fnv1.RunFunctionResponse
	}{
		"FirstReconcile": {
			reason: "An empty BucketClaim composes a versioned, KMS-encrypted, private, owner-enforced, TLS-only bucket.",
			req:    runReq(input, &fnv1.State{Composite: xbucket(`{}`)}),
			want: &fnv1.RunFunctionResponse{
				Meta: pendingMeta(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: mustStructJSON(`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket"}`), ConnectionDetails: map[string][]byte{}, Ready: fnv1.Ready_READY_FALSE},
					Resources: desiredBucket(fnv1.Ready_READY_FALSE),
				},
				Conditions: []*fnv1.Condition{{
					Type: "BucketReady", Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: "Creating",
					Message: str("waiting for bucket, versioning, encryption, public-access-block, ownership-controls, policy, lifecycle, " +
						"protect-public-access-block, protect-policy, protect-encryption, protect-ownership-controls, protect-versioning, protect-lifecycle"),
					Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
				}, deletion(bucketDeletion, "protect-public-access-block", "protect-policy", "protect-encryption", "protect-ownership-controls", "protect-versioning", "protect-lifecycle")},
			},
		},
		"OneNotReady": {
			reason: "One composed resource that is not Ready keeps the bucket from being Ready; status is still reported.",
			req:    runReq(input, &fnv1.State{Composite: xbucket(`{}`), Resources: notReady}),
			want: &fnv1.RunFunctionResponse{
				Meta: pendingMeta(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{
						Resource: mustStructJSON(`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket",
							"status": {"bucketName": "` + bucketName + `", "arn": "arn:aws:s3:::` + bucketName + `", "region": "eu-west-1"}}`),
						ConnectionDetails: map[string][]byte{"bucketName": []byte(bucketName), "arn": []byte("arn:aws:s3:::" + bucketName), "region": []byte("eu-west-1")},
						Ready:             fnv1.Ready_READY_FALSE,
					},
					Resources: func() map[string]*fnv1.Resource {
						d := desiredBucket(fnv1.Ready_READY_TRUE)
						d["policy"].Ready = fnv1.Ready_READY_FALSE
						return d
					}(),
				},
				Conditions: []*fnv1.Condition{{
					Type: "BucketReady", Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: "Creating",
					Message: str("waiting for policy"),
					Target:  fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
				}, deletion(bucketDeletion)},
			},
		},
		"ReadyButNotSynced": {
			reason: "A composed resource that is Ready but Synced=False makes BucketReady False with the provider's message.",
			req:    runReq(input, &fnv1.State{Composite: xbucket(`{}`), Resources: notSynced}),
			want: &fnv1.RunFunctionResponse{
				Meta: meta(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{
						Resource: mustStructJSON(`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket",
							"status": {"bucketName": "` + bucketName + `", "arn": "arn:aws:s3:::` + bucketName + `", "region": "eu-west-1"}}`),
						ConnectionDetails: map[string][]byte{"bucketName": []byte(bucketName), "arn": []byte("arn:aws:s3:::" + bucketName), "region": []byte("eu-west-1")},
						Ready:             fnv1.Ready_READY_TRUE,
					},
					Resources: desiredBucket(fnv1.Ready_READY_TRUE),
				},
				Conditions: []*fnv1.Condition{{
					Type: "BucketReady", Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: "SyncFailed",
					Message: str("the provider cannot apply lifecycle (Synced=False: ReconcileError): update failed: async update failed: InvalidRequest: Found overlapping prefixes"),
					Target:  fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
				}, deletion(bucketDeletion)},
			},
		},
		"ObservedReady": {
			reason: "A bucket whose resources are all Ready reports name, ARN and region.",
			req:    runReq(input, &fnv1.State{Composite: xbucket(`{}`), Resources: observed}),
			want: &fnv1.RunFunctionResponse{
				Meta: meta(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{
						Resource: mustStructJSON(`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket",
							"status": {"bucketName": "` + bucketName + `", "arn": "arn:aws:s3:::` + bucketName + `", "region": "eu-west-1"}}`),
						ConnectionDetails: map[string][]byte{"bucketName": []byte(bucketName), "arn": []byte("arn:aws:s3:::" + bucketName), "region": []byte("eu-west-1")},
						Ready:             fnv1.Ready_READY_TRUE,
					},
					Resources: desiredBucket(fnv1.Ready_READY_TRUE),
				},
				Conditions: []*fnv1.Condition{{
					Type: "BucketReady", Status: fnv1.Status_STATUS_CONDITION_TRUE, Reason: "Available",
					Message: str("all 13 composed resources are ready"),
					Target:  fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
				}, deletion(bucketDeletion)},
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
				t.Errorf("%s\nRunFunction(...): -want rsp, +got rsp:\n%s", tc.reason, diff)
			}
		})
	}
}

// fatal is the response to input the function cannot work with at all: one
// Fatal result, nothing composed.
func fatal(msg string) *fnv1.RunFunctionResponse {
	return &fnv1.RunFunctionResponse{
		Meta: meta(),
		Results: []*fnv1.Result{{
			Severity: fnv1.Severity_SEVERITY_FATAL,
			Message:  msg,
			Target:   fnv1.Target_TARGET_COMPOSITE.Enum(),
		}},
	}
}

// refused is the response to an invalid claim or environment: nothing
// composed, a Fatal result, and the same message as a Warning and as the
// composer's condition on composite and claim.
func refused(condition, reason, msg string) *fnv1.RunFunctionResponse {
	return &fnv1.RunFunctionResponse{
		Meta: meta(),
		Results: []*fnv1.Result{
			{Severity: fnv1.Severity_SEVERITY_WARNING, Message: msg, Reason: &reason, Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum()},
			{Severity: fnv1.Severity_SEVERITY_FATAL, Message: msg, Target: fnv1.Target_TARGET_COMPOSITE.Enum()},
		},
		Conditions: []*fnv1.Condition{{
			Type: condition, Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: reason, Message: &msg,
			Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
		}},
	}
}

func TestRunFunctionRejectsBadInput(t *testing.T) {
	const db = "invalid DatabaseClaim orders/orders-db: "
	const bk = "invalid BucketClaim orders/orders-assets: "
	withEnv := func(env string) string {
		return `{"apiVersion": "fn.paved.dev/v1alpha1", "kind": "Input", "environment": ` + env + `}`
	}
	cases := map[string]struct {
		req  *fnv1.RunFunctionRequest
		want string
	}{
		"UnknownEngine": {
			req:  runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "oracle", "size": "small"}`)}),
			want: db + `spec.engine: invalid value "oracle": allowed values are "postgresql", "mysql", "redis", "mongodb"`,
		},
		"RDSEngineName": {
			req:  runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgres", "size": "small"}`)}),
			want: db + `spec.engine: invalid value "postgres": allowed values are "postgresql", "mysql", "redis", "mongodb"`,
		},
		"UnknownSize": {
			req:  runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "huge"}`)}),
			want: db + `spec.size: invalid value "huge": allowed values are "small", "medium", "large"`,
		},
		"MissingEngineAndSize": {
			req:  runReq(input, &fnv1.State{Composite: xdatabase(`{"version": "15"}`)}),
			want: db + `spec.engine: invalid value (none): required; allowed values are "postgresql", "mysql", "redis", "mongodb"; spec.size: invalid value (none): required; allowed values are "small", "medium", "large"`,
		},
		"PostgresVersion": {
			req:  runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small", "version": "9.6"}`)}),
			want: db + `spec.version: invalid value "9.6": for engine postgresql: a PostgreSQL major version from 13 to 17, optionally with a minor version (e.g. "15" or "15.7")`,
		},
		"MySQLVersionFormat": {
			req:  runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "mysql", "size": "small", "version": "eight"}`)}),
			want: db + `spec.version: invalid value "eight": for engine mysql: MySQL "8.0" or "8.4", optionally with a patch version (e.g. "8.0.39")`,
		},
		"VersionNotString": {
			req:  runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small", "version": 15}`)}),
			want: db + `spec.version: invalid value 15: a string such as "15" (quote it in YAML)`,
		},
		"StorageTooSmall": {
			req:  runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small", "storageGB": 10}`)}),
			want: db + `spec.storageGB: invalid value 10: a whole number of GiB from 20 to 4096`,
		},
		"StorageTooLarge": {
			req:  runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small", "storageGB": 5000}`)}),
			want: db + `spec.storageGB: invalid value 5000: a whole number of GiB from 20 to 4096`,
		},
		"StorageFraction": {
			req:  runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small", "storageGB": 20.5}`)}),
			want: db + `spec.storageGB: invalid value 20.5: a whole number of GiB from 20 to 4096`,
		},
		"PublicDatabase": {
			req:  runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small", "publiclyAccessible": true}`)}),
			want: db + `spec.publiclyAccessible: invalid value true: only false is allowed: paved databases are reachable only from the platform's private networks`,
		},
		"UnencryptedUnprotectedDatabase": {
			req:  runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "mysql", "size": "large", "storageEncrypted": false, "deletionProtection": false}`)}),
			want: db + `spec.storageEncrypted: invalid value false: only true is allowed: paved databases are always encrypted at rest; spec.deletionProtection: invalid value false: only true is allowed: paved databases are always protected from deletion`,
		},
		"PublicBucket": {
			req:  runReq(input, &fnv1.State{Composite: xbucket(`{"publicAccess": true}`)}),
			want: bk + `spec.publicAccess: invalid value true: only false is allowed: paved buckets always block public access`,
		},
		"UnencryptedBucket": {
			req:  runReq(input, &fnv1.State{Composite: xbucket(`{"encrypted": false}`)}),
			want: bk + `spec.encrypted: invalid value false: only true is allowed: paved buckets are always encrypted with KMS`,
		},
		"NoncurrentDays": {
			req:  runReq(input, &fnv1.State{Composite: xbucket(`{"noncurrentVersionExpirationDays": 0}`)}),
			want: bk + `spec.noncurrentVersionExpirationDays: invalid value 0: a whole number of days from 1 to 3650, or leave it out to keep old versions`,
		},
		"EnvironmentWithoutNetwork": {
			req:  runReq(withEnv(`{"region": "eu-west-1"}`), &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`)}),
			want: "invalid platform environment for DatabaseClaim orders/orders-db: " + `input environment.vpcId: invalid value (none): required; the VPC id, set in the Composition's function input or the EnvironmentConfig; input environment.subnetIds: invalid value "": at least two private subnet ids in different availability zones; input environment.allowedCidrs: invalid value (none): required; the private CIDR blocks that may reach the database`,
		},
		"BucketWithoutRegion": {
			req:  runReq(withEnv(`{}`), &fnv1.State{Composite: xbucket(`{}`)}),
			want: "invalid platform environment for BucketClaim orders/orders-assets: " + `input environment.region: invalid value (none): required; the AWS region, set in the Composition's function input or the EnvironmentConfig`,
		},
		"OpenToTheInternet": {
			req: runReq(withEnv(`{"region": "eu-west-1", "allowedCidrs": ["0.0.0.0/0", "203.0.113.0/24", "10.0.0.1/8", "10.0.0.0/7"]}`), &fnv1.State{Composite: xbucket(`{}`)}),
			want: "invalid platform environment for BucketClaim orders/orders-assets: " +
				`input environment.allowedCidrs[0]: invalid value "0.0.0.0/0": a private range; paved never opens a database to the whole internet; ` +
				`input environment.allowedCidrs[1]: invalid value "203.0.113.0/24": a CIDR block wholly inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918), or fc00::/7 (RFC 4193); paved never opens a database to public addresses; ` +
				`input environment.allowedCidrs[2]: invalid value "10.0.0.1/8": a CIDR block without host bits, such as 10.0.0.0/8; ` +
				`input environment.allowedCidrs[3]: invalid value "10.0.0.0/7": a CIDR block wholly inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918), or fc00::/7 (RFC 4193); paved never opens a database to public addresses`,
		},
		"BadEnvironmentValues": {
			req: runReq(withEnv(`{"region": "Europe", "vpcId": "vpc-xyz", "subnetIds": ["sn-1"], "kmsKeyId": "my-key", "instanceClasses": {"small": "t3.micro", "tiny": "db.t3.micro"}, "documentDBInstanceClasses": {"medium": "r6g.large", "huge": "db.r6g.16xlarge"}, "cacheNodeTypes": {"small": "cache.t2.small", "medium": "db.r6g.large", "large": "cache.r7g.xlarge"}, "backupRetentionDays": 1, "connectionSecretNamespace": "Not_A_Namespace"}`),
				&fnv1.State{Composite: xbucket(`{}`)}),
			want: "invalid platform environment for BucketClaim orders/orders-assets: " +
				`input environment.region: invalid value "Europe": an AWS region such as eu-west-1; ` +
				`input environment.vpcId: invalid value "vpc-xyz": a VPC id such as vpc-0abc1234def567890; ` +
				`input environment.subnetIds[0]: invalid value "sn-1": a subnet id such as subnet-0abc1234def567890; ` +
				`input environment.kmsKeyId: invalid value "my-key": a KMS key ARN such as arn:aws:kms:eu-west-1:111122223333:key/<key id> (multi-Region keys: key/mrk-<32 hex digits>); ` +
				`input environment.instanceClasses.small: invalid value "t3.micro": an RDS instance class such as db.t3.medium; ` +
				`input environment.instanceClasses.tiny: invalid value "tiny": allowed values are "small", "medium", "large"; ` +
				`input environment.documentDBInstanceClasses.huge: invalid value "huge": allowed values are "small", "medium", "large"; ` +
				`input environment.documentDBInstanceClasses.medium: invalid value "r6g.large": an Amazon DocumentDB instance class such as db.r6g.large; ` +
				`input environment.cacheNodeTypes.medium: invalid value "db.r6g.large": a current-generation ElastiCache node type such as cache.t4g.medium (not T1 or T2); ` +
				`input environment.cacheNodeTypes.small: invalid value "cache.t2.small": a current-generation ElastiCache node type such as cache.t4g.medium (not T1 or T2); ` +
				`input environment.backupRetentionDays: invalid value 1: between 7 and 35 days; ` +
				`input environment.connectionSecretNamespace: invalid value "Not_A_Namespace": a Kubernetes namespace name`,
		},
		"UnknownKind": {
			req: runReq(input, &fnv1.State{Composite: &fnv1.Resource{Resource: mustStructJSON(
				`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XWidget", "metadata": {"name": "q", "uid": "u"}, "spec": {}}`)}}),
			want: "function-paved cannot compose platform.paved.dev/v1alpha1 XWidget: it composes platform.paved.dev/v1alpha1 XDatabase, XBucket, XQueue and XServiceBundle, and namespaced paved.dev/v1alpha1 Database, Bucket, Queue and ServiceBundle",
		},
		"LegacyKindInNamespacedGroup": {
			req: runReq(input, &fnv1.State{Composite: &fnv1.Resource{Resource: mustStructJSON(
				`{"apiVersion": "paved.dev/v1alpha1", "kind": "XBucket", "metadata": {"name": "q", "namespace": "team-orders", "uid": "u"}, "spec": {}}`)}}),
			want: "function-paved cannot compose paved.dev/v1alpha1 XBucket: it composes platform.paved.dev/v1alpha1 XDatabase, XBucket, XQueue and XServiceBundle, and namespaced paved.dev/v1alpha1 Database, Bucket, Queue and ServiceBundle",
		},
		"NamespacedWithoutNamespace": {
			req: runReq(input, &fnv1.State{Composite: &fnv1.Resource{Resource: mustStructJSON(
				`{"apiVersion": "paved.dev/v1alpha1", "kind": "Bucket", "metadata": {"name": "q", "uid": "u"}, "spec": {}}`)}}),
			want: "function-paved cannot compose paved.dev/v1alpha1 Bucket: a namespaced composite has a metadata.namespace",
		},
		"LegacyWithNamespace": {
			req: runReq(input, &fnv1.State{Composite: &fnv1.Resource{Resource: mustStructJSON(
				`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket", "metadata": {"name": "q", "namespace": "team-orders", "uid": "u"}, "spec": {}}`)}}),
			want: "function-paved cannot compose platform.paved.dev/v1alpha1 XBucket: a legacy composite is cluster-scoped and has no metadata.namespace",
		},
		"NamespacedPublicBucket": {
			req:  runReq(input, &fnv1.State{Composite: nsbucket(`{"publicAccess": true}`)}),
			want: `invalid Bucket team-orders/orders-assets: spec.publicAccess: invalid value true: only false is allowed: paved buckets always block public access`,
		},
		"NamespacedSecretName": {
			req:  runReq(input, &fnv1.State{Composite: nsbucket(`{"writeConnectionSecretToRef": {"name": "../kube-system"}}`)}),
			want: `invalid Bucket team-orders/orders-assets: spec.writeConnectionSecretToRef.name: invalid value "../kube-system": the name of a Secret in the composite's namespace (lower-case letters, digits, '-' and '.')`,
		},
		"NamespacedProviderConfig": {
			req:  runReq(withEnv(`{"region": "eu-west-1", "awsProviderConfigRef": {"kind": "Secret"}}`), &fnv1.State{Composite: nsbucket(`{}`)}),
			want: `invalid platform environment for Bucket team-orders/orders-assets: input environment.awsProviderConfigRef.kind: invalid value "Secret": allowed values are "ClusterProviderConfig", "ProviderConfig"`,
		},
		"UnknownInputField": {
			req:  runReq(strings.Replace(input, `"environment"`, `"enviroment"`, 1), &fnv1.State{Composite: xbucket(`{}`)}),                                                             //nolint:misspell // the misspelt key is the test's input
			want: `cannot read function input (fn.paved.dev/v1alpha1 Input): unknown field "enviroment" (allowed keys: apiVersion, kind, metadata, environment, environmentConfigName)`, //nolint:misspell // the misspelt key is the test's input
		},
		"NoComposite": {
			req:  runReq(input, &fnv1.State{}),
			want: "observed composite resource has no apiVersion, kind or metadata.name",
		},
		"CompositeWithoutClaim": {
			req: runReq(input, &fnv1.State{Composite: &fnv1.Resource{Resource: mustStructJSON(
				`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "direct", "uid": "u"}, "spec": {"engine": "db2", "size": "small",
					"claimRef": {"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "name": "direct", "namespace": ""}}}`)}}),
			want: `invalid XDatabase direct: spec.engine: invalid value "db2": allowed values are "postgresql", "mysql", "redis", "mongodb"`,
		},
		// Any claim could bind it: it is refused whatever its spec, before
		// the environment is required.
		"CompositeWithoutClaimRef": {
			req: runReq(input, &fnv1.State{Composite: &fnv1.Resource{Resource: mustStructJSON(
				`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "metadata": {"name": "direct", "uid": "u",
					"labels": {"crossplane.io/claim-name": "orders-db", "crossplane.io/claim-namespace": "orders"}}, "spec": {"engine": "postgresql", "size": "small"}}`)}}),
			want: `refused claim orders/orders-db, nothing was composed: XDatabase direct has no spec.claimRef, so any claim naming it in spec.resourceRef would bind it, ` +
				`take its connection secret and delete it with the claim; a composite made without a claim names itself in spec.claimRef: ` +
				`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase", "name": "direct", "namespace": ""} (docs/security.md)`,
		},
		"CompositeWithoutUID": {
			req: runReq(input, &fnv1.State{Composite: &fnv1.Resource{Resource: mustStructJSON(
				`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XBucket", "metadata": {"name": "orders-assets"}, "spec": {}}`)}}),
			want: "observed composite resource XBucket orders-assets has no metadata.uid: paved derives the names of cloud resources from it, so that nobody can choose them",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp, err := run(New(logging.NewNopLogger()), tc.req)
			if err != nil {
				t.Fatalf("RunFunction(...): unexpected error: %v", err)
			}
			want := fatal(tc.want)
			cond := map[string]string{"XDatabase": "DatabaseReady", "XBucket": "BucketReady", "Bucket": "BucketReady"}[tc.req.GetObserved().GetComposite().GetResource().GetFields()["kind"].GetStringValue()]
			switch {
			case cond == "", strings.HasPrefix(tc.want, "observed composite"), strings.HasPrefix(tc.want, "cannot read function input"),
				strings.HasPrefix(tc.want, "function-paved cannot compose"):
			case strings.HasPrefix(tc.want, "invalid platform environment"):
				want = refused(cond, "InvalidEnvironment", tc.want)
			case strings.HasPrefix(tc.want, "refused "):
				want = refused(cond, "Unbound", tc.want)
			default:
				want = refused(cond, "InvalidClaim", tc.want)
			}
			if diff := cmp.Diff(want, rsp, protocmp.Transform()); diff != "" {
				t.Errorf("RunFunction(...): -want rsp, +got rsp:\n%s", diff)
			}
		})
	}
}

// withCreates is want with the requirements of what it creates: each
// desired composed resource that req has not observed, by its name in the
// pipeline, as the function requires it before it creates it (the takeover
// guard, compose.Set.Creates). want is not modified.
func withCreates(want *fnv1.RunFunctionResponse, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	if want == nil {
		return nil
	}
	want = proto.Clone(want).(*fnv1.RunFunctionResponse)
	for name, r := range want.GetDesired().GetResources() {
		if req.GetObserved().GetResources()[name] != nil {
			continue
		}
		if want.Requirements == nil {
			want.Requirements = &fnv1.Requirements{}
		}
		if want.Requirements.Resources == nil {
			want.Requirements.Resources = map[string]*fnv1.ResourceSelector{}
		}
		md := r.GetResource().GetFields()["metadata"].GetStructValue().GetFields()
		ns := md["namespace"].GetStringValue()
		want.Requirements.Resources[name] = &fnv1.ResourceSelector{
			ApiVersion: r.GetResource().GetFields()["apiVersion"].GetStringValue(),
			Kind:       r.GetResource().GetFields()["kind"].GetStringValue(),
			Namespace:  &ns,
			Match:      &fnv1.ResourceSelector_MatchName{MatchName: md["name"].GetStringValue()},
		}
	}
	return want
}

// run calls f as Crossplane v2.4 does (internal/xfn/required_resources.go,
// FetchingFunctionRunner): again while the requirements change, each time
// with what was fetched for them, and no more after a Fatal result. Nothing
// exists but what req already holds: a requirement req has no entry for is
// fetched as none. req is not modified.
func run(f *Function, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	_, rsp, err := settle(f, req)
	return rsp, err
}

// settle is run that also returns the request of the response Crossplane
// takes: req with what was fetched for every requirement, so that one call
// with it answers as the whole exchange does (benchmarks send it).
func settle(f *Function, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionRequest, *fnv1.RunFunctionResponse, error) {
	req = proto.Clone(req).(*fnv1.RunFunctionRequest)
	var last *fnv1.Requirements
	for range 6 {
		rsp, err := f.RunFunction(context.Background(), req)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range rsp.GetResults() {
			if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
				return req, rsp, nil
			}
		}
		if proto.Equal(rsp.GetRequirements(), last) {
			return req, rsp, nil
		}
		last = rsp.GetRequirements()
		for name := range last.GetResources() {
			if req.RequiredResources == nil {
				req.RequiredResources = map[string]*fnv1.Resources{}
			}
			if _, ok := req.GetRequiredResources()[name]; !ok {
				req.RequiredResources[name] = &fnv1.Resources{}
			}
		}
		for name := range last.GetExtraResources() { //nolint:staticcheck // Crossplane v1 support.
			if req.ExtraResources == nil { //nolint:staticcheck // Crossplane v1 support.
				req.ExtraResources = map[string]*fnv1.Resources{} //nolint:staticcheck // Crossplane v1 support.
			}
			if _, ok := req.GetExtraResources()[name]; !ok { //nolint:staticcheck // Crossplane v1 support.
				req.ExtraResources[name] = &fnv1.Resources{} //nolint:staticcheck // Crossplane v1 support.
			}
		}
	}
	return nil, nil, errors.New("the requirements did not stabilise after 5 iterations, as Crossplane gives up")
}
