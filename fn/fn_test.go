package fn

import (
	"context"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
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

func xdatabase(spec string) *fnv1.Resource {
	return xr("XDatabase", "DatabaseClaim", "orders-db", spec)
}

func xbucket(spec string) *fnv1.Resource {
	return xr("XBucket", "BucketClaim", "orders-assets", spec)
}

func xr(kind, claimKind, claim, spec string) *fnv1.Resource {
	return &fnv1.Resource{Resource: resource.MustStructJSON(`{
		"apiVersion": "platform.paved.dev/v1alpha1",
		"kind": "` + kind + `",
		"metadata": {"name": "` + claim + `-x7k2p"},
		"spec": ` + strings.Replace(spec, "}", `, "claimRef": {"apiVersion": "platform.paved.dev/v1alpha1", "kind": "`+claimKind+`", "name": "`+claim+`", "namespace": "orders"}}`, 1) + `
	}`)}
}

func runReq(in string, observed *fnv1.State) *fnv1.RunFunctionRequest {
	return &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "t"},
		Input:    resource.MustStructJSON(in),
		Observed: observed,
	}
}

func meta() *fnv1.ResponseMeta {
	return &fnv1.ResponseMeta{Tag: "t", Ttl: durationpb.New(60e9)}
}

func str(s string) *string { return &s }

func labels(name, component, xr, claim string) string {
	return `{
		"app.kubernetes.io/name": "` + name + `",
		"app.kubernetes.io/instance": "` + xr + `",
		"app.kubernetes.io/component": "` + component + `",
		"app.kubernetes.io/part-of": "` + claim + `",
		"app.kubernetes.io/managed-by": "paved",
		"paved.dev/composite": "` + xr + `",
		"paved.dev/claim-name": "` + claim + `",
		"paved.dev/claim-namespace": "orders"
	}`
}

const dbTags = `{"paved.dev/managed-by": "paved", "paved.dev/component": "database", "paved.dev/composite": "orders-db-x7k2p", "paved.dev/claim": "orders/orders-db"}`

// The complete desired state of a small postgresql DatabaseClaim.
func desiredDatabase(ready fnv1.Ready) map[string]*fnv1.Resource {
	l := func(n string) string { return labels(n, "database", "orders-db-x7k2p", "orders-db") }
	return map[string]*fnv1.Resource{
		"subnet-group": {Ready: ready, Resource: resource.MustStructJSON(`{
			"apiVersion": "rds.aws.upbound.io/v1beta1",
			"kind": "SubnetGroup",
			"metadata": {"name": "orders-db-x7k2p-subnet-group", "labels": ` + l("subnet-group") + `},
			"spec": {"forProvider": {
				"region": "eu-west-1",
				"description": "paved database subnet group for orders/orders-db",
				"subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
				"tags": ` + dbTags + `
			}}
		}`)},
		"security-group": {Ready: ready, Resource: resource.MustStructJSON(`{
			"apiVersion": "ec2.aws.upbound.io/v1beta1",
			"kind": "SecurityGroup",
			"metadata": {"name": "orders-db-x7k2p-security-group", "labels": ` + l("security-group") + `},
			"spec": {"forProvider": {
				"region": "eu-west-1",
				"name": "orders-db-x7k2p",
				"description": "paved database security group for orders/orders-db",
				"vpcId": "vpc-0a1b2c3d4e5f60718",
				"revokeRulesOnDelete": true,
				"tags": ` + dbTags + `
			}}
		}`)},
		"security-group-rule": {Ready: ready, Resource: resource.MustStructJSON(`{
			"apiVersion": "ec2.aws.upbound.io/v1beta1",
			"kind": "SecurityGroupRule",
			"metadata": {"name": "orders-db-x7k2p-security-group-rule", "labels": ` + l("security-group-rule") + `},
			"spec": {"forProvider": {
				"region": "eu-west-1",
				"type": "ingress",
				"description": "postgresql from the platform's private networks",
				"protocol": "tcp",
				"fromPort": 5432,
				"toPort": 5432,
				"cidrBlocks": ["10.20.0.0/16"],
				"securityGroupIdRef": {"name": "orders-db-x7k2p-security-group"}
			}}
		}`)},
		"instance": {Ready: ready, Resource: resource.MustStructJSON(`{
			"apiVersion": "rds.aws.upbound.io/v1beta2",
			"kind": "Instance",
			"metadata": {"name": "orders-db-x7k2p-instance", "labels": ` + l("instance") + `},
			"spec": {
				"forProvider": {
					"region": "eu-west-1",
					"identifier": "orders-db-x7k2p",
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
					"finalSnapshotIdentifier": "orders-db-x7k2p-final",
					"copyTagsToSnapshot": true,
					"deleteAutomatedBackups": false,
					"autoMinorVersionUpgrade": true,
					"applyImmediately": false,
					"port": 5432,
					"username": "paved",
					"autoGeneratePassword": true,
					"passwordSecretRef": {"namespace": "crossplane-system", "name": "orders-db-x7k2p-instance-master", "key": "password"},
					"enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
					"dbSubnetGroupNameRef": {"name": "orders-db-x7k2p-subnet-group"},
					"vpcSecurityGroupIdRefs": [{"name": "orders-db-x7k2p-security-group"}],
					"tags": ` + dbTags + `
				},
				"writeConnectionSecretToRef": {"namespace": "crossplane-system", "name": "orders-db-x7k2p-instance-connection"}
			}
		}`)},
	}
}

