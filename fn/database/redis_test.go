package database

import (
	"errors"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/input/v1alpha1/environment"
	"github.com/paved-dev/paved/fn/internal/awsrules"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/pb"
)

const testKMS = "arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f"

// composite is a legacy XDatabase of a claim, or a namespaced Database.
func composite(namespaced bool, spec string) *fnv1.Resource {
	o := resource.MustStructJSON(`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase",
		"metadata": {"name": "cart-cache-x1", "uid": "7b2e4c6a-1d3f-4e5a-8b7c-9d0e1f2a3b4c"},
		"spec": {"claimRef": {"apiVersion": "platform.paved.dev/v1alpha1", "kind": "DatabaseClaim", "name": "cart-cache", "namespace": "orders"}}}`)
	if namespaced {
		o = resource.MustStructJSON(`{"apiVersion": "paved.dev/v1alpha1", "kind": "Database",
			"metadata": {"name": "cart-cache", "namespace": "team-orders", "uid": "7b2e4c6a-1d3f-4e5a-8b7c-9d0e1f2a3b4c"}, "spec": {}}`)
	}
	for k, v := range resource.MustStructJSON(spec).GetFields() {
		pb.Set(o, v, "spec", k)
	}
	return &fnv1.Resource{Resource: o}
}

// composeSet runs Check and Compose as the function does, on what is
// observed, and returns the set and the first error.
func composeSet(t *testing.T, xrRes *fnv1.Resource, e *env.Environment, observed map[string]*fnv1.Resource) (*compose.Composite, *compose.Set, error) {
	t.Helper()
	req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{Composite: xrRes, Resources: observed}}
	xr, err := compose.ObservedComposite(req)
	if err != nil {
		t.Fatal(err)
	}
	s := compose.NewSet(req, xr, component)
	if err := (Composer{}).Check(xr, s); err != nil {
		return xr, s, err
	}
	return xr, s, (Composer{}).Compose(xr, e, s)
}

func testEnv(t *testing.T, in environment.Environment) *env.Environment {
	t.Helper()
	base := environment.Environment{Region: "eu-west-1", VPCID: "vpc-0a1b2c3d4e5f60718",
		SubnetIDs:    []string{"subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"},
		AllowedCIDRs: []string{"10.20.0.0/16"}, KMSKeyID: in.KMSKeyID, CacheNodeTypes: in.CacheNodeTypes}
	e, err := env.Resolve(base, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ValidateAWS(); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRedisParse(t *testing.T) {
	cases := map[string]struct {
		spec string
		want string
	}{
		"Small":         {`{"engine": "redis", "size": "small"}`, ""},
		"Version":       {`{"engine": "redis", "size": "large", "version": "7.2"}`, ""},
		"RDSVersion":    {`{"engine": "redis", "size": "small", "version": "15"}`, `spec.version: invalid value "15": for engine redis: a Valkey version: "7.2", "8.0", "8.1" or "8.2" (the default)`},
		"PatchVersion":  {`{"engine": "redis", "size": "small", "version": "8.2.1"}`, `spec.version: invalid value "8.2.1": for engine redis: a Valkey version: "7.2", "8.0", "8.1" or "8.2" (the default)`},
		"NumberVersion": {`{"engine": "redis", "size": "small", "version": 8}`, `spec.version: invalid value 8: a string such as "8.2" (quote it in YAML)`},
		"Storage":       {`{"engine": "redis", "size": "small", "storageGB": 50}`, `spec.storageGB: invalid value 50: not set for engine redis: its memory is its size's node type's`},
		"Public": {`{"engine": "redis", "size": "huge", "publiclyAccessible": true}`,
			`spec.size: invalid value "huge": allowed values are "small", "medium", "large"; spec.publiclyAccessible: invalid value true: only false is allowed: paved databases are reachable only from the platform's private networks`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := ""
			if err := ValidateNew(resource.MustStructJSON(tc.spec)); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ValidateNew(%s): -want, +got:\n%s", tc.spec, diff)
			}
		})
	}
}

