//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// awsStandIn plays provider-aws for the managed resources of a set of
// team namespaces (legacy ones labelled with the claim's namespace, and
// namespaced ones in it), against a cloud of its own that records every
// create and delete. It follows crossplane-runtime v2.4.0's managed
// reconciler (pkg/reconciler/managed/reconciler.go) as provider-aws runs
// it:
//
//   - a paused managed resource (crossplane.io/paused) is left alone;
//   - its finalizer (finalizer.managedresource.crossplane.io) is added
//     first;
//   - a deleted one deletes its cloud object only when its policies say
//     so (policies.go: LegacyManagementPoliciesResolver.ShouldDelete for
//     the cluster-scoped kinds, which read deletionPolicy too, and
//     ManagementPoliciesResolver.ShouldDelete for the namespaced ones,
//     which have management policies only), then loses its finalizer;
//   - otherwise the external name (crossplane.io/external-name) names the
//     cloud object: one that exists is observed (Ready, atProvider), one
//     that does not is created, if the policies allow Create, under that
//     name or, for kinds whose identifier AWS assigns, a new one (an RDS
//     instance's resource id db-..., a security group's sg-..., a rule's
//     sgr-..., an SQS queue's URL; provider-aws v1.23.0 config:
//     IdentifierFromProvider), or the bucket's name for the bucket's
//     sub-resources, the queue's URL for a queue policy (its queue,
//     resolved from queueUrlSelector as crossplane-runtime's resolver
//     does: nothing is created until the queue has its URL). An
//     observe-only managed resource whose object does not exist is not
//     Ready.
//
// A queue is created in account standInAccount: its URL is
// https://sqs.<region>.amazonaws.com/<account>/<name> and its ARN
// arn:aws:sqs:<region>:<account>:<name>, as SQS reports them
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueUrl.html,
// GetQueueAttributes QueueArn); provider-aws reports both, and the name,
// in atProvider (package/crds/sqs.aws.upbound.io_queues.yaml).
//
// An RDS instance created writes its generated password to the Secret its
// passwordSecretRef names when that Secret holds none (provider-aws
// config/common.PasswordGenerator).
//
// The docdb kinds (playDocDB) are played as provider-aws v1.23.0 and AWS
// behave: every name is the external name (config/externalname.go:
// ParameterAsIdentifier for Cluster and ClusterInstance, NameAsIdentifier
// for the groups); a Cluster generates its master password into the
// Secret masterPasswordSecretRef names and, created only once its subnet
// group exists (DBSubnetGroupNotFoundFault otherwise), writes endpoint,
// arn and password to its connection Secret (config/docdb/config.go,
// AdditionalConnectionDetailsFn); a ClusterInstance resolves its cluster
// by clusterIdentifierSelector (same controller, labels), and is created
// only in a cluster that exists; a Cluster is deleted only without
// deletion protection and without instances, and leaves its final
// snapshot.
//
// An ElastiCache replication group generates its AUTH token as an RDS
// instance its password (authTokenSecretRef, autoGenerateAuthToken:
// provider-aws v1.23.0 config/elasticache/config.go), and publishes its
// connection details as provider-aws does to the Secret its
// writeConnectionSecretToRef names: primary_endpoint_address,
// reader_endpoint_address and port (that file's
// AdditionalConnectionDetailsFn) and the token as attribute.auth_token
// (upjet's connection detail of a sensitive attribute).
//
// Kinds in deleteDenied play an IAM Deny of their delete action on the
// provider's identity: AWS refuses the delete, so provider-aws keeps its
// finalizer and reports Synced=False with the error, until the object is
// gone from the cloud some other way (an operator, deleteAsOperator);
// then it finds nothing to delete and lets the managed resource go.
type awsStandIn struct {
	namespaces []string
	mu         sync.Mutex
	cloud      map[string]cloudObject // by kind "/" external name
	creates    []string
	deletes    []string
	snapshots  []string // final snapshots of deleted DocumentDB clusters
	// deleteDenied: the kinds whose delete AWS refuses with the message.
	deleteDenied map[string]string
}

type cloudObject struct {
	identifier string // an RDS instance's or DocumentDB object's identifier
	region     string
	cluster    string // a DocumentDB instance's cluster
}

const managedFinalizer = "finalizer.managedresource.crossplane.io"