func observedReady(name, obj string, conn map[string][]byte) *fnv1.Resource {
	o := resource.MustStructJSON(obj)
	o.Fields["status"] = structpb.NewStructValue(resource.MustStructJSON(`{"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}`))
	if at := resource.MustStructJSON(obj).GetFields()["status"]; at != nil {
		for k, v := range at.GetStructValue().GetFields() {
			o.Fields["status"].GetStructValue().Fields[k] = v
		}
	}
	return &fnv1.Resource{Resource: o, ConnectionDetails: conn}
}

func TestRunFunction(t *testing.T) {
	type want struct {
		rsp *fnv1.RunFunctionResponse
	}
	allObservedReady := map[string]*fnv1.Resource{
		"subnet-group":        observedReady("subnet-group", `{"apiVersion": "rds.aws.upbound.io/v1beta1", "kind": "SubnetGroup"}`, nil),
		"security-group":      observedReady("security-group", `{"apiVersion": "ec2.aws.upbound.io/v1beta1", "kind": "SecurityGroup"}`, nil),
		"security-group-rule": observedReady("security-group-rule", `{"apiVersion": "ec2.aws.upbound.io/v1beta1", "kind": "SecurityGroupRule"}`, nil),
		"instance": observedReady("instance", `{"apiVersion": "rds.aws.upbound.io/v1beta2", "kind": "Instance",
			"status": {"atProvider": {"address": "orders-db-x7k2p.abc123.eu-west-1.rds.amazonaws.com", "port": 5432}}}`,
			map[string][]byte{"username": []byte("paved"), "password": []byte("s3cr3t-from-provider"), "port": []byte("5432")}),
	}

	cases := map[string]struct {
		reason string
		req    *fnv1.RunFunctionRequest
		want   want
	}{
		"DatabaseFirstReconcile": {
			reason: "A new DatabaseClaim composes all four resources, none ready, and reports what it waits for.",
			req:    runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`)}),
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: meta(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: resource.MustStructJSON(`{
						"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase",
						"status": {"secretName": "orders-db-x7k2p-instance-connection"}
					}`), ConnectionDetails: map[string][]byte{}},
					Resources: desiredDatabase(fnv1.Ready_READY_FALSE),
				},
				Conditions: []*fnv1.Condition{{
					Type: "DatabaseReady", Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: "Creating",
					Message: str("waiting for subnet-group (not created yet), security-group (not created yet), security-group-rule (not created yet), instance (not created yet)"),
					Target:  fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
				}},
			}},
		},
		"DatabaseObservedReady": {
			reason: "When every composed resource is observed Ready the database is Ready and its endpoint, port and credentials are returned.",
			req:    runReq(input, &fnv1.State{Composite: xdatabase(`{"engine": "postgresql", "size": "small"}`), Resources: allObservedReady}),
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: meta(),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{
						Resource: resource.MustStructJSON(`{
							"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase",
							"status": {"endpoint": "orders-db-x7k2p.abc123.eu-west-1.rds.amazonaws.com", "port": 5432, "secretName": "orders-db-x7k2p-instance-connection"}
						}`),
						ConnectionDetails: map[string][]byte{
							"endpoint": []byte("orders-db-x7k2p.abc123.eu-west-1.rds.amazonaws.com"),
							"port":     []byte("5432"),
							"username": []byte("paved"),
							"password": []byte("s3cr3t-from-provider"),
						},
					},
					Resources: desiredDatabase(fnv1.Ready_READY_TRUE),
				},
				Conditions: []*fnv1.Condition{{
					Type: "DatabaseReady", Status: fnv1.Status_STATUS_CONDITION_TRUE, Reason: "Available",
					Message: str("all 4 composed resources are ready"),
					Target:  fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
				}},
			}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := New(logging.NewNopLogger())
			rsp, err := f.RunFunction(context.Background(), tc.req)
			if err != nil {
				t.Fatalf("%s\nRunFunction(...): unexpected error: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want.rsp, rsp, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nRunFunction(...): -want rsp, +got rsp:\n%s", tc.reason, diff)
			}
		})
	}
}

var _ = proto.Equal