func TestRedisCompose(t *testing.T) {
	cases := map[string]struct {
		reason     string
		namespaced bool
		spec       string
		env        environment.Environment
		// want are fields of the replication group's spec.forProvider.
		want map[string]any
		// names are the pipeline names composed.
		names []string
	}{
		"Small": {
			reason: "A small claim: two nodes of the default node type, Multi-AZ, TLS required, encrypted with the platform's key, token generated into the platform namespace.",
			spec:   `{"engine": "redis", "size": "small"}`,
			env:    environment.Environment{KMSKeyID: testKMS},
			want: map[string]any{
				"engine": "valkey", "engineVersion": "8.2", "nodeType": "cache.t4g.medium", "numCacheClusters": 2.0,
				"multiAzEnabled": true, "automaticFailoverEnabled": true, "clusterMode": "disabled",
				"transitEncryptionEnabled": true, "transitEncryptionMode": "required",
				"atRestEncryptionEnabled": "true", "kmsKeyId": testKMS, "port": 6379.0,
				"autoGenerateAuthToken":  true,
				"authTokenSecretRef":     map[string]any{"namespace": "crossplane-system", "name": "cart-cache-x1-replication-group-auth-token-05f31d3ba7cc", "key": "authToken"},
				"snapshotRetentionLimit": 7.0, "finalSnapshotIdentifier": "cart-cache-x1-05f31d3ba7cc-final",
			},
			names: []string{SubnetGroup, SecurityGroup, SecurityGroupRule, ReplicationGroup, "protect-security-group", "protect-security-group-rule", "protect-subnet-group"},
		},
		"LargeOverridden": {
			reason: "The platform maps a size to another node type per environment, as it maps RDS instance classes.",
			spec:   `{"engine": "redis", "size": "large", "version": "7.2"}`,
			env:    environment.Environment{CacheNodeTypes: map[string]string{"large": "cache.r7g.2xlarge"}},
			want:   map[string]any{"nodeType": "cache.r7g.2xlarge", "engineVersion": "7.2", "kmsKeyId": nil},
		},
		"Namespaced": {
			reason:     "A namespaced Database's token Secret is local: it lands in the Database's namespace.",
			namespaced: true,
			spec:       `{"engine": "redis", "size": "medium"}`,
			want: map[string]any{
				"nodeType":           "cache.r6g.large",
				"authTokenSecretRef": map[string]any{"name": "cart-cache-replication-group-auth-token-05f31d3ba7cc", "key": "authToken"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, s, err := composeSet(t, composite(tc.namespaced, tc.spec), testEnv(t, tc.env), nil)
			if err != nil {
				t.Fatalf("%s\nCompose: %v", tc.reason, err)
			}
			rg := s.Desired(ReplicationGroup)
			for k, want := range tc.want {
				got := pb.Get(rg, "spec", "forProvider", k).AsInterface()
				if want == nil {
					if pb.Has(pb.Struct(rg, "spec", "forProvider"), k) {
						t.Errorf("%s\nforProvider.%s = %v, want unset", tc.reason, k, got)
					}
					continue
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s\nforProvider.%s: -want, +got:\n%s", tc.reason, k, diff)
				}
			}
			if tc.names != nil {
				if diff := cmp.Diff(tc.names, s.Objects().Names()); diff != "" {
					t.Errorf("%s\ncomposed: -want, +got:\n%s", tc.reason, diff)
				}
			}
			// What AWS accepts as names and descriptions (awsrules).
			if err := s.Objects().CheckAWSRules(); err != nil {
				t.Errorf("%s\nCheckAWSRules: %v", tc.reason, err)
			}
			rule := s.Desired(SecurityGroupRule)
			if diff := cmp.Diff([]any{6379.0, 6379.0, []any{"10.20.0.0/16"}}, []any{
				pb.Get(rule, "spec", "forProvider", "fromPort").AsInterface(),
				pb.Get(rule, "spec", "forProvider", "toPort").AsInterface(),
				pb.Get(rule, "spec", "forProvider", "cidrBlocks").AsInterface(),
			}); diff != "" {
				t.Errorf("%s\ningress rule (fromPort, toPort, cidrBlocks): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// observedRG is an existing replication group composed for size, running
// version.
func observedRG(size, version string) *fnv1.Resource {
	return &fnv1.Resource{Resource: resource.MustStructJSON(`{"apiVersion": "elasticache.aws.upbound.io/v1beta2", "kind": "ReplicationGroup",
		"metadata": {"name": "cart-cache-x1-replication-group", "annotations": {"paved.dev/size": "` + size + `", "crossplane.io/external-name": "cart-cache-x1-05f31d3ba7cc"}},
		"spec": {"forProvider": {"region": "eu-west-1", "engine": "valkey", "engineVersion": "` + version + `"}},
		"status": {"atProvider": {"engineVersionActual": "` + version + `.1", "primaryEndpointAddress": "master.cart.cache.amazonaws.com", "port": 6379}}}`)}
}

func TestRedisDayTwo(t *testing.T) {
	instanceRes := &fnv1.Resource{Resource: resource.MustStructJSON(`{"apiVersion": "rds.aws.upbound.io/v1beta2", "kind": "Instance",
		"metadata": {"name": "cart-cache-x1-instance"}, "spec": {"forProvider": {"engine": "postgres", "engineVersion": "16"}}}`)}
	cases := map[string]struct {
		reason   string
		spec     string
		observed map[string]*fnv1.Resource
		want     string
		version  string // the composed engineVersion when accepted
	}{
		"Grow": {
			reason: "A larger size scales the group up.", spec: `{"engine": "redis", "size": "large"}`,
			observed: map[string]*fnv1.Resource{ReplicationGroup: observedRG("small", "8.0")}, version: "8.0",
		},
		"KeepsRunningVersion": {
			reason: "Without a version, an existing group keeps what it runs: a new default does not upgrade it.", spec: `{"engine": "redis", "size": "small"}`,
			observed: map[string]*fnv1.Resource{ReplicationGroup: observedRG("small", "7.2")}, version: "7.2",
		},
		"Upgrade": {
			reason: "A newer version upgrades.", spec: `{"engine": "redis", "size": "small", "version": "8.2"}`,
			observed: map[string]*fnv1.Resource{ReplicationGroup: observedRG("small", "8.0")}, version: "8.2",
		},
		"Shrink": {
			reason: "A smaller size is refused.", spec: `{"engine": "redis", "size": "small"}`,
			observed: map[string]*fnv1.Resource{ReplicationGroup: observedRG("medium", "8.2")},
			want:     `spec.size: invalid value "small": medium or larger, the size of the existing database: paved does not shrink a redis database's memory`,
		},
		"Downgrade": {
			reason: "An older version is refused: ElastiCache cannot downgrade.", spec: `{"engine": "redis", "size": "small", "version": "8.0"}`,
			observed: map[string]*fnv1.Resource{ReplicationGroup: observedRG("small", "8.2")},
			want:     `spec.version: invalid value "8.0": 8.2 or later, the version the existing database runs: ElastiCache cannot downgrade a replication group`,
		},
		"FromRDS": {
			reason: "An RDS database does not become redis.", spec: `{"engine": "redis", "size": "small"}`,
			observed: map[string]*fnv1.Resource{Instance: instanceRes},
			want:     `spec.engine: invalid value "redis": "postgresql", the engine the existing database runs: an RDS instance cannot change its engine; create a new claim and migrate the data`,
		},
		"ToRDS": {
			reason: "A redis database does not become postgresql.", spec: `{"engine": "postgresql", "size": "small"}`,
			observed: map[string]*fnv1.Resource{ReplicationGroup: observedRG("small", "8.2")},
			want:     `spec.engine: invalid value "postgresql": "redis", the engine the existing database runs: an ElastiCache replication group cannot become another engine's database; create a new claim and migrate the data`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, s, err := composeSet(t, composite(false, tc.spec), testEnv(t, environment.Environment{}), tc.observed)
			got := ""
			if err != nil {
				got = err.Error()
				if _, ok := errors.AsType[*compose.ChangeError](err); !ok {
					t.Errorf("%s\nerror %T is not a ChangeError: Crossplane would not report ChangeRefused", tc.reason, err)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
			if tc.want == "" {
				if diff := cmp.Diff(tc.version, pb.Get(s.Desired(ReplicationGroup), "spec", "forProvider", "engineVersion").AsInterface()); diff != "" {
					t.Errorf("%s\nengineVersion: -want, +got:\n%s", tc.reason, diff)
				}
			}
		})
	}
}

func TestRedisStatus(t *testing.T) {
	withDetails := observedRG("small", "8.2")
	withDetails.ConnectionDetails = map[string][]byte{
		"primary_endpoint_address": []byte("master.cart.cache.amazonaws.com"), "port": []byte("6379"),
		"attribute.auth_token": []byte("s3cr3t-token"),
	}
	noToken := observedRG("small", "8.2")
	noToken.ConnectionDetails = map[string][]byte{"port": []byte("6379")}
	cases := map[string]struct {
		reason     string
		namespaced bool
		observed   *fnv1.Resource
		want       map[string]string
		fields     map[string]any
	}{
		"Claim": {
			reason:   "A claim gets endpoint, port, TLS and the AUTH token as password, once the provider wrote it.",
			observed: withDetails,
			want:     map[string]string{"endpoint": "master.cart.cache.amazonaws.com", "port": "6379", "tls": "true", "password": "s3cr3t-token"},
			fields:   map[string]any{"endpoint": "master.cart.cache.amazonaws.com", "port": 6379.0, "tls": true},
		},
		"ClaimBeforeToken": {
			reason:   "Nothing is published before the token is known.",
			observed: noToken,
			fields:   map[string]any{"endpoint": "master.cart.cache.amazonaws.com", "port": 6379.0, "tls": true},
		},
		"Namespaced": {
			reason:     "A namespaced Database's details are the provider's to write: the function reads none.",
			namespaced: true,
			observed:   withDetails,
			fields:     map[string]any{"endpoint": "master.cart.cache.amazonaws.com", "port": 6379.0, "tls": true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			xr, s, err := composeSet(t, composite(tc.namespaced, `{"engine": "redis", "size": "small"}`), testEnv(t, environment.Environment{}),
				map[string]*fnv1.Resource{ReplicationGroup: tc.observed})
			if err != nil {
				t.Fatal(err)
			}
			st := (Composer{}).Status(xr, s)
			got := map[string]string{}
			for k, v := range st.ConnectionDetails {
				got[k] = string(v)
			}
			if tc.want == nil {
				tc.want = map[string]string{}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nconnection details: -want, +got:\n%s", tc.reason, diff)
			}
			for k, want := range tc.fields {
				if diff := cmp.Diff(want, pb.Get(&structpb.Struct{Fields: st.Fields}, k).AsInterface()); diff != "" {
					t.Errorf("%s\nstatus.%s: -want, +got:\n%s", tc.reason, k, diff)
				}
			}
		})
	}
}

// TestElastiCacheNames: the names paved gives an ElastiCache group obey
// AWS's rules whatever the composite is called.
func TestElastiCacheNames(t *testing.T) {
	for _, name := range []string{"a", "9-lives--x-", "orders-cache-with-a-very-long-name-that-goes-on-and-on-x7k2p"} {
		o := resource.MustStructJSON(`{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "XDatabase",
			"metadata": {"name": "` + name + `", "uid": "u-1"}, "spec": {"engine": "redis", "size": "small"}}`)
		_, s, err := composeSet(t, &fnv1.Resource{Resource: o}, testEnv(t, environment.Environment{}), nil)
		if err != nil {
			t.Fatal(err)
		}
		rg := s.Desired(ReplicationGroup)
		id := awsrules.ExternalName(rg)
		final, _ := pb.String(rg, "spec", "forProvider", "finalSnapshotIdentifier")
		for _, v := range []string{id, final} {
			if why := awsrules.ReplicationGroupID.Check(v); why != "" {
				t.Errorf("composite %q: %q: %s", name, v, why)
			}
		}
		if sg := awsrules.ExternalName(s.Desired(SubnetGroup)); !awsrules.CacheSubnetGroupName.Valid(sg) {
			t.Errorf("composite %q: subnet group %q: %s", name, sg, awsrules.CacheSubnetGroupName.Check(sg))
		}
	}
}
