//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestMongoDBClaim: a DatabaseClaim of engine mongodb composes an Amazon
// DocumentDB cluster (encrypted, deletion-protected, with a final
// snapshot and a generated password), its instance, TLS-enforcing
// cluster parameter group, subnet group, security group and ingress rule
// on 27017. With provider-aws and AWS played by the stand-in
// (awsstandin_docdb_test.go), the claim becomes Ready with endpoint and
// port in its status and a connection secret with endpoint, port,
// username and the generated password. Deleting the claim follows the
// decommission rules: the instance goes, the cluster stays (DocumentDB
// refuses to delete it while protected) and keeps what protects and
// reaches it, until a platform operator lifts deletion protection; then
// DocumentDB takes the final snapshot and everything goes.
func TestMongoDBClaim(t *testing.T) {
	requireInstalled(t)
	ctx := context.Background()
	const ns, name, secret = "team-catalog", "catalog-db", "catalog-db-conn"
	createNamespace(ctx, t, ns)
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	aws := startAWSStandIn(sctx, ns)

	r := &claimRun{kind: "DatabaseClaim", namespace: ns, name: name,
		want: []string{"SubnetGroup", "SecurityGroup", "SecurityGroupRule", "ClusterParameterGroup", "Cluster", "ClusterInstance"}, usages: 5}
	r.create(ctx, t, newClaim(r.kind, ns, name, map[string]any{
		"engine":                     "mongodb",
		"size":                       "small",
		"writeConnectionSecretToRef": map[string]any{"name": secret},
	}))
	r.checkOwnership(ctx, t)

	// The secure settings, as the API server stored them.
	cluster := r.composedResource(ctx, t, "Cluster")
	fp := func(k string) any { return field(cluster, "spec", "forProvider", k) }
	for k, want := range map[string]any{
		"engine":               "docdb",
		"engineVersion":        "5.0.0",
		"storageEncrypted":     true,
		"deletionProtection":   true,
		"skipFinalSnapshot":    false,
		"autoGeneratePassword": true,
		"masterUsername":       "paved",
		"port":                 27017,
	} {
		expect(t, "Cluster spec.forProvider."+k, fp(k), want)
	}
	if n, _ := fp("backupRetentionPeriod").(int64); n < 7 || n > 35 {
		t.Errorf("Cluster spec.forProvider.backupRetentionPeriod = %v, want 7 to 35 days", fp("backupRetentionPeriod"))
	}
	if fp("masterPassword") != nil {
		t.Errorf("Cluster spec.forProvider carries a password: %v", fp("masterPassword"))
	}
	id := uidDigest(r.xr)
	identifier := r.xr.GetName() + "-" + id
	expect(t, "Cluster external name (its identifier)", cluster.GetAnnotations()["crossplane.io/external-name"], identifier)
	expect(t, "Cluster finalSnapshotIdentifier", fp("finalSnapshotIdentifier"), identifier+"-final")
	expect(t, "Cluster dbSubnetGroupName", fp("dbSubnetGroupName"), identifier)
	r.checkSelects(ctx, t, cluster, "vpcSecurityGroupIdSelector", "SecurityGroup")
	r.checkSelects(ctx, t, cluster, "dbClusterParameterGroupNameSelector", "ClusterParameterGroup")
	pg := r.composedResource(ctx, t, "ClusterParameterGroup")
	expect(t, "ClusterParameterGroup family", field(pg, "spec", "forProvider", "family"), "docdb5.0")
	params, _ := field(pg, "spec", "forProvider", "parameter").([]any)
	if !slices.ContainsFunc(params, func(p any) bool {
		m, _ := p.(map[string]any)
		return m["name"] == "tls" && m["value"] == "enabled"
	}) {
		t.Errorf("ClusterParameterGroup does not enforce TLS: %v", params)
	}
	inst := r.composedResource(ctx, t, "ClusterInstance")
	expect(t, "ClusterInstance external name", inst.GetAnnotations()["crossplane.io/external-name"], identifier+"-1")
	expect(t, "ClusterInstance instanceClass", field(inst, "spec", "forProvider", "instanceClass"), "db.t4g.medium")
	r.checkSelects(ctx, t, inst, "clusterIdentifierSelector", "Cluster")
	rule := r.composedResource(ctx, t, "SecurityGroupRule")
	expect(t, "SecurityGroupRule fromPort", field(rule, "spec", "forProvider", "fromPort"), 27017)
	expect(t, "SecurityGroupRule toPort", field(rule, "spec", "forProvider", "toPort"), 27017)
	cidrs, _ := field(rule, "spec", "forProvider", "cidrBlocks").([]any)
	for _, c := range cidrs {
		if c == "0.0.0.0/0" {
			t.Errorf("SecurityGroupRule opens the database to the internet")
		}
	}

	// The stand-in, playing since before the claim was created, creates
	// the subnet group, then the cluster (which needs it), then the
	// instance (which needs the cluster).
	claim, _ := waitCondition(ctx, t, waitLimit, claimVersion, r.kind, ns, name, "Ready", "True")
	t.Logf("figure: DatabaseClaim %s/%s (mongodb): Ready %.2fs after the claim was created, the stand-in playing provider-aws throughout", ns, name, time.Since(r.created).Seconds())
	endpoint := identifier + ".cluster-c9akciq32.eu-west-1.docdb.amazonaws.com"
	expect(t, "DatabaseClaim status.endpoint", field(claim, "status", "endpoint"), endpoint)
	expect(t, "DatabaseClaim status.port", field(claim, "status", "port"), 27017)

	// The claim's Secret has the password provider-aws generated.
	masterRef, _, _ := unstructured.NestedStringMap(cluster.Object, "spec", "forProvider", "masterPasswordSecretRef")
	master := &corev1.Secret{}
	if err := cp.Client.Get(ctx, types.NamespacedName{Namespace: masterRef["namespace"], Name: masterRef["name"]}, master); err != nil {
		t.Fatalf("the generated password's Secret: %v", err)
	}
	got := &corev1.Secret{}
	eventually(ctx, t, waitLimit, "the claim's connection secret", func(ctx context.Context) error {
		if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: secret}, got); err != nil {
			return err
		}
		if len(got.Data["password"]) == 0 {
			return fmt.Errorf("keys %v, no password yet", keys(got.Data))
		}
		return nil
	})
	for k, want := range map[string]string{
		"endpoint": endpoint, "port": "27017", "username": "paved", "password": string(master.Data[masterRef["key"]]),
		"caCertIdentifier": "rds-ca-rsa2048-g1",
		"caBundleURL":      "https://truststore.pki.rds.amazonaws.com/eu-west-1/eu-west-1-bundle.pem",
	} {
		expect(t, "claim connection secret "+k, string(got.Data[k]), want)
	}

	// Deleting the claim: the instance goes (DocumentDB deletes an
	// instance of a protected cluster, the data stays in the cluster), the
	// cluster is refused while deletion protection is on, and nothing that
	// protects or reaches it goes. The operator lifts deletion protection;
	// then DocumentDB deletes the cluster with its final snapshot and
	// everything else follows.
	creates, deletes := aws.counts()
	r.deleteProtected(ctx, t, "Cluster", []string{"SecurityGroup", "SecurityGroupRule", "SubnetGroup", "ClusterParameterGroup"},
		deletionRefusal{message: docdbDeleteProtected(identifier)},
		func(ctx context.Context) error {
			// README, Decommission: lift deletion protection on the
			// Cluster (the composite being deleted no longer puts it
			// back).
			if _, ok := aws.exists("docdb.ClusterInstance", identifier+"-1"); ok {
				return fmt.Errorf("the instance is still in the cloud while the claim waits for the cluster")
			}
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(cluster.GroupVersionKind())
			u.SetName(cluster.GetName())
			return cp.Client.Patch(ctx, u, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"forProvider":{"deletionProtection":false}}}`)))
		}, secret)
	_, deleted := aws.since(creates, deletes)
	if !slices.Contains(aws.finalSnapshots(), identifier+"-final") {
		t.Errorf("final snapshots %v, want %s-final", aws.finalSnapshots(), identifier)
	}
	// The instance went first, the cluster before what it kept.
	order := strings.Join(deleted, "; ")
	ci, cl := strings.Index(order, "ClusterInstance "+identifier+"-1 "), strings.Index(order, "Cluster "+identifier+" ")
	sg := strings.Index(order, "SubnetGroup "+identifier+" ")
	if ci < 0 || cl < 0 || sg < 0 || ci > cl || cl > sg {
		t.Errorf("cloud deletions %q: want the instance, then the cluster, then its subnet group", order)
	}
}

// TestNamespacedMongoDB: a namespaced Database of engine mongodb composes
// provider-aws v2.6.0's namespaced docdb kinds in its own namespace; with
// the stand-in playing them it becomes Ready with endpoint, port and
// username in its status, and provider-aws (played) writes endpoint, arn
// and the generated password to the team's Secret in that namespace: the
// function never returns the password. Deleting it: the instance goes,
// the cluster stays while protected and keeps what it uses, until an
// operator lifts deletion protection.
func TestNamespacedMongoDB(t *testing.T) {
	requireNamespacedDatabaseInstalled(t)
	ctx := context.Background()
	const ns, name, secret = "team-docs", "docs-db", "docs-db-connection"
	createNamespace(ctx, t, ns)
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	aws := startAWSStandIn(sctx, ns)

	db := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": namespacedVersion, "kind": "Database",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     map[string]any{"engine": "mongodb", "size": "small", "writeConnectionSecretToRef": map[string]any{"name": secret}},
	}}
	created := time.Now()
	if err := cp.Client.Create(ctx, db); err != nil {
		t.Fatalf("create Database %s/%s: %v", ns, name, err)
	}
	xr, _ := waitCondition(ctx, t, waitLimit, namespacedVersion, "Database", ns, name, "Ready", "True")
	t.Logf("figure: namespaced Database %s/%s (mongodb): Ready %.2fs after it was created, the stand-in playing provider-aws throughout", ns, name, time.Since(created).Seconds())
	expect(t, "Database status.port", field(xr, "status", "port"), 27017)
	expect(t, "Database status.username", field(xr, "status", "username"), "paved")
	expect(t, "Database status.secretName", field(xr, "status", "secretName"), secret)

	const docdb = "docdb.aws.m.upbound.io/v1beta1"
	cluster, err := get(ctx, docdb, "Cluster", ns, name+"-cluster")
	if err != nil {
		t.Fatal(err)
	}
	identifier := cluster.GetAnnotations()["crossplane.io/external-name"]
	expect(t, "Database status.endpoint", field(xr, "status", "endpoint"), identifier+".cluster-c9akciq32.eu-west-1.docdb.amazonaws.com")
	for k, want := range map[string]any{"deletionProtection": true, "storageEncrypted": true, "skipFinalSnapshot": false} {
		expect(t, "Cluster spec.forProvider."+k, field(cluster, "spec", "forProvider", k), want)
	}
	expect(t, "Cluster providerConfigRef.kind", field(cluster, "spec", "providerConfigRef", "kind"), "ClusterProviderConfig")
	masterRef, _, _ := unstructured.NestedStringMap(cluster.Object, "spec", "forProvider", "masterPasswordSecretRef")
	if masterRef["namespace"] != "" {
		t.Errorf("the namespaced Cluster's masterPasswordSecretRef names a namespace: %v", masterRef)
	}
	master := &corev1.Secret{}
	if err := cp.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: masterRef["name"]}, master); err != nil {
		t.Fatalf("the generated password's Secret in %s: %v", ns, err)
	}
	got := &corev1.Secret{}
	eventually(ctx, t, waitLimit, "the team's connection Secret", func(ctx context.Context) error {
		return cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: secret}, got)
	})
	expect(t, "team Secret password", string(got.Data["password"]), string(master.Data[masterRef["key"]]))
	expect(t, "team Secret endpoint", string(got.Data["endpoint"]), identifier+".cluster-c9akciq32.eu-west-1.docdb.amazonaws.com")

	// Deleting it: the instance goes, the cluster is refused while
	// protected and keeps the rest.
	if err := cp.Client.Delete(ctx, xr); err != nil {
		t.Fatal(err)
	}
	eventually(ctx, t, waitLimit, "the instance deleted and the cluster refused", func(ctx context.Context) error {
		if _, ok := aws.exists("docdb.ClusterInstance", identifier+"-1"); ok {
			return fmt.Errorf("the instance is still in the cloud")
		}
		c, err := get(ctx, docdb, "Cluster", ns, name+"-cluster")
		if err != nil {
			return err
		}
		if s, _, msg := condition(c, "Synced"); c.GetDeletionTimestamp() == nil || s != "False" || msg != docdbDeleteProtected(identifier) {
			return fmt.Errorf("cluster not refused yet: %s", conditionsString(c))
		}
		return nil
	})
	for _, k := range []struct{ apiVersion, kind, name string }{
		{"ec2.aws.m.upbound.io/v1beta1", "SecurityGroup", name + "-security-group"},
		{"ec2.aws.m.upbound.io/v1beta1", "SecurityGroupRule", name + "-security-group-rule"},
		{docdb, "SubnetGroup", name + "-subnet-group"},
		{docdb, "ClusterParameterGroup", name + "-cluster-parameter-group-docdb5-0"},
	} {
		u, err := get(ctx, k.apiVersion, k.kind, ns, k.name)
		if err != nil {
			t.Errorf("%s %s: %v: deleting the Database stripped what its cluster uses", k.kind, k.name, err)
			continue
		}
		if u.GetDeletionTimestamp() != nil {
			t.Errorf("%s %s is being deleted while the cluster exists", k.kind, k.name)
		}
	}

	// The operator lifts deletion protection; everything goes.
	released := time.Now()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(cluster.GroupVersionKind())
	u.SetNamespace(ns)
	u.SetName(cluster.GetName())
	if err := cp.Client.Patch(ctx, u, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"forProvider":{"deletionProtection":false}}}`))); err != nil {
		t.Fatal(err)
	}
	eventually(ctx, t, waitLimit, "the Database and what it composed deleted", func(ctx context.Context) error {
		if _, err := get(ctx, namespacedVersion, "Database", ns, name); err == nil {
			return fmt.Errorf("the Database is still there")
		}
		if _, ok := aws.exists("docdb.Cluster", identifier); ok {
			return fmt.Errorf("the cluster is still in the cloud")
		}
		return nil
	})
	t.Logf("figure: namespaced Database %s/%s (mongodb): gone %.2fs after the operator's decommission step", ns, name, time.Since(released).Seconds())
	if !slices.Contains(aws.finalSnapshots(), identifier+"-final") {
		t.Errorf("final snapshots %v, want %s-final", aws.finalSnapshots(), identifier)
	}
}