// standInKinds are the kinds paved composes, cluster-scoped and
// namespaced, by apiVersion.
var standInKinds = map[string][]string{
	"s3.aws.upbound.io/v1beta1":            {"Bucket", "BucketVersioning", "BucketServerSideEncryptionConfiguration", "BucketPublicAccessBlock", "BucketOwnershipControls", "BucketPolicy", "BucketLifecycleConfiguration"},
	"s3.aws.m.upbound.io/v1beta1":          {"Bucket", "BucketVersioning", "BucketServerSideEncryptionConfiguration", "BucketPublicAccessBlock", "BucketOwnershipControls", "BucketPolicy", "BucketLifecycleConfiguration"},
	"rds.aws.upbound.io/v1beta1":           {"SubnetGroup", "ParameterGroup"},
	"rds.aws.upbound.io/v1beta2":           {"Instance"},
	"rds.aws.m.upbound.io/v1beta1":         {"SubnetGroup", "ParameterGroup", "Instance"},
	"ec2.aws.upbound.io/v1beta1":           {"SecurityGroup", "SecurityGroupRule"},
	"ec2.aws.m.upbound.io/v1beta1":         {"SecurityGroup", "SecurityGroupRule"},
	"docdb.aws.upbound.io/v1beta1":         {"SubnetGroup", "ClusterParameterGroup", "Cluster", "ClusterInstance"},
	"docdb.aws.m.upbound.io/v1beta1":       {"SubnetGroup", "ClusterParameterGroup", "Cluster", "ClusterInstance"},
	"sqs.aws.upbound.io/v1beta1":           {"Queue", "QueuePolicy"},
	"sqs.aws.m.upbound.io/v1beta1":         {"Queue", "QueuePolicy"},
	"elasticache.aws.upbound.io/v1beta1":   {"SubnetGroup"},
	"elasticache.aws.upbound.io/v1beta2":   {"ReplicationGroup"},
	"elasticache.aws.m.upbound.io/v1beta1": {"SubnetGroup", "ReplicationGroup"},
}

// standInAccount is the AWS account of the stand-in's cloud.
const standInAccount = "111122223333"

// startAWSStandIn plays provider-aws until ctx ends. Only the kinds whose
// CRDs are installed are played.
func startAWSStandIn(ctx context.Context, namespaces ...string) *awsStandIn {
	s := &awsStandIn{namespaces: namespaces, cloud: map[string]cloudObject{}}
	go func() {
		for ctx.Err() == nil {
			s.round(ctx)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
	return s
}

// counts returns how many creates and deletes the cloud has seen.
func (s *awsStandIn) counts() (creates, deletes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.creates), len(s.deletes)
}

// since returns the creates and deletes after the first c and d.
func (s *awsStandIn) since(c, d int) (creates, deletes []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.creates[c:]), slices.Clone(s.deletes[d:])
}

// denyDelete makes AWS refuse deleting kind's objects with message, as an
// IAM Deny on the provider's identity does.
func (s *awsStandIn) denyDelete(kind, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deleteDenied == nil {
		s.deleteDenied = map[string]string{}
	}
	s.deleteDenied[kind] = message
}

// deleteAsOperator deletes kind's object named external from the cloud,
// as a platform operator does with credentials of their own.
func (s *awsStandIn) deleteAsOperator(kind, external string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cloud[kind+"/"+external]; !ok {
		return false
	}
	delete(s.cloud, kind+"/"+external)
	s.deletes = append(s.deletes, fmt.Sprintf("%s %s (by an operator)", kind, external))
	return true
}

// exists reports whether the cloud holds kind's object named external.
func (s *awsStandIn) exists(kind, external string) (cloudObject, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.cloud[kind+"/"+external]
	return o, ok
}

func (s *awsStandIn) round(ctx context.Context) {
	for apiVersion, kinds := range standInKinds {
		namespaced := strings.Contains(apiVersion, ".m.upbound.io/")
		for _, kind := range kinds {
			for _, ns := range s.namespaces {
				l := &unstructured.UnstructuredList{}
				l.SetGroupVersionKind(schema.FromAPIVersionAndKind(apiVersion, kind+"List"))
				opts := []client.ListOption{client.InNamespace(ns)}
				if !namespaced {
					opts = []client.ListOption{client.MatchingLabels{"crossplane.io/claim-namespace": ns}}
				}
				if err := cp.Client.List(ctx, l, opts...); err != nil {
					continue // the CRD is not installed
				}
				for i := range l.Items {
					_ = s.reconcile(ctx, &l.Items[i], namespaced)
				}
			}
		}
	}
}

