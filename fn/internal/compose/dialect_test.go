package compose

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// TestNamespacedSpecTwice: translating a spec that is translated already
// changes nothing (namespacedSpec rewrites in place; a composer that
// passed one map twice would get it translated twice).
func TestNamespacedSpecTwice(t *testing.T) {
	spec := resource.MustStructJSON(`{"deletionPolicy": "Orphan", "providerConfigRef": {"name": "tenant"},
		"writeConnectionSecretToRef": {"name": "s", "namespace": "elsewhere"},
		"forProvider": {"rule": [{"applyServerSideEncryptionByDefault": [{"sseAlgorithm": "aws:kms"}]}], "passwordSecretRef": {"name": "pw", "key": "k", "namespace": "elsewhere"}},
		"initProvider": {"rule": [{"applyServerSideEncryptionByDefault": [{"sseAlgorithm": "AES256"}]}]}}`)
	ref := pb.Obj(pb.Fields{"kind": pb.Str("ClusterProviderConfig"), "name": pb.Str("default")})
	embedded := [][]string{{"rule", "*", "applyServerSideEncryptionByDefault"}}
	if err := namespacedSpec(spec, ref, embedded); err != nil {
		t.Fatal(err)
	}
	once := proto.Clone(spec)
	if err := namespacedSpec(spec, ref, embedded); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(once, spec, protocmp.Transform()); diff != "" {
		t.Errorf("translated twice: -once, +twice:\n%s", diff)
	}
	want := resource.MustStructJSON(`{"managementPolicies": ["Observe", "Create", "Update", "LateInitialize"], "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "default"},
		"writeConnectionSecretToRef": {"name": "s"},
		"forProvider": {"rule": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}], "passwordSecretRef": {"name": "pw", "key": "k"}},
		"initProvider": {"rule": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}}`)
	if diff := cmp.Diff(want, spec, protocmp.Transform()); diff != "" {
		t.Errorf("-want, +got:\n%s", diff)
	}
}

func namespacedXR() *Composite {
	return &Composite{APIVersion: "paved.dev/v1alpha1", Kind: "Bucket", Name: "orders", UID: "u", Namespace: "team-orders"}
}

func legacyXR() *Composite {
	return &Composite{APIVersion: "platform.paved.dev/v1alpha1", Kind: "XBucket", Name: "orders-x7k2p", UID: "u",
		ClaimKind: "BucketClaim", ClaimName: "orders", ClaimNamespace: "team-orders"}
}

