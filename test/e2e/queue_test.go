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
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestQueueClaim: a QueueClaim on the control plane, its managed resources
// played by the provider-aws stand-in as provider-aws plays them (the
// dead-letter queue is created first; the queue, composed once its ARN is
// known, redrives to it; each queue policy resolves its queue's URL by
// selector). The claim becomes Ready with the queues' URLs and ARNs in its
// connection secret. Deleting it follows the decommission rule: the
// managed resources, composite and claim go, and both queues and their
// policies stay in the cloud (deletionPolicy Orphan: SQS would delete the
// messages with a queue).
func TestQueueClaim(t *testing.T) {
	requireInstalled(t)
	ctx := t.Context()
	const ns, name, secret = "team-queues", "jobs", "jobs-queue"
	createNamespace(ctx, t, ns)
	aws := startAWSStandIn(ctx, ns)
	_, deletesBefore := aws.counts()

	begin := time.Now()
	if err := cp.Client.Create(ctx, newClaim("QueueClaim", ns, name, map[string]any{
		"maxReceiveCount":            int64(4),
		"writeConnectionSecretToRef": map[string]any{"name": secret},
	})); err != nil {
		t.Fatalf("create QueueClaim: %v", err)
	}
	claim, _ := waitCondition(ctx, t, waitLimit, claimVersion, "QueueClaim", ns, name, "Ready", "True")
	t.Logf("figure: QueueClaim %s/%s: Ready %.2fs after it was created (stand-in provider)", ns, name, time.Since(begin).Seconds())
	if s, r, m := condition(claim, "QueueReady"); s != "True" || r != "Available" {
		t.Errorf("QueueReady = %s %s %q, want True Available", s, r, m)
	}

	xr, err := get(ctx, claimVersion, mustString(t, claim, "spec", "resourceRef", "kind"), "", mustString(t, claim, "spec", "resourceRef", "name"))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	composed := map[string]string{} // composition resource name -> object name
	for _, rf := range resourceRefs(xr) {
		kinds = append(kinds, rf.Kind)
		u, err := get(ctx, rf.APIVersion, rf.Kind, "", rf.Name)
		if err != nil {
			t.Fatal(err)
		}
		composed[u.GetAnnotations()["crossplane.io/composition-resource-name"]] = rf.APIVersion + " " + rf.Kind + " " + rf.Name
	}
	slices.Sort(kinds)
	expect(t, "composed kinds", strings.Join(kinds, ","), "ClusterUsage,ClusterUsage,ClusterUsage,Queue,Queue,QueuePolicy,QueuePolicy")

	queueURL := mustString(t, claim, "status", "queueUrl")
	dlqURL := mustString(t, claim, "status", "deadLetterQueueUrl")
	dlqARN := mustString(t, claim, "status", "deadLetterQueueArn")
	for _, u := range []string{queueURL, dlqURL} {
		if _, ok := aws.exists("Queue", u); !ok {
			t.Errorf("the cloud has no queue %s", u)
		}
		if _, ok := aws.exists("QueuePolicy", u); !ok {
			t.Errorf("the cloud has no policy on queue %s", u)
		}
	}
	main, err := get(ctx, "sqs.aws.upbound.io/v1beta1", "Queue", "", strings.Fields(composed["queue"])[2])
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "queue redrivePolicy", mustString(t, main, "spec", "forProvider", "redrivePolicy"), `{"deadLetterTargetArn":"`+dlqARN+`","maxReceiveCount":4}`)
	expect(t, "queue deletionPolicy", field(main, "spec", "deletionPolicy"), "Orphan")
	policy, err := get(ctx, "sqs.aws.upbound.io/v1beta1", "QueuePolicy", "", strings.Fields(composed["queue-policy"])[2])
	if err != nil {
		t.Fatal(err)
	}
	if doc := mustString(t, policy, "spec", "forProvider", "policy"); !strings.Contains(doc, `"aws:PrincipalAccount":"`+standInAccount+`"`) || !strings.Contains(doc, `"aws:SecureTransport":"false"`) {
		t.Errorf("queue policy %s does not deny other accounts and requests without TLS", doc)
	}

	// The claim's connection secret, written by Crossplane from the
	// composite's connection details.
	sec := &corev1.Secret{}
	eventually(ctx, t, waitLimit, "the QueueClaim's connection secret holds the queue's URL", func(ctx context.Context) error {
		if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: secret}, sec); err != nil {
			return err
		}
		if string(sec.Data["queueUrl"]) != queueURL {
			return fmt.Errorf("queueUrl %q, want %q; keys %v", sec.Data["queueUrl"], queueURL, keys(sec.Data))
		}
		return nil
	})
	for _, k := range []string{"queueName", "queueArn", "deadLetterQueueName", "deadLetterQueueUrl", "deadLetterQueueArn", "region"} {
		if len(sec.Data[k]) == 0 {
			t.Errorf("connection secret %s/%s has no %s (keys %v)", ns, secret, k, keys(sec.Data))
		}
	}

	// Decommission: deleting the claim orphans the queues.
	begin = time.Now()
	if err := cp.Client.Delete(ctx, claim); err != nil {
		t.Fatal(err)
	}
	eventually(ctx, t, waitLimit, "QueueClaim, composite and managed resources are deleted", func(ctx context.Context) error {
		var left []string
		if _, err := get(ctx, claimVersion, "QueueClaim", ns, name); !kerrors.IsNotFound(err) {
			left = append(left, "claim")
		}
		if _, err := get(ctx, xr.GetAPIVersion(), xr.GetKind(), "", xr.GetName()); !kerrors.IsNotFound(err) {
			left = append(left, "composite")
		}
		for _, rf := range resourceRefs(xr) {
			if _, err := get(ctx, rf.APIVersion, rf.Kind, "", rf.Name); !kerrors.IsNotFound(err) {
				left = append(left, rf.Kind+" "+rf.Name)
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("still there: %v", left)
		}
		return nil
	})
	t.Logf("figure: QueueClaim %s/%s: claim, composite and 7 composed resources gone %.2fs after deleting the claim", ns, name, time.Since(begin).Seconds())
	_, deletes := aws.since(0, deletesBefore)
	if len(deletes) > 0 {
		t.Errorf("deleting the QueueClaim deleted cloud objects: %v", deletes)
	}
	for _, u := range []string{queueURL, dlqURL} {
		if _, ok := aws.exists("Queue", u); !ok {
			t.Errorf("queue %s was deleted with the claim", u)
		}
		if _, ok := aws.exists("QueuePolicy", u); !ok {
			t.Errorf("the policy of queue %s was deleted with the claim", u)
		}
	}
}