func policies(u *unstructured.Unstructured) []string {
	p, ok, _ := unstructured.NestedStringSlice(u.Object, "spec", "managementPolicies")
	if !ok {
		return []string{"*"}
	}
	return p
}

func has(p []string, actions ...string) bool {
	return slices.ContainsFunc(p, func(a string) bool { return slices.Contains(actions, a) })
}

// shouldDelete is crossplane-runtime v2.4.0's ShouldDelete for the
// resource's scope (management policies enabled, as provider-aws runs).
func shouldDelete(u *unstructured.Unstructured, namespaced bool) bool {
	p := policies(u)
	if namespaced {
		return has(p, "Delete", "*")
	}
	dp, _, _ := unstructured.NestedString(u.Object, "spec", "deletionPolicy")
	if dp == "" {
		dp = "Delete"
	}
	if dp == "Delete" && has(p, "Delete", "*") {
		return true
	}
	return !(len(p) == 1 && p[0] == "*") && has(p, "Delete")
}

func (s *awsStandIn) reconcile(ctx context.Context, u *unstructured.Unstructured, namespaced bool) error {
	if u.GetAnnotations()["crossplane.io/paused"] == "true" {
		return nil
	}
	if strings.HasPrefix(u.GetAPIVersion(), "docdb.") {
		return s.playDocDB(ctx, u, namespaced)
	}
	kind, ext := u.GetKind(), u.GetAnnotations()["crossplane.io/external-name"]
	if u.GetDeletionTimestamp() != nil {
		if !slices.Contains(u.GetFinalizers(), managedFinalizer) {
			return nil
		}
		if shouldDelete(u, namespaced) && ext != "" {
			s.mu.Lock()
			_, exists := s.cloud[kind+"/"+ext]
			if denied := s.deleteDenied[kind]; exists && denied != "" {
				s.mu.Unlock()
				return setDeleteRefused(ctx, u, denied)
			}
			if exists {
				delete(s.cloud, kind+"/"+ext)
				s.deletes = append(s.deletes, fmt.Sprintf("%s %s (%s %s)", kind, ext, u.GetAPIVersion(), u.GetName()))
			}
			s.mu.Unlock()
		}
		return patchObject(ctx, u, map[string]any{"metadata": map[string]any{
			"finalizers": without(u.GetFinalizers(), managedFinalizer), "resourceVersion": u.GetResourceVersion()}})
	}
	if !slices.Contains(u.GetFinalizers(), managedFinalizer) {
		if err := patchObject(ctx, u, map[string]any{"metadata": map[string]any{
			"finalizers": append(u.GetFinalizers(), managedFinalizer), "resourceVersion": u.GetResourceVersion()}}); err != nil {
			return err
		}
	}
	fp, _, _ := unstructured.NestedMap(u.Object, "spec", "forProvider")
	region, _ := fp["region"].(string)
	s.mu.Lock()
	obj, exists := s.cloud[kind+"/"+ext]
	s.mu.Unlock()
	if ext == "" || !exists {
		if !has(policies(u), "Create", "*") {
			return setNotReady(ctx, u, "the external resource does not exist and the management policies do not allow Create")
		}
		name := ext
		switch kind {
		case "Instance":
			name = "db-" + strings.ToUpper(randomHex(10))
		case "SecurityGroup":
			name = "sg-" + randomHex(8)
		case "SecurityGroupRule":
			name = "sgr-" + randomHex(8)
		case "Bucket", "SubnetGroup", "ParameterGroup", "ReplicationGroup":
			if name == "" {
				name = u.GetName()
			}
		case "Queue":
			qn, _ := fp["name"].(string)
			name = "https://sqs." + region + ".amazonaws.com/" + standInAccount + "/" + qn
		case "QueuePolicy": // the queue's URL
			url, err := s.selected(ctx, u, fp, "queueUrl", "Queue")
			if err != nil || url == "" {
				return err
			}
			name = url
		default: // the bucket's sub-resources: the bucket's name
			bucket, err := s.selected(ctx, u, fp, "bucket", "Bucket")
			if err != nil || bucket == "" {
				return err
			}
			name = bucket
		}
		identifier, _ := fp["identifier"].(string)
		s.mu.Lock()
		if _, taken := s.cloud[kind+"/"+name]; !taken {
			s.cloud[kind+"/"+name] = cloudObject{identifier: identifier, region: region}
			s.creates = append(s.creates, fmt.Sprintf("%s %s (%s %s)", kind, name, u.GetAPIVersion(), u.GetName()))
		}
		obj = s.cloud[kind+"/"+name]
		s.mu.Unlock()
		switch kind {
		case "Instance":
			if err := generatePassword(ctx, u, namespaced); err != nil {
				return err
			}
		case "ReplicationGroup":
			if err := generateSecretPassword(ctx, u, namespaced, "authTokenSecretRef"); err != nil {
				return err
			}
		}
		if name != ext {
			if err := patchObject(ctx, u, map[string]any{"metadata": map[string]any{"annotations": map[string]any{"crossplane.io/external-name": name}}}); err != nil {
				return err
			}
		}
		ext = name
	}
	if s, _, _ := condition(u, "Ready"); s == "True" {
		return nil
	}
	at := map[string]any{"id": ext}
	switch kind {
	case "Instance":
		at = map[string]any{"id": ext, "address": obj.identifier + ".rds.example", "port": int64(5432), "engineVersionActual": "16.4"}
	case "Bucket":
		at = map[string]any{"id": ext, "arn": "arn:aws:s3:::" + ext, "region": obj.region}
	case "Queue":
		qn := ext[strings.LastIndex(ext, "/")+1:]
		fifo, _ := fp["fifoQueue"].(bool)
		at = map[string]any{"id": ext, "url": ext, "name": qn, "fifoQueue": fifo,
			"arn": "arn:aws:sqs:" + obj.region + ":" + standInAccount + ":" + qn}
	case "QueuePolicy":
		at = map[string]any{"id": ext, "queueUrl": ext}
	case "ReplicationGroup":
		version, _ := fp["engineVersion"].(string)
		at = map[string]any{"id": ext, "engine": fp["engine"], "engineVersionActual": version + ".1", "port": int64(6379),
			"primaryEndpointAddress": "master." + ext + ".abc123." + obj.region + ".cache.amazonaws.com",
			"readerEndpointAddress":  "replica." + ext + ".abc123." + obj.region + ".cache.amazonaws.com"}
		if err := publishReplicationGroup(ctx, u, namespaced, at); err != nil {
			return err
		}
	}
	now := time.Now().UTC().Format(time.RFC3339)
	st := &unstructured.Unstructured{}
	st.SetGroupVersionKind(u.GroupVersionKind())
	st.SetNamespace(u.GetNamespace())
	st.SetName(u.GetName())
	st.Object["status"] = map[string]any{"atProvider": at, "conditions": []any{
		map[string]any{"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": now},
		map[string]any{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": now},
	}}
	return cp.Client.Status().Patch(ctx, st, client.Merge)
}

// selected resolves a reference field of u (a bucket sub-resource's
// bucket, a queue policy's queueUrl): spec.forProvider.<field>, or the
// external name of the object of kind its <field>Selector selects (same
// controller, label), as crossplane-runtime's reference resolver does; ""
// until it has one.
func (s *awsStandIn) selected(ctx context.Context, u *unstructured.Unstructured, fp map[string]any, field, kind string) (string, error) {
	if b, _ := fp[field].(string); b != "" {
		return b, nil
	}
	sel, _ := fp[field+"Selector"].(map[string]any)
	labels, _ := sel["matchLabels"].(map[string]any)
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(schema.FromAPIVersionAndKind(u.GetAPIVersion(), kind+"List"))
	ml := client.MatchingLabels{}
	for k, v := range labels {
		ml[k] = fmt.Sprint(v)
	}
	opts := []client.ListOption{ml}
	if u.GetNamespace() != "" {
		opts = append(opts, client.InNamespace(u.GetNamespace()))
	}
	if err := cp.Client.List(ctx, l, opts...); err != nil {
		return "", err
	}
	for _, b := range l.Items {
		if c := metav1.GetControllerOf(&b); c != nil && metav1.GetControllerOf(u) != nil && c.UID == metav1.GetControllerOf(u).UID {
			return b.GetAnnotations()["crossplane.io/external-name"], nil
		}
	}
	return "", nil
}

// generatePassword writes a password to the Secret an instance's
// passwordSecretRef names, unless it holds one.
func generatePassword(ctx context.Context, u *unstructured.Unstructured, namespaced bool) error {
	return generateSecretPassword(ctx, u, namespaced, "passwordSecretRef")
}

// generateSecretPassword writes a password to the Secret the managed
// resource's spec.forProvider.<field> names, unless it holds one
// (provider-aws config/common.PasswordGenerator).
func generateSecretPassword(ctx context.Context, u *unstructured.Unstructured, namespaced bool, field string) error {
	ref, _, _ := unstructured.NestedStringMap(u.Object, "spec", "forProvider", field)
	ns := ref["namespace"]
	if namespaced {
		ns = u.GetNamespace()
	}
	if ref["name"] == "" || ns == "" {
		return nil
	}
	sec := &corev1.Secret{}
	err := cp.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref["name"]}, sec)
	switch {
	case kerrors.IsNotFound(err):
		sec.Namespace, sec.Name = ns, ref["name"]
		sec.Data = map[string][]byte{ref["key"]: []byte(randomHex(16))}
		return cp.Client.Create(ctx, sec)
	case err != nil:
		return err
	case len(sec.Data[ref["key"]]) == 0:
		if sec.Data == nil {
			sec.Data = map[string][]byte{}
		}
		sec.Data[ref["key"]] = []byte(randomHex(16))
		return cp.Client.Update(ctx, sec)
	}
	return nil
}

