package database

import (
	"errors"
	"slices"
	"sort"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/input/v1alpha1/environment"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// docdbSet is a composite of spec (a claim's, or a namespaced one's in
// namespace) with what provider-aws observed, by pipeline name, and the
// observed connection details of the cluster.
func docdbSet(t *testing.T, spec map[string]any, namespace string, observed map[string]map[string]any, conn map[string][]byte) (*compose.Composite, *compose.Set) {
	t.Helper()
	md := map[string]any{"name": "catalog-db", "uid": "7d2e9c41-5b3a-4f6e-8d1c-2b4a6c8e0f13"}
	if namespace != "" {
		md["namespace"] = namespace
	} else {
		spec["claimRef"] = map[string]any{"apiVersion": "platform.paved.dev/v1alpha1", "kind": "DatabaseClaim", "name": "catalog-db", "namespace": "catalog"}
	}
	apiVersion, kind := "platform.paved.dev/v1alpha1", Kind
	if namespace != "" {
		apiVersion, kind = "paved.dev/v1alpha1", NamespacedKind
	}
	o, err := structpb.NewStruct(map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md, "spec": spec})
	if err != nil {
		t.Fatal(err)
	}
	req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: o}, Resources: map[string]*fnv1.Resource{}}}
	for name, m := range observed {
		r, err := structpb.NewStruct(m)
		if err != nil {
			t.Fatal(err)
		}
		req.Observed.Resources[name] = &fnv1.Resource{Resource: r}
	}
	if conn != nil {
		req.Observed.Resources[Cluster].ConnectionDetails = conn
	}
	xr, err := compose.ObservedComposite(req)
	if err != nil {
		t.Fatal(err)
	}
	return xr, compose.NewSet(req, xr, component)
}