// TestDialect: what a composer adds is composed as it is for a legacy
// composite and translated once, as it is added, for a namespaced one.
func TestDialect(t *testing.T) {
	type added struct {
		apiVersion, kind, name string
		spec                   string
	}
	cases := map[string]struct {
		reason string
		xr     *Composite
		add    added
		want   string // the composed object without labels
	}{
		"LegacyUnchanged": {
			reason: "A legacy composite composes provider-aws's cluster-scoped kinds as the composer wrote them.",
			xr:     legacyXR(),
			add:    added{"rds.aws.upbound.io/v1beta2", "Instance", "orders-instance", `{"forProvider": {"passwordSecretRef": {"namespace": "crossplane-system", "name": "pw", "key": "password"}}, "writeConnectionSecretToRef": {"namespace": "crossplane-system", "name": "conn"}}`},
			want: `{"apiVersion": "rds.aws.upbound.io/v1beta2", "kind": "Instance", "metadata": {"name": "orders-instance"},
				"spec": {"forProvider": {"passwordSecretRef": {"namespace": "crossplane-system", "name": "pw", "key": "password"}}, "writeConnectionSecretToRef": {"namespace": "crossplane-system", "name": "conn"}}}`,
		},
		"BucketToNamespacedKind": {
			reason: "s3 Bucket becomes s3.aws.m.upbound.io/v1beta1 in the composite's namespace, with the provider config.",
			xr:     namespacedXR(),
			add:    added{"s3.aws.upbound.io/v1beta1", "Bucket", "orders-bucket", `{"forProvider": {"region": "eu-west-1", "forceDestroy": false}}`},
			want: `{"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "Bucket", "metadata": {"name": "orders-bucket", "namespace": "team-orders"},
				"spec": {"forProvider": {"region": "eu-west-1", "forceDestroy": false}, "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "default"}}}`,
		},
		"InstanceVersionRestarts": {
			reason: "rds Instance v1beta2 becomes the only version the namespaced CRD serves, v1beta1; its secret references become local.",
			xr:     namespacedXR(),
			add:    added{"rds.aws.upbound.io/v1beta2", "Instance", "orders-instance", `{"forProvider": {"passwordSecretRef": {"namespace": "crossplane-system", "name": "pw", "key": "password"}, "region": "eu-west-1"}, "writeConnectionSecretToRef": {"namespace": "crossplane-system", "name": "conn"}}`},
			want: `{"apiVersion": "rds.aws.m.upbound.io/v1beta1", "kind": "Instance", "metadata": {"name": "orders-instance", "namespace": "team-orders"},
				"spec": {"forProvider": {"passwordSecretRef": {"name": "pw", "key": "password"}, "region": "eu-west-1"}, "writeConnectionSecretToRef": {"name": "conn"},
					"providerConfigRef": {"kind": "ClusterProviderConfig", "name": "default"}}}`,
		},
		"SecretRefInInitProvider": {
			reason: "Secret references in initProvider are local too.",
			xr:     namespacedXR(),
			add:    added{"rds.aws.upbound.io/v1beta2", "Instance", "orders-instance", `{"initProvider": {"passwordSecretRef": {"namespace": "elsewhere", "name": "pw", "key": "password"}}}`},
			want: `{"apiVersion": "rds.aws.m.upbound.io/v1beta1", "kind": "Instance", "metadata": {"name": "orders-instance", "namespace": "team-orders"},
				"spec": {"initProvider": {"passwordSecretRef": {"name": "pw", "key": "password"}}, "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "default"}}}`,
		},
		"OrphanBecomesManagementPolicies": {
			reason: "Namespaced managed resources have no deletionPolicy: Orphan is every management policy but Delete.",
			xr:     namespacedXR(),
			add:    added{"ec2.aws.upbound.io/v1beta1", "SecurityGroup", "orders-sg", `{"deletionPolicy": "Orphan", "forProvider": {"name": "sg"}}`},
			want: `{"apiVersion": "ec2.aws.m.upbound.io/v1beta1", "kind": "SecurityGroup", "metadata": {"name": "orders-sg", "namespace": "team-orders"},
				"spec": {"forProvider": {"name": "sg"}, "managementPolicies": ["Observe", "Create", "Update", "LateInitialize"], "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "default"}}}`,
		},
		"DeleteIsTheDefault": {
			reason: "deletionPolicy Delete is the default of namespaced managed resources (management policy *): it goes.",
			xr:     namespacedXR(),
			add:    added{"ec2.aws.upbound.io/v1beta1", "SecurityGroupRule", "orders-rule", `{"deletionPolicy": "Delete", "forProvider": {"type": "ingress"}}`},
			want: `{"apiVersion": "ec2.aws.m.upbound.io/v1beta1", "kind": "SecurityGroupRule", "metadata": {"name": "orders-rule", "namespace": "team-orders"},
				"spec": {"forProvider": {"type": "ingress"}, "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "default"}}}`,
		},
		"EmbeddedObject": {
			reason: "BucketVersioning's versioningConfiguration is a list of one in v1, an object in the namespaced kind.",
			xr:     namespacedXR(),
			add:    added{"s3.aws.upbound.io/v1beta1", "BucketVersioning", "orders-versioning", `{"forProvider": {"versioningConfiguration": [{"status": "Enabled"}]}}`},
			want: `{"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "BucketVersioning", "metadata": {"name": "orders-versioning", "namespace": "team-orders"},
				"spec": {"forProvider": {"versioningConfiguration": {"status": "Enabled"}}, "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "default"}}}`,
		},
		"EmbeddedInEveryElement": {
			reason: "applyServerSideEncryptionByDefault becomes an object in every rule.",
			xr:     namespacedXR(),
			add: added{"s3.aws.upbound.io/v1beta1", "BucketServerSideEncryptionConfiguration", "orders-encryption",
				`{"forProvider": {"rule": [{"applyServerSideEncryptionByDefault": [{"sseAlgorithm": "aws:kms"}], "bucketKeyEnabled": true}, {"applyServerSideEncryptionByDefault": [{"sseAlgorithm": "AES256"}]}]}}`},
			want: `{"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "BucketServerSideEncryptionConfiguration", "metadata": {"name": "orders-encryption", "namespace": "team-orders"},
				"spec": {"forProvider": {"rule": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}, "bucketKeyEnabled": true}, {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
					"providerConfigRef": {"kind": "ClusterProviderConfig", "name": "default"}}}`,
		},
		"EmbeddedInInitProvider": {
			reason: "initProvider has the same schema as forProvider.",
			xr:     namespacedXR(),
			add:    added{"s3.aws.upbound.io/v1beta1", "BucketOwnershipControls", "orders-oc", `{"initProvider": {"rule": [{"objectOwnership": "BucketOwnerEnforced"}]}}`},
			want: `{"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "BucketOwnershipControls", "metadata": {"name": "orders-oc", "namespace": "team-orders"},
				"spec": {"initProvider": {"rule": {"objectOwnership": "BucketOwnerEnforced"}}, "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "default"}}}`,
		},
		"ComposerCannotChooseProviderConfig": {
			reason: "The platform's provider config replaces whatever the composed spec says.",
			xr:     namespacedXR(),
			add:    added{"rds.aws.upbound.io/v1beta1", "SubnetGroup", "orders-sng", `{"providerConfigRef": {"name": "tenant-creds"}}`},
			want: `{"apiVersion": "rds.aws.m.upbound.io/v1beta1", "kind": "SubnetGroup", "metadata": {"name": "orders-sng", "namespace": "team-orders"},
				"spec": {"providerConfigRef": {"kind": "ClusterProviderConfig", "name": "default"}}}`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := NewSet(&fnv1.RunFunctionRequest{}, tc.xr, "test")
			spec := resource.MustStructJSON(tc.add.spec)
			// The values under the spec's top level, as they were.
			values := maps.Clone(spec.GetFields())
			before := proto.Clone(&structpb.Struct{Fields: values})
			s.Add("r", tc.add.apiVersion, tc.add.kind, tc.add.name, spec.GetFields())
			got := proto.Clone(s.Desired("r")).(*structpb.Struct)
			delete(pb.Struct(got, "metadata").GetFields(), "labels")
			if diff := cmp.Diff(resource.MustStructJSON(tc.want), got, protocmp.Transform()); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
			// Values of a composed spec may be shared (selectors, tags,
			// parameter lists): the translation rewrites the spec's top
			// level (Add: the map is the object's) and copies what it
			// changes below it.
			if diff := cmp.Diff(before, &structpb.Struct{Fields: values}, protocmp.Transform()); diff != "" {
				t.Errorf("%s\na value of the composer's spec was modified: -before, +after:\n%s", tc.reason, diff)
			}
			if err := s.Objects().CheckDialect(); err != nil {
				t.Errorf("%s\nCheckDialect: %v", tc.reason, err)
			}
		})
	}
}