// publishReplicationGroup writes a replication group's connection details
// to the Secret its writeConnectionSecretToRef names (in its own namespace
// for a namespaced one): its endpoints and port from at, and its AUTH
// token, read from the Secret the provider generated it into.
func publishReplicationGroup(ctx context.Context, u *unstructured.Unstructured, namespaced bool, at map[string]any) error {
	conn, _, _ := unstructured.NestedStringMap(u.Object, "spec", "writeConnectionSecretToRef")
	tokenRef, _, _ := unstructured.NestedStringMap(u.Object, "spec", "forProvider", "authTokenSecretRef")
	if namespaced {
		conn["namespace"], tokenRef["namespace"] = u.GetNamespace(), u.GetNamespace()
	}
	if conn["name"] == "" {
		return nil
	}
	token := &corev1.Secret{}
	if err := cp.Client.Get(ctx, types.NamespacedName{Namespace: tokenRef["namespace"], Name: tokenRef["name"]}, token); err != nil {
		return err
	}
	return writeSecret(ctx, conn["namespace"], conn["name"], map[string]string{
		"primary_endpoint_address": fmt.Sprint(at["primaryEndpointAddress"]),
		"reader_endpoint_address":  fmt.Sprint(at["readerEndpointAddress"]),
		"port":                     fmt.Sprint(at["port"]),
		"attribute.auth_token":     string(token.Data[tokenRef["key"]]),
	})
}