func docdbEnv(t *testing.T, in environment.Environment) *env.Environment {
	t.Helper()
	in.Region, in.VPCID = "eu-west-1", "vpc-0a1b2c3d4e5f60718"
	in.SubnetIDs = []string{"subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"}
	in.AllowedCIDRs = []string{"10.20.0.0/16"}
	e, err := env.Resolve(in, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ValidateAWS(); err != nil {
		t.Fatal(err)
	}
	return e
}

// cluster is an observed docdb Cluster.
func cluster(engineVersion string, members int) map[string]any {
	m := make([]any, members)
	for i := range m {
		m[i] = "catalog-db-x-" + string(rune('1'+i))
	}
	return map[string]any{
		"apiVersion": "docdb.aws.upbound.io/v1beta1", "kind": "Cluster",
		"spec":   map[string]any{"forProvider": map[string]any{"engineVersion": engineVersion}},
		"status": map[string]any{"atProvider": map[string]any{"engineVersion": engineVersion, "clusterMembers": m}},
	}
}

func TestDocDBCompose(t *testing.T) {
	const id = "cc618b5163dd" // naming.ID of the uid
	type got struct {
		Resources     []string
		Classes       []string
		EngineVersion string
		Family        string
		Parameters    []any
		KMSKey        string
		Cluster       map[string]any
		Rule          []any
	}
	common := []string{"cluster", "cluster-parameter-group-docdb5-0", "protect-cluster-parameter-group",
		"protect-security-group", "protect-security-group-rule", "protect-subnet-group", "security-group", "security-group-rule", "subnet-group"}
	instances := func(n int) []string {
		var out []string
		for i := 1; i <= n; i++ {
			out = append(out, ClusterInstance(i), "protect-cluster-for-"+ClusterInstance(i))
		}
		return out
	}
	params := []any{
		map[string]any{"name": "tls", "value": "enabled", "applyMethod": "pending-reboot"},
		map[string]any{"name": "audit_logs", "value": "enabled", "applyMethod": "immediate"},
	}
	secure := map[string]any{
		"engine": "docdb", "storageEncrypted": true, "deletionProtection": true, "skipFinalSnapshot": false,
		"finalSnapshotIdentifier": "catalog-db-" + id + "-final", "backupRetentionPeriod": 7.0, "port": 27017.0,
		"masterUsername": "paved", "autoGeneratePassword": true, "dbSubnetGroupName": "catalog-db-" + id,
		"masterPasswordSecretRef": map[string]any{"namespace": "crossplane-system", "name": "catalog-db-cluster-master-" + id, "key": "password"},
	}
	cases := map[string]struct {
		reason   string
		spec     map[string]any
		env      environment.Environment
		observed map[string]map[string]any
		want     got
	}{
		"Small": {
			reason: "small is one db.t4g.medium instance of a DocumentDB 5.0 cluster that requires TLS.",
			spec:   map[string]any{"engine": "mongodb", "size": "small"},
			want:   got{Resources: slices.Concat(common, instances(1)), Classes: []string{"db.t4g.medium"}, EngineVersion: "5.0.0", Family: "docdb5.0", Parameters: params, Cluster: secure, Rule: []any{27017.0, 27017.0, []any{"10.20.0.0/16"}}},
		},
		"Medium": {
			reason: "medium is two db.r6g.large instances.",
			spec:   map[string]any{"engine": "mongodb", "size": "medium"},
			want:   got{Resources: slices.Concat(common, instances(2)), Classes: []string{"db.r6g.large", "db.r6g.large"}, EngineVersion: "5.0.0", Family: "docdb5.0", Parameters: params, Cluster: secure, Rule: []any{27017.0, 27017.0, []any{"10.20.0.0/16"}}},
		},
		"LargeOverriddenWithKey": {
			reason: "large is three instances, of the class the platform maps it to, encrypted with the platform's key; RDS's class map does not apply.",
			spec:   map[string]any{"engine": "mongodb", "size": "large"},
			env: environment.Environment{
				DocumentDBInstanceClasses: map[string]string{"large": "db.r6g.2xlarge"},
				InstanceClasses:           map[string]string{"large": "db.m6g.large"},
				KMSKeyID:                  "arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f",
			},
			want: got{Resources: slices.Concat(common, instances(3)), Classes: []string{"db.r6g.2xlarge", "db.r6g.2xlarge", "db.r6g.2xlarge"}, EngineVersion: "5.0.0", Family: "docdb5.0", Parameters: params,
				KMSKey: "arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f", Cluster: secure, Rule: []any{27017.0, 27017.0, []any{"10.20.0.0/16"}}},
		},
		"ExistingKeepsItsMajorVersion": {
			reason:   "A claim that names no version asks for the major version the existing cluster runs, with its family's parameter group.",
			spec:     map[string]any{"engine": "mongodb", "size": "small"},
			observed: map[string]map[string]any{Cluster: cluster("8.0.0", 1)},
			want: got{Resources: slices.Concat(slices.DeleteFunc(slices.Clone(common), func(s string) bool { return s == "cluster-parameter-group-docdb5-0" }), []string{"cluster-parameter-group-docdb8-0"}, instances(1)),
				Classes: []string{"db.t4g.medium"}, EngineVersion: "8.0.0", Family: "docdb8.0", Parameters: params, Cluster: secure, Rule: []any{27017.0, 27017.0, []any{"10.20.0.0/16"}}},
		},
		"MajorUpgrade": {
			reason:   "8.0 on a 5.0 cluster is an in-place major version upgrade, with the new family's parameter group.",
			spec:     map[string]any{"engine": "mongodb", "size": "small", "version": "8.0"},
			observed: map[string]map[string]any{Cluster: cluster("5.0.0", 1)},
			want: got{Resources: slices.Concat(slices.DeleteFunc(slices.Clone(common), func(s string) bool { return s == "cluster-parameter-group-docdb5-0" }), []string{"cluster-parameter-group-docdb8-0"}, instances(1)),
				Classes: []string{"db.t4g.medium"}, EngineVersion: "8.0.0", Family: "docdb8.0", Parameters: params, Cluster: secure, Rule: []any{27017.0, 27017.0, []any{"10.20.0.0/16"}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			xr, s := docdbSet(t, tc.spec, "", tc.observed, nil)
			e := docdbEnv(t, tc.env)
			if err := (Composer{}).Check(xr, s); err != nil {
				t.Fatalf("Check: %v", err)
			}
			if err := (Composer{}).Compose(xr, e, s); err != nil {
				t.Fatalf("Compose: %v", err)
			}
			if err := s.Objects().CheckAWSRules(); err != nil {
				t.Fatalf("composed values AWS would refuse: %v", err)
			}
			rsp := &fnv1.RunFunctionResponse{}
			s.Write(rsp)
			var g got
			for n := range rsp.GetDesired().GetResources() {
				g.Resources = append(g.Resources, n)
			}
			for i := 1; s.Desired(ClusterInstance(i)) != nil; i++ {
				c, _ := pb.String(s.Desired(ClusterInstance(i)), "spec", "forProvider", "instanceClass")
				g.Classes = append(g.Classes, c)
				if sel, _ := pb.String(s.Desired(ClusterInstance(i)), "spec", "forProvider", "clusterIdentifierSelector", "matchLabels", compose.LabelName); sel != Cluster {
					t.Errorf("instance %d selects %q, want its own composite's cluster", i, sel)
				}
			}
			fp := pb.Struct(s.Desired(Cluster), "spec", "forProvider")
			g.EngineVersion, _ = pb.String(fp, "engineVersion")
			pgName, _ := pb.String(fp, "dbClusterParameterGroupNameSelector", "matchLabels", compose.LabelName)
			pg := s.Desired(pgName)
			g.Family, _ = pb.String(pg, "spec", "forProvider", "family")
			g.Parameters = pb.Get(pg, "spec", "forProvider", "parameter").GetListValue().AsSlice()
			g.KMSKey, _ = pb.String(fp, "kmsKeyId")
			g.Cluster = map[string]any{}
			for k := range secure {
				g.Cluster[k] = pb.Get(fp, k).AsInterface()
			}
			rule := pb.Struct(s.Desired(SecurityGroupRule), "spec", "forProvider")
			g.Rule = []any{pb.Get(rule, "fromPort").AsInterface(), pb.Get(rule, "toPort").AsInterface(), pb.Get(rule, "cidrBlocks").AsInterface()}
			sort.Strings(g.Resources)
			sort.Strings(tc.want.Resources)
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("%s\nCompose: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestDocDBRefuses(t *testing.T) {
	cases := map[string]struct {
		reason   string
		spec     map[string]any
		observed map[string]map[string]any
		// change: refused by Check (ChangeRefused); else by Compose.
		change bool
		want   string
	}{
		"Version": {
			reason: "DocumentDB offers 5.0 and 8.0.",
			spec:   map[string]any{"engine": "mongodb", "size": "small", "version": "4.0"},
			want:   `spec.version: invalid value "4.0": for engine mongodb: DocumentDB "5.0" or "8.0" (MongoDB API compatibility)`,
		},
		"VersionNotAString": {
			reason: "An unquoted version is a number in YAML.",
			spec:   map[string]any{"engine": "mongodb", "size": "small", "version": 5.0},
			want:   `spec.version: invalid value 5: a string such as "5.0" (quote it in YAML)`,
		},
		"Storage": {
			reason: "A cluster's storage grows by itself: a number would be ignored.",
			spec:   map[string]any{"engine": "mongodb", "size": "small", "storageGB": 50.0},
			want:   `spec.storageGB: invalid value 50: not set for engine mongodb: an Amazon DocumentDB cluster's storage grows by itself`,
		},
		"Insecure": {
			reason: "The secure settings are every engine's.",
			spec:   map[string]any{"engine": "mongodb", "size": "small", "storageEncrypted": false},
			want:   `spec.storageEncrypted: invalid value false: only true is allowed: paved databases are always encrypted at rest`,
		},
		"Downgrade": {
			reason:   "DocumentDB cannot downgrade a cluster.",
			spec:     map[string]any{"engine": "mongodb", "size": "small", "version": "5.0"},
			observed: map[string]map[string]any{Cluster: cluster("8.0.0", 1)},
			change:   true,
			want:     `spec.version: invalid value "5.0": 8.0 or later, the major version the existing cluster runs (8.0.0): Amazon DocumentDB cannot downgrade a cluster`,
		},
		"Shrink": {
			reason:   "A smaller size would delete instances of the cluster.",
			spec:     map[string]any{"engine": "mongodb", "size": "medium"},
			observed: map[string]map[string]any{Cluster: cluster("5.0.0", 3)},
			change:   true,
			want:     `spec.size: invalid value "medium": a size of at least 3 instances, as many as the existing cluster has (medium has 2): a smaller size would delete instances`,
		},
		"FromRDS": {
			reason:   "An RDS instance does not become a DocumentDB cluster.",
			spec:     map[string]any{"engine": "mongodb", "size": "small"},
			observed: map[string]map[string]any{Instance: {"spec": map[string]any{"forProvider": map[string]any{"engine": "postgres"}}}},
			change:   true,
			want:     `spec.engine: invalid value "mongodb": "postgresql", the engine the existing database runs: an RDS instance cannot change its engine; create a new claim and migrate the data`,
		},
		"ToRDS": {
			reason:   "A DocumentDB cluster does not become an RDS instance.",
			spec:     map[string]any{"engine": "postgresql", "size": "small"},
			observed: map[string]map[string]any{Cluster: cluster("5.0.0", 1)},
			change:   true,
			want:     `spec.engine: invalid value "postgresql": "mongodb", the engine the existing database runs: an Amazon DocumentDB cluster cannot change its engine; create a new claim and migrate the data`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			xr, s := docdbSet(t, tc.spec, "", tc.observed, nil)
			err := (Composer{}).Check(xr, s)
			var change *compose.ChangeError
			if tc.change != errors.As(err, &change) {
				t.Fatalf("%s\nCheck: %v, want a ChangeError: %t", tc.reason, err, tc.change)
			}
			if err == nil {
				err = (Composer{}).Compose(xr, docdbEnv(t, environment.Environment{}), s)
			}
			if diff := cmp.Diff(tc.want, errString(err)); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestDocDBStatus(t *testing.T) {
	const endpoint = "catalog-db-cc618b5163dd.cluster-c9akciq32.eu-west-1.docdb.amazonaws.com"
	ready := cluster("5.0.0", 1)
	ready["status"].(map[string]any)["atProvider"].(map[string]any)["endpoint"] = endpoint
	ready["status"].(map[string]any)["atProvider"].(map[string]any)["port"] = 27017.0
	bundle := "https://truststore.pki.rds.amazonaws.com/eu-west-1/eu-west-1-bundle.pem"
	type got struct {
		Fields  map[string]any
		Details map[string]string
	}
	cases := map[string]struct {
		reason    string
		namespace string
		observed  map[string]map[string]any
		conn      map[string][]byte
		want      got
	}{
		"New": {
			reason: "Before the cluster exists only the Secret it will write is known.",
			want:   got{Fields: map[string]any{"secretName": "catalog-db-cluster-connection-cc618b5163dd"}},
		},
		"NoPasswordYet": {
			reason:   "Connection details are returned once the provider wrote the password: nothing else is of use without it.",
			observed: map[string]map[string]any{Cluster: ready},
			conn:     map[string][]byte{"endpoint": []byte(endpoint)},
			want:     got{Fields: map[string]any{"secretName": "catalog-db-cluster-connection-cc618b5163dd", "endpoint": endpoint, "port": 27017.0}},
		},
		"Ready": {
			reason:   "A claim gets endpoint, port, username and password, and what verifies the server.",
			observed: map[string]map[string]any{Cluster: ready},
			conn:     map[string][]byte{"endpoint": []byte(endpoint), "arn": []byte("arn:aws:rds:eu-west-1:111122223333:cluster:x"), "password": []byte("s3cr3t")},
			want: got{
				Fields:  map[string]any{"secretName": "catalog-db-cluster-connection-cc618b5163dd", "endpoint": endpoint, "port": 27017.0},
				Details: map[string]string{"endpoint": endpoint, "port": "27017", "username": "paved", "password": "s3cr3t", "caCertIdentifier": CACertIdentifier, "caBundleURL": bundle},
			},
		},
		"Namespaced": {
			reason:    "A namespaced Database reads no connection detail: the provider writes the team's Secret; port, username and CA are in its status.",
			namespace: "team-catalog",
			observed:  map[string]map[string]any{Cluster: ready},
			conn:      map[string][]byte{"password": []byte("s3cr3t")},
			want: got{Fields: map[string]any{"secretName": "catalog-db-connection", "endpoint": endpoint, "port": 27017.0, "username": "paved",
				"caCertIdentifier": CACertIdentifier, "caBundleURL": bundle}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			spec := map[string]any{"engine": "mongodb", "size": "small"}
			if tc.namespace != "" {
				spec["writeConnectionSecretToRef"] = map[string]any{"name": "catalog-db-connection"}
			}
			xr, s := docdbSet(t, spec, tc.namespace, tc.observed, tc.conn)
			if err := (Composer{}).Compose(xr, docdbEnv(t, environment.Environment{}), s); err != nil {
				t.Fatal(err)
			}
			st := (Composer{}).Status(xr, s)
			g := got{Fields: map[string]any{}}
			for k, v := range st.Fields {
				g.Fields[k] = v.AsInterface()
			}
			if len(st.ConnectionDetails) > 0 {
				g.Details = map[string]string{}
				for k, v := range st.ConnectionDetails {
					g.Details[k] = string(v)
				}
			}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("%s\nStatus: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
