//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestRedisDatabaseClaim: a redis DatabaseClaim composes an ElastiCache
// replication group (Valkey) with its subnet group, security group and
// ingress rule on 6379; the AWS stand-in plays provider-aws (the AUTH
// token generated into its Secret, the connection details published) and
// the claim becomes Ready with its endpoint in its status and endpoint,
// port, tls and the token in its connection secret. Deleting the claim
// follows the decommission rules: the platform denies provider-aws
// DeleteReplicationGroup, so the group stays, Synced=False with AWS's
// refusal, and nothing that protects or reaches it goes until an operator
// deletes it in AWS; then everything goes.
func TestRedisDatabaseClaim(t *testing.T) {
	requireInstalled(t)
	ctx := t.Context()
	const ns, name, secret = "team-cart", "cart-cache", "cart-cache-conn"
	createNamespace(ctx, t, ns)
	aws := startAWSStandIn(ctx, ns)
	// AWS's answer to DeleteReplicationGroup from an identity an IAM Deny
	// covers (README, Decommission), as provider-aws reports it.
	denied := "delete failed: deleting ElastiCache Replication Group: operation error ElastiCache: DeleteReplicationGroup, api error AccessDenied: " +
		"User is not authorized to perform: elasticache:DeleteReplicationGroup with an explicit deny in an identity-based policy"
	aws.denyDelete("ReplicationGroup", denied)

	r := &claimRun{kind: "DatabaseClaim", namespace: ns, name: name,
		want: []string{"SubnetGroup", "SecurityGroup", "SecurityGroupRule", "ReplicationGroup"}, usages: 3}
	begin := time.Now()
	r.create(ctx, t, newClaim(r.kind, ns, name, map[string]any{
		"engine":                     "redis",
		"size":                       "small",
		"writeConnectionSecretToRef": map[string]any{"name": secret},
	}))
	r.checkOwnership(ctx, t)

	// The secure settings, as the API server stored them.
	rg := r.composedResource(ctx, t, "ReplicationGroup")
	fp := func(k string) any { return field(rg, "spec", "forProvider", k) }
	for k, want := range map[string]any{
		"engine":                   "valkey",
		"transitEncryptionEnabled": true,
		"transitEncryptionMode":    "required",
		"atRestEncryptionEnabled":  "true",
		"multiAzEnabled":           true,
		"automaticFailoverEnabled": true,
		"numCacheClusters":         2,
		"autoGenerateAuthToken":    true,
		"port":                     6379,
	} {
		expect(t, "ReplicationGroup spec.forProvider."+k, fp(k), want)
	}
	if fp("authToken") != nil {
		t.Errorf("ReplicationGroup spec.forProvider carries an auth token")
	}
	id := uidDigest(r.xr)
	expect(t, "ReplicationGroup external name", rg.GetAnnotations()["crossplane.io/external-name"], r.xr.GetName()+"-"+id)
	expect(t, "ReplicationGroup finalSnapshotIdentifier", fp("finalSnapshotIdentifier"), r.xr.GetName()+"-"+id+"-final")
	r.checkSelects(ctx, t, rg, "subnetGroupNameSelector", "SubnetGroup")
	r.checkSelects(ctx, t, rg, "securityGroupIdSelector", "SecurityGroup")
	rule := r.composedResource(ctx, t, "SecurityGroupRule")
	expect(t, "SecurityGroupRule fromPort", field(rule, "spec", "forProvider", "fromPort"), 6379)
	expect(t, "SecurityGroupRule toPort", field(rule, "spec", "forProvider", "toPort"), 6379)

	claim, _ := waitCondition(ctx, t, waitLimit, claimVersion, r.kind, ns, name, "Ready", "True")
	t.Logf("figure: redis DatabaseClaim %s/%s: Ready %.2fs after it was created (the stand-in provider included)", ns, name, time.Since(begin).Seconds())
	rg = r.composedResource(ctx, t, "ReplicationGroup")
	endpoint, _ := field(rg, "status", "atProvider", "primaryEndpointAddress").(string)
	expect(t, "DatabaseClaim status.endpoint", field(claim, "status", "endpoint"), endpoint)
	expect(t, "DatabaseClaim status.port", field(claim, "status", "port"), 6379)
	expect(t, "DatabaseClaim status.tls", field(claim, "status", "tls"), true)

	// The token the provider generated reaches the claim's Secret, and
	// only the provider made it.
	tokenNS := mustString(t, rg, "spec", "forProvider", "authTokenSecretRef", "namespace")
	tokenName := mustString(t, rg, "spec", "forProvider", "authTokenSecretRef", "name")
	token := &corev1.Secret{}
	if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: tokenNS, Name: tokenName}, token); err != nil {
		t.Fatalf("the generated AUTH token's Secret: %v", err)
	}
	got := &corev1.Secret{}
	eventually(ctx, t, waitLimit, "the claim's connection secret with the token", func(ctx context.Context) error {
		if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: secret}, got); err != nil {
			return err
		}
		if len(got.Data["password"]) == 0 {
			return fmt.Errorf("keys %v, no password yet", keys(got.Data))
		}
		return nil
	})
	for k, want := range map[string]string{"endpoint": endpoint, "port": "6379", "tls": "true", "password": string(token.Data["authToken"])} {
		expect(t, "claim connection secret "+k, string(got.Data[k]), want)
	}

	ext := rg.GetAnnotations()["crossplane.io/external-name"]
	r.deleteProtected(ctx, t, "ReplicationGroup", []string{"SecurityGroup", "SecurityGroupRule", "SubnetGroup"},
		deletionRefusal{message: denied},
		func(context.Context) error {
			// README, Decommission: the operator deletes the group in AWS
			// with its final snapshot.
			if !aws.deleteAsOperator("ReplicationGroup", ext) {
				return fmt.Errorf("no replication group %s in the cloud", ext)
			}
			return nil
		}, secret)
	if _, ok := aws.exists("SubnetGroup", ext); ok {
		t.Errorf("the cache subnet group %s outlived the decommission", ext)
	}
}