// TestDialectRefuses: a namespaced composite composes only namespaced
// kinds paved knows, and only into its own namespace; anything else is
// paved's bug, refused before it is applied. A legacy composite is not
// concerned.
func TestDialectRefuses(t *testing.T) {
	cases := map[string]struct {
		reason string
		obj    string
		want   string
	}{
		"ClusterUsage": {"A ClusterUsage is cluster-scoped, which Crossplane refuses for a namespaced composite.",
			`{"apiVersion": "protection.crossplane.io/v1beta1", "kind": "ClusterUsage", "metadata": {"name": "u"}}`,
			"u (protection.crossplane.io/v1beta1 ClusterUsage): paved composes no such kind for a namespaced composite"},
		"UntestedAWSKind": {"A provider-aws kind without a tested namespaced kind is refused.",
			`{"apiVersion": "kms.aws.upbound.io/v1beta1", "kind": "Key", "metadata": {"name": "k"}}`,
			"u (kms.aws.upbound.io/v1beta1 Key): paved composes no such kind"},
		"ListOfTwo": {"A list of two where the namespaced kind takes one object cannot be translated.",
			`{"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketOwnershipControls", "metadata": {"name": "oc"}, "spec": {"forProvider": {"rule": [{"objectOwnership": "BucketOwnerEnforced"}, {"objectOwnership": "ObjectWriter"}]}}}`,
			"u (s3.aws.m.upbound.io/v1beta1 BucketOwnershipControls): spec.forProvider.rule: a list of 2, where the namespaced kind takes one object"},
		"OtherNamespace": {"An object in another namespace.",
			`{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "argocd"}}`,
			`u (v1 Secret): in namespace "argocd", but a namespaced composite composes only into its own, "team-orders"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := NewSet(&fnv1.RunFunctionRequest{}, namespacedXR(), "test")
			s.AddObject("u", resource.MustStructJSON(tc.obj), nil)
			err := s.Objects().CheckDialect()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s\nCheckDialect: got %v, want an error containing %q", tc.reason, err, tc.want)
			}
			if ns, _ := pb.String(s.Desired("u"), "metadata", "namespace"); ns != "team-orders" {
				t.Errorf("%s\nmetadata.namespace %q, want the composite's", tc.reason, ns)
			}
			legacy := NewSet(&fnv1.RunFunctionRequest{}, legacyXR(), "test")
			legacy.AddObject("u", resource.MustStructJSON(tc.obj), nil)
			if err := legacy.Objects().CheckDialect(); err != nil {
				t.Errorf("%s\nlegacy composite: CheckDialect: %v", tc.reason, err)
			}
		})
	}
}

// TestDialectUsages: a namespaced composite's resources are kept by
// namespaced Usages in its namespace (a namespaced composite cannot
// compose a ClusterUsage), naming the namespaced kinds.
func TestDialectUsages(t *testing.T) {
	s := NewSet(&fnv1.RunFunctionRequest{}, namespacedXR(), "bucket")
	s.Add("bucket", "s3.aws.upbound.io/v1beta1", "Bucket", "orders-bucket", pb.Fields{})
	s.Add("policy", "s3.aws.upbound.io/v1beta1", "BucketPolicy", "orders-policy", pb.Fields{"forProvider": pb.Obj(pb.Fields{"bucketSelector": Selector("bucket")})})
	s.Protect("bucket", "holds objects", Keep("policy")...)
	got := proto.Clone(s.Desired("protect-policy")).(*structpb.Struct)
	delete(pb.Struct(got, "metadata").GetFields(), "labels")
	want := resource.MustStructJSON(`{"apiVersion": "protection.crossplane.io/v1beta1", "kind": "Usage",
		"metadata": {"name": "orders-protect-policy", "namespace": "team-orders", "finalizers": ["usage.apiextensions.crossplane.io"],
			"annotations": {"crossplane.io/usage-details": "Bucket/orders-bucket uses BucketPolicy/orders-policy in namespace team-orders"}},
		"spec": {"replayDeletion": true,
			"of": {"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "BucketPolicy", "resourceRef": {"name": "orders-policy", "namespace": "team-orders"}},
			"by": {"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "Bucket", "resourceRef": {"name": "orders-bucket"}}}}`)
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("-want, +got:\n%s", diff)
	}
	if err := s.Objects().CheckDialect(); err != nil {
		t.Error(err)
	}
	sel := pb.Get(s.Desired("policy"), "spec", "forProvider", "bucketSelector")
	if ctrl, _ := pb.Bool(sel.GetStructValue(), "matchControllerRef"); !ctrl {
		t.Errorf("bucketSelector %v: siblings bind by controller reference", sel)
	}
}

// TestDialectProviderConfig: the platform's environment chooses the
// provider config of a namespaced composite's managed resources, and an
// existing resource keeps the one it has: another may hold another AWS
// account's credentials.
func TestDialectProviderConfig(t *testing.T) {
	pins := []Pin{{Setting: env.Region, Resource: "bucket", Paths: [][]string{{"spec", "forProvider", "region"}}}}
	e := &env.Environment{Region: "eu-west-1", AWSProviderConfigRef: env.ProviderConfigRef{Kind: "ProviderConfig", Name: "aws"}}
	cases := map[string]struct {
		reason   string
		observed string
		want     string
		drifts   []string
	}{
		"New": {reason: "A new composite's resources use the environment's provider config.",
			want: `{"kind": "ProviderConfig", "name": "aws"}`},
		"Existing": {reason: "An existing resource keeps its provider config, with a drift.",
			observed: `{"spec": {"forProvider": {"region": "eu-west-1"}, "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "default"}}}`,
			want:     `{"kind": "ClusterProviderConfig", "name": "default"}`,
			drifts:   []string{env.ProviderConfigKind, env.ProviderConfigName}},
		"Same": {reason: "An existing resource with the environment's provider config: no drift.",
			observed: `{"spec": {"providerConfigRef": {"kind": "ProviderConfig", "name": "aws"}}}`,
			want:     `{"kind": "ProviderConfig", "name": "aws"}`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: map[string]*fnv1.Resource{}}}
			if tc.observed != "" {
				req.Observed.Resources["bucket"] = &fnv1.Resource{Resource: resource.MustStructJSON(tc.observed)}
			}
			s := NewSet(req, namespacedXR(), "bucket")
			_, drifts := s.Pin(e, pins)
			var got []string
			for _, d := range drifts {
				got = append(got, d.Setting)
			}
			if diff := cmp.Diff(tc.drifts, got); diff != "" {
				t.Errorf("%s\ndrifts: -want, +got:\n%s", tc.reason, diff)
			}
			s.Add("bucket", "s3.aws.upbound.io/v1beta1", "Bucket", "orders-bucket", pb.Fields{})
			if diff := cmp.Diff(resource.MustStructJSON(tc.want), pb.Struct(s.Desired("bucket"), "spec", "providerConfigRef"), protocmp.Transform()); diff != "" {
				t.Errorf("%s\nproviderConfigRef: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
	// A legacy composite's provider config is not a placement setting.
	s := NewSet(&fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: map[string]*fnv1.Resource{"bucket": {Resource: resource.MustStructJSON(`{"spec": {"providerConfigRef": {"name": "default"}}}`)}}}}, legacyXR(), "bucket")
	if _, drifts := s.Pin(e, pins); len(drifts) != 0 {
		t.Errorf("legacy composite: drifts %v, want none", drifts)
	}
}

// TestConnectionSecret: a namespaced composite's connection details are a
// composed Secret in its namespace (v2 composites have none of their
// own), ready once it exists; a legacy composite's are returned for
// Crossplane to write.
func TestConnectionSecret(t *testing.T) {
	details := map[string][]byte{"bucketName": []byte("orders-7c62"), "region": []byte("eu-west-1")}
	cases := map[string]struct {
		reason      string
		xr          *Composite
		observed    string
		wantSecret  string
		wantReady   fnv1.Ready
		wantDetails map[string][]byte
	}{
		"Legacy": {reason: "Crossplane writes a legacy composite's connection details.",
			xr: legacyXR(), wantDetails: details},
		"NamespacedNew": {reason: "A namespaced composite composes its Secret, not ready until it exists.",
			xr: namespacedXR(), wantReady: fnv1.Ready_READY_FALSE,
			wantSecret: `{"apiVersion": "v1", "kind": "Secret", "type": "connection.crossplane.io/v1alpha1",
				"metadata": {"name": "orders-bucket-connection", "namespace": "team-orders"},
				"data": {"bucketName": "b3JkZXJzLTdjNjI=", "region": "ZXUtd2VzdC0x"}}`},
		"NamespacedExisting": {reason: "An existing Secret keeps its name, and is ready.",
			xr: namespacedXR(), observed: `{"metadata": {"name": "kept"}}`, wantReady: fnv1.Ready_READY_TRUE,
			wantSecret: `{"apiVersion": "v1", "kind": "Secret", "type": "connection.crossplane.io/v1alpha1",
				"metadata": {"name": "kept", "namespace": "team-orders"},
				"data": {"bucketName": "b3JkZXJzLTdjNjI=", "region": "ZXUtd2VzdC0x"}}`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{Resources: map[string]*fnv1.Resource{}}}
			if tc.observed != "" {
				req.Observed.Resources[ConnectionSecret] = &fnv1.Resource{Resource: resource.MustStructJSON(tc.observed)}
			}
			s := NewSet(req, tc.xr, "bucket")
			if err := s.ComposeConnectionSecret("bucket"); err != nil {
				t.Fatal(err)
			}
			rsp := &fnv1.RunFunctionResponse{}
			s.Write(rsp)
			s.WriteStatus(rsp, Status{ConnectionDetails: details})
			if diff := cmp.Diff(tc.wantDetails, rsp.GetDesired().GetComposite().GetConnectionDetails()); diff != "" {
				t.Errorf("%s\ncomposite's connection details: -want, +got:\n%s", tc.reason, diff)
			}
			r, ok := rsp.GetDesired().GetResources()[ConnectionSecret]
			if tc.wantSecret == "" {
				if ok {
					t.Errorf("%s\ncomposed a Secret: %v", tc.reason, r)
				}
				return
			}
			got := proto.Clone(r.GetResource()).(*structpb.Struct)
			delete(pb.Struct(got, "metadata").GetFields(), "labels")
			if diff := cmp.Diff(resource.MustStructJSON(tc.wantSecret), got, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nSecret: -want, +got:\n%s", tc.reason, diff)
			}
			if r.GetReady() != tc.wantReady {
				t.Errorf("%s\nready %v, want %v", tc.reason, r.GetReady(), tc.wantReady)
			}
			if err := s.Objects().CheckDialect(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestConnectionSecretName: a namespaced composite names its Secret in
// spec.writeConnectionSecretToRef.name, or gets one no composite of
// another kind or name in its namespace gets.
func TestConnectionSecretName(t *testing.T) {
	cases := map[string]struct {
		spec, component, want, err string
	}{
		"Default":       {`{}`, "bucket", "orders-bucket-connection", ""},
		"OtherKind":     {`{}`, "database", "orders-database-connection", ""},
		"Named":         {`{"writeConnectionSecretToRef": {"name": "orders-s3"}}`, "bucket", "orders-s3", ""},
		"NotAName":      {`{"writeConnectionSecretToRef": {"name": "Orders S3"}}`, "bucket", "", `spec.writeConnectionSecretToRef.name: invalid value "Orders S3"`},
		"NotAString":    {`{"writeConnectionSecretToRef": {"name": 7}}`, "bucket", "", `spec.writeConnectionSecretToRef.name: invalid value 7`},
		"NamespaceOnly": {`{"writeConnectionSecretToRef": {"namespace": "kube-system"}}`, "bucket", "orders-bucket-connection", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			xr := namespacedXR()
			xr.Object = resource.MustStructJSON(`{"spec": ` + tc.spec + `}`)
			got, err := xr.ConnectionSecretName(tc.component)
			if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("ConnectionSecretName(%q) = %q, %v; want %q, %q", tc.component, got, err, tc.want, tc.err)
			}
		})
	}
}

// TestNamespacedComposite: a namespaced composite has no claim, whatever
// its author writes in its labels or spec.
func TestNamespacedComposite(t *testing.T) {
	req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(`{
		"apiVersion": "paved.dev/v1alpha1", "kind": "Database",
		"metadata": {"name": "orders-db", "namespace": "team-orders", "uid": "u",
			"labels": {"crossplane.io/claim-name": "payments-db", "crossplane.io/claim-namespace": "team-payments"}},
		"spec": {"claimRef": {"name": "payments-db", "namespace": "team-payments"}}}`)}}}
	xr, err := ObservedComposite(req)
	if err != nil {
		t.Fatal(err)
	}
	if xr.ClaimName != "" || xr.ClaimNamespace != "" || !xr.Namespaced() {
		t.Errorf("claim %q/%q, namespaced %t; want no claim of a namespaced composite", xr.ClaimNamespace, xr.ClaimName, xr.Namespaced())
	}
	if got, want := xr.Subject(), "Database team-orders/orders-db"; got != want {
		t.Errorf("Subject() = %q, want %q", got, want)
	}
	s := NewSet(req, xr, "database")
	l := s.Labels("instance")
	if _, ok := l[LabelClaimNamespace]; ok {
		t.Errorf("labels %v name a claim", l)
	}
	tags := s.Tags().GetStructValue()
	if ns, _ := pb.String(tags, "paved.dev/namespace"); ns != "team-orders" || pb.Has(tags, "paved.dev/claim") {
		t.Errorf("tags %v, want the composite's namespace and no claim", tags)
	}
}

// TestNamespacedKindsServed: every namespaced kind the dialect composes is
// served, at that version, by the provider-aws v2.6.0 CRD vendored in
// test/crds (what make validate checks the renders against), is
// namespaced there, and takes each of its embedded parameters as an
// object, in spec.forProvider and status.atProvider.
func TestNamespacedKindsServed(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "test", "crds", "provider-aws-v2.6.0")
	type schema struct {
		Type       string            `json:"type"`
		Properties map[string]schema `json:"properties"`
		Items      *schema           `json:"items"`
	}
	served := map[string]schema{}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs in %s: %v", dir, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var crd struct {
			Spec struct {
				Group string `json:"group"`
				Scope string `json:"scope"`
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
				Versions []struct {
					Name   string `json:"name"`
					Served bool   `json:"served"`
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
			if v.Served && crd.Spec.Scope == "Namespaced" {
				served[crd.Spec.Group+"/"+v.Name+" "+crd.Spec.Names.Kind] = v.Schema.OpenAPIV3Schema
			}
		}
	}
	at := func(s schema, path []string) (schema, bool) {
		for _, p := range path {
			if p == "*" {
				if s.Items == nil {
					return s, false
				}
				s = *s.Items
				continue
			}
			var ok bool
			if s, ok = s.Properties[p]; !ok {
				return s, false
			}
		}
		return s, true
	}
	for from, to := range namespacedKinds {
		_, kind, _ := strings.Cut(from, " ")
		sch, ok := served[to.apiVersion+" "+kind]
		if !ok {
			t.Errorf("%s becomes %s %s, which no namespaced CRD in %s serves", from, to.apiVersion, kind, dir)
			continue
		}
		if !namespacedKind(to.apiVersion, kind) {
			t.Errorf("%s becomes %s %s, which namespacedKind refuses", from, to.apiVersion, kind)
		}
		for _, e := range to.embedded {
			for _, params := range [][]string{{"spec", "forProvider"}, {"status", "atProvider"}} {
				p := append(slices.Clone(params), e...)
				if f, ok := at(sch, p); !ok || f.Type != "object" {
					t.Errorf("%s %s: %s is %q (found %v), want an object", to.apiVersion, kind, strings.Join(p, "."), f.Type, ok)
				}
			}
		}
	}
}

// TestNamespacedPath: a path a composer wrote for a cluster-scoped kind
// reads the embedded object of the namespaced kind.
func TestNamespacedPath(t *testing.T) {
	enc := resource.MustStructJSON(`{"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "BucketServerSideEncryptionConfiguration"}`)
	own := resource.MustStructJSON(`{"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "BucketOwnershipControls"}`)
	legacy := resource.MustStructJSON(`{"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "BucketServerSideEncryptionConfiguration"}`)
	cases := map[string]struct {
		obs        *structpb.Struct
		path, want string
	}{
		"NestedInList": {enc, "spec.forProvider.rule.0.applyServerSideEncryptionByDefault.0.kmsMasterKeyId", "spec.forProvider.rule.0.applyServerSideEncryptionByDefault.kmsMasterKeyId"},
		"Status":       {enc, "status.atProvider.rule.0.applyServerSideEncryptionByDefault.0.kmsMasterKeyId", "status.atProvider.rule.0.applyServerSideEncryptionByDefault.kmsMasterKeyId"},
		"TopLevel":     {own, "spec.forProvider.rule.0.objectOwnership", "spec.forProvider.rule.objectOwnership"},
		"NotEmbedded":  {enc, "spec.forProvider.region", "spec.forProvider.region"},
		"ClusterKind":  {legacy, "spec.forProvider.rule.0.applyServerSideEncryptionByDefault.0.kmsMasterKeyId", "spec.forProvider.rule.0.applyServerSideEncryptionByDefault.0.kmsMasterKeyId"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := strings.Join(NamespacedPath(tc.obs, strings.Split(tc.path, ".")), "."); got != tc.want {
				t.Errorf("NamespacedPath(%s) = %s, want %s", tc.path, got, tc.want)
			}
		})
	}
}

// TestPavedNamespacedKindsServed: every provider-paved kind paved composes
// for a namespaced composite becomes a kind the provider serves as a
// namespaced CRD (package/crds), whose spec takes what namespacedSpec
// writes: a providerConfigRef with a kind and managementPolicies.
func TestPavedNamespacedKindsServed(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "package", "crds")
	type schema struct {
		Properties map[string]schema `json:"properties"`
	}
	served := map[string]schema{}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs in %s: %v", dir, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var crd struct {
			Spec struct {
				Group string `json:"group"`
				Scope string `json:"scope"`
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
				Versions []struct {
					Name   string `json:"name"`
					Served bool   `json:"served"`
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
			if v.Served && crd.Spec.Scope == "Namespaced" {
				served[crd.Spec.Group+"/"+v.Name+" "+crd.Spec.Names.Kind] = v.Schema.OpenAPIV3Schema
			}
		}
	}
	for from, to := range pavedNamespacedKinds {
		_, kind, _ := strings.Cut(from, " ")
		sch, ok := served[to+" "+kind]
		if !ok {
			t.Errorf("%s becomes %s %s, which no namespaced CRD in %s serves", from, to, kind, dir)
			continue
		}
		if !namespacedKind(to, kind) {
			t.Errorf("%s becomes %s %s, which namespacedKind refuses", from, to, kind)
		}
		spec := sch.Properties["spec"]
		if _, ok := spec.Properties["providerConfigRef"].Properties["kind"]; !ok {
			t.Errorf("%s %s: spec.providerConfigRef has no kind", to, kind)
		}
		if _, ok := spec.Properties["managementPolicies"]; !ok {
			t.Errorf("%s %s: spec has no managementPolicies", to, kind)
		}
		if _, ok := spec.Properties["deletionPolicy"]; ok {
			t.Errorf("%s %s: spec has a deletionPolicy, which namespaced managed resources do not", to, kind)
		}
	}
}