// setDeleteRefused reports, as provider-aws does when AWS refuses the
// delete, Synced=False with AWS's error, keeping the other conditions.
func setDeleteRefused(ctx context.Context, u *unstructured.Unstructured, msg string) error {
	if s, _, m := condition(u, "Synced"); s == "False" && m == msg {
		return nil
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	out := []any{map[string]any{"type": "Synced", "status": "False", "reason": "ReconcileError", "message": msg,
		"lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}}
	for _, c := range conds {
		if m, _ := c.(map[string]any); m["type"] != "Synced" {
			out = append(out, c)
		}
	}
	st := &unstructured.Unstructured{}
	st.SetGroupVersionKind(u.GroupVersionKind())
	st.SetNamespace(u.GetNamespace())
	st.SetName(u.GetName())
	st.Object["status"] = map[string]any{"conditions": out}
	return cp.Client.Status().Patch(ctx, st, client.Merge)
}

func setNotReady(ctx context.Context, u *unstructured.Unstructured, msg string) error {
	if _, _, m := condition(u, "Ready"); m == msg {
		return nil
	}
	now := time.Now().UTC().Format(time.RFC3339)
	st := &unstructured.Unstructured{}
	st.SetGroupVersionKind(u.GroupVersionKind())
	st.SetNamespace(u.GetNamespace())
	st.SetName(u.GetName())
	st.Object["status"] = map[string]any{"conditions": []any{
		map[string]any{"type": "Synced", "status": "False", "reason": "ReconcileError", "message": msg, "lastTransitionTime": now},
		map[string]any{"type": "Ready", "status": "False", "reason": "Unavailable", "message": msg, "lastTransitionTime": now},
	}}
	return cp.Client.Status().Patch(ctx, st, client.Merge)
}

func patchObject(ctx context.Context, u *unstructured.Unstructured, p map[string]any) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return cp.Client.Patch(ctx, u, client.RawPatch(types.MergePatchType, b))
}

func without(l []string, s string) []string {
	return slices.DeleteFunc(slices.Clone(l), func(e string) bool { return e == s })
}

func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}