// TestDialectPavedKinds: a provider-paved managed resource a namespaced
// composite composes becomes its namespaced kind in the composite's
// namespace, with the provider config the composer named, of the kind the
// platform's environment says (never the composite's author), and
// deletionPolicy Orphan becomes the management policies without Delete;
// a legacy composite's is left as it is (but for its controller's
// finalizer, finalizer.go).
func TestDialectPavedKinds(t *testing.T) {
	obj := `{"apiVersion": "github.paved.dev/v1alpha1", "kind": "RepositoryFile", "metadata": {"name": "orders-file"},
		"spec": {"forProvider": {"path": "catalog-info.yaml"}, "providerConfigRef": {"name": "github"}, "deletionPolicy": "Orphan"}}`
	cases := map[string]struct {
		reason string
		kind   string // the environment's serviceBundle.providerConfigKind; "": not pinned
		want   string
	}{
		"ProviderConfig": {reason: "The environment names a ProviderConfig in the composite's namespace.", kind: "ProviderConfig",
			want: `{"apiVersion": "github.m.paved.dev/v1alpha1", "kind": "RepositoryFile", "metadata": {"name": "orders-file", "namespace": "team-orders", "finalizers": ["finalizer.managedresource.crossplane.io"]},
				"spec": {"forProvider": {"path": "catalog-info.yaml"}, "providerConfigRef": {"kind": "ProviderConfig", "name": "github"},
					"managementPolicies": ["Observe", "Create", "Update", "LateInitialize"]}}`},
		"Default": {reason: "Without a pinned environment, provider-paved's default kind.",
			want: `{"apiVersion": "github.m.paved.dev/v1alpha1", "kind": "RepositoryFile", "metadata": {"name": "orders-file", "namespace": "team-orders", "finalizers": ["finalizer.managedresource.crossplane.io"]},
				"spec": {"forProvider": {"path": "catalog-info.yaml"}, "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "github"},
					"managementPolicies": ["Observe", "Create", "Update", "LateInitialize"]}}`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := NewSet(&fnv1.RunFunctionRequest{}, namespacedXR(), "service")
			if tc.kind != "" {
				s.Pin(&env.Environment{ServiceBundle: env.ServiceBundle{ProviderConfigKind: tc.kind}}, nil)
			}
			s.add("file", resource.MustStructJSON(obj))
			if err := s.Objects().CheckDialect(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(resource.MustStructJSON(tc.want), s.Desired("file"), protocmp.Transform()); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
	legacy := NewSet(&fnv1.RunFunctionRequest{}, legacyXR(), "service")
	legacy.add("file", resource.MustStructJSON(obj))
	want := `{"apiVersion": "github.paved.dev/v1alpha1", "kind": "RepositoryFile", "metadata": {"name": "orders-file", "finalizers": ["finalizer.managedresource.crossplane.io"]},
		"spec": {"forProvider": {"path": "catalog-info.yaml"}, "providerConfigRef": {"name": "github"}, "deletionPolicy": "Orphan"}}`
	if diff := cmp.Diff(resource.MustStructJSON(want), legacy.Desired("file"), protocmp.Transform()); diff != "" {
		t.Errorf("legacy composite: -want, +got:\n%s", diff)
	}
}
