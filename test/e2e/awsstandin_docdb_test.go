//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// docdbDeleteProtected is what provider-aws reports when DeleteDBCluster
// is refused for deletion protection: the Terraform resource's "deleting
// DocumentDB Cluster (<id>)" around AWS's InvalidParameterCombination
// (https://docs.aws.amazon.com/documentdb/latest/developerguide/db-cluster-delete.html:
// "If deletion protection is enabled, you can't delete a cluster").
func docdbDeleteProtected(id string) string {
	return "delete failed: deleting DocumentDB Cluster (" + id + "): operation error DocDB: DeleteDBCluster, api error InvalidParameterCombination: Cannot delete protected Cluster, please disable deletion protection and try again."
}

// playDocDB plays provider-aws and AWS for one docdb managed resource (see
// awsStandIn). Cloud objects are keyed "docdb.<Kind>/<identifier>".
func (s *awsStandIn) playDocDB(ctx context.Context, u *unstructured.Unstructured, namespaced bool) error {
	kind := "docdb." + u.GetKind()
	ext := u.GetAnnotations()["crossplane.io/external-name"]
	fp, _, _ := unstructured.NestedMap(u.Object, "spec", "forProvider")
	if u.GetDeletionTimestamp() != nil {
		if !slices.Contains(u.GetFinalizers(), managedFinalizer) {
			return nil
		}
		s.mu.Lock()
		_, exists := s.cloud[kind+"/"+ext]
		s.mu.Unlock()
		if exists && shouldDelete(u, namespaced) {
			if refused := s.docdbDeleteRefused(u, ext, fp); refused != "" {
				return setStatusConditions(ctx, u, nil, refused, "Deleting")
			}
			s.mu.Lock()
			delete(s.cloud, kind+"/"+ext)
			s.deletes = append(s.deletes, fmt.Sprintf("%s %s (%s %s)", u.GetKind(), ext, u.GetAPIVersion(), u.GetName()))
			if skip, _ := fp["skipFinalSnapshot"].(bool); u.GetKind() == "Cluster" && !skip {
				snap, _ := fp["finalSnapshotIdentifier"].(string)
				s.snapshots = append(s.snapshots, snap)
			}
			s.mu.Unlock()
		}
		return patchObject(ctx, u, map[string]any{"metadata": map[string]any{
			"finalizers": without(u.GetFinalizers(), managedFinalizer), "resourceVersion": u.GetResourceVersion()}})
	}
	if !slices.Contains(u.GetFinalizers(), managedFinalizer) {
		return patchObject(ctx, u, map[string]any{"metadata": map[string]any{
			"finalizers": append(u.GetFinalizers(), managedFinalizer), "resourceVersion": u.GetResourceVersion()}})
	}
	if ext == "" {
		// crossplane-runtime's NameAsExternalName initialiser.
		return patchObject(ctx, u, map[string]any{"metadata": map[string]any{"annotations": map[string]any{"crossplane.io/external-name": u.GetName()}}})
	}
	region, _ := fp["region"].(string)
	s.mu.Lock()
	obj, exists := s.cloud[kind+"/"+ext]
	s.mu.Unlock()
	if !exists {
		if !has(policies(u), "Create", "*") {
			return setNotReady(ctx, u, "the external resource does not exist and the management policies do not allow Create")
		}
		obj = cloudObject{identifier: ext, region: region}
		switch u.GetKind() {
		case "Cluster":
			group, _ := fp["dbSubnetGroupName"].(string)
			if _, ok := s.exists("docdb.SubnetGroup", group); !ok {
				return setNotReady(ctx, u, "create failed: creating DocumentDB Cluster ("+ext+"): operation error DocDB: CreateDBCluster, api error DBSubnetGroupNotFoundFault: DB subnet group '"+group+"' does not exist.")
			}
			if err := generateSecretPassword(ctx, u, namespaced, "masterPasswordSecretRef"); err != nil {
				return err
			}
		case "ClusterInstance":
			cluster, err := s.selectedCluster(ctx, u)
			if err != nil {
				return err
			}
			if cluster == "" {
				return setNotReady(ctx, u, "cannot resolve references: mg.Spec.ForProvider.ClusterIdentifier: referenced field was empty (referenced resource may not yet be ready)")
			}
			obj.cluster = cluster
		}
		s.mu.Lock()
		s.cloud[kind+"/"+ext] = obj
		s.creates = append(s.creates, fmt.Sprintf("%s %s (%s %s)", u.GetKind(), ext, u.GetAPIVersion(), u.GetName()))
		s.mu.Unlock()
	}
	at := map[string]any{"id": ext, "arn": "arn:aws:rds:" + obj.region + ":111122223333:" + map[string]string{
		"Cluster": "cluster", "ClusterInstance": "db", "ClusterParameterGroup": "cluster-pg", "SubnetGroup": "subgrp"}[u.GetKind()] + ":" + ext}
	switch u.GetKind() {
	case "Cluster":
		endpoint := ext + ".cluster-c9akciq32." + obj.region + ".docdb.amazonaws.com"
		at["endpoint"], at["readerEndpoint"], at["port"] = endpoint, ext+".cluster-ro-c9akciq32."+obj.region+".docdb.amazonaws.com", int64(27017)
		at["engineVersion"], _ = fp["engineVersion"].(string)
		members := s.members(ext)
		at["clusterMembers"] = members
		if err := s.writeClusterConnection(ctx, u, namespaced, endpoint, at["arn"].(string)); err != nil {
			return err
		}
		if c, _, _ := condition(u, "Ready"); c == "True" {
			if got, _, _ := unstructured.NestedStringSlice(u.Object, "status", "atProvider", "clusterMembers"); slices.Equal(got, members) {
				return nil
			}
		}
	case "ClusterInstance":
		at["endpoint"], at["port"], at["clusterIdentifier"] = ext+".c9akciq32."+obj.region+".docdb.amazonaws.com", int64(27017), obj.cluster
	}
	if c, _, _ := condition(u, "Ready"); c == "True" && u.GetKind() != "Cluster" {
		return nil
	}
	return setStatusConditions(ctx, u, at, "", "Available")
}

// docdbDeleteRefused is what AWS answers to deleting the cluster ext now,
// "" when it deletes it: DocumentDB deletes neither a cluster with
// deletion protection nor one with instances
// (https://docs.aws.amazon.com/documentdb/latest/developerguide/db-cluster-delete.html).
func (s *awsStandIn) docdbDeleteRefused(u *unstructured.Unstructured, ext string, fp map[string]any) string {
	if u.GetKind() != "Cluster" {
		return ""
	}
	if on, _ := fp["deletionProtection"].(bool); on {
		return docdbDeleteProtected(ext)
	}
	if len(s.members(ext)) > 0 {
		return "delete failed: deleting DocumentDB Cluster (" + ext + "): operation error DocDB: DeleteDBCluster, api error InvalidDBClusterStateFault: Cluster cannot be deleted, it still contains DB instances in non-deleting state."
	}
	return ""
}

// members are the instances of the cluster ext in the cloud, sorted.
func (s *awsStandIn) members(ext string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []string{}
	for _, o := range s.cloud {
		if o.cluster == ext {
			out = append(out, o.identifier)
		}
	}
	sort.Strings(out)
	return out
}

// finalSnapshots are the final snapshots deleted clusters left.
func (s *awsStandIn) finalSnapshots() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.snapshots)
}

// selectedCluster resolves a ClusterInstance's cluster as
// crossplane-runtime's reference resolver does: the Cluster its
// clusterIdentifierSelector selects (same controller, labels), by its
// external name, once that cluster exists in the cloud; "" before.
func (s *awsStandIn) selectedCluster(ctx context.Context, u *unstructured.Unstructured) (string, error) {
	labels, _, _ := unstructured.NestedStringMap(u.Object, "spec", "forProvider", "clusterIdentifierSelector", "matchLabels")
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(schema.FromAPIVersionAndKind(u.GetAPIVersion(), "ClusterList"))
	opts := []client.ListOption{client.MatchingLabels(labels)}
	if u.GetNamespace() != "" {
		opts = append(opts, client.InNamespace(u.GetNamespace()))
	}
	if err := cp.Client.List(ctx, l, opts...); err != nil {
		return "", err
	}
	for _, c := range l.Items {
		if ctrl := metav1.GetControllerOf(&c); ctrl != nil && metav1.GetControllerOf(u) != nil && ctrl.UID == metav1.GetControllerOf(u).UID {
			ext := c.GetAnnotations()["crossplane.io/external-name"]
			if _, ok := s.exists("docdb.Cluster", ext); ok {
				return ext, nil
			}
		}
	}
	return "", nil
}

// writeClusterConnection writes the cluster's connection details to the
// Secret its writeConnectionSecretToRef names, once its master password
// exists: endpoint, arn and password (provider-aws config/docdb/config.go,
// AdditionalConnectionDetailsFn).
func (s *awsStandIn) writeClusterConnection(ctx context.Context, u *unstructured.Unstructured, namespaced bool, endpoint, arn string) error {
	ref, _, _ := unstructured.NestedStringMap(u.Object, "spec", "writeConnectionSecretToRef")
	pw, _, _ := unstructured.NestedStringMap(u.Object, "spec", "forProvider", "masterPasswordSecretRef")
	ns, pwNS := ref["namespace"], pw["namespace"]
	if namespaced {
		ns, pwNS = u.GetNamespace(), u.GetNamespace()
	}
	if ref["name"] == "" || ns == "" {
		return nil
	}
	master := &corev1.Secret{}
	if err := cp.Client.Get(ctx, types.NamespacedName{Namespace: pwNS, Name: pw["name"]}, master); err != nil {
		return client.IgnoreNotFound(err)
	}
	conn := &corev1.Secret{}
	err := cp.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref["name"]}, conn)
	if err == nil && string(conn.Data["password"]) == string(master.Data[pw["key"]]) {
		return nil
	}
	data := map[string][]byte{"endpoint": []byte(endpoint), "arn": []byte(arn), "password": master.Data[pw["key"]]}
	if kerrors.IsNotFound(err) {
		conn = &corev1.Secret{Type: "connection.crossplane.io/v1alpha1", Data: data}
		conn.Namespace, conn.Name = ns, ref["name"]
		return cp.Client.Create(ctx, conn)
	}
	if err != nil {
		return err
	}
	conn.Data = data
	return cp.Client.Update(ctx, conn)
}

// setStatusConditions sets a managed resource's status as crossplane-runtime
// writes it: atProvider (unless nil), Synced (False with refused, True
// otherwise) and Ready (True for Available, False with readyReason).
func setStatusConditions(ctx context.Context, u *unstructured.Unstructured, at map[string]any, refused, readyReason string) error {
	now := time.Now().UTC().Format(time.RFC3339)
	synced := map[string]any{"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": now}
	if refused != "" {
		if s, _, m := condition(u, "Synced"); s == "False" && m == refused {
			return nil
		}
		synced = map[string]any{"type": "Synced", "status": "False", "reason": "ReconcileError", "message": refused, "lastTransitionTime": now}
	}
	ready := map[string]any{"type": "Ready", "status": "True", "reason": readyReason, "lastTransitionTime": now}
	if readyReason != "Available" {
		ready["status"] = "False"
	}
	st := &unstructured.Unstructured{}
	st.SetGroupVersionKind(u.GroupVersionKind())
	st.SetNamespace(u.GetNamespace())
	st.SetName(u.GetName())
	status := map[string]any{"conditions": []any{synced, ready}}
	if at != nil {
		status["atProvider"] = at
	}
	st.Object["status"] = status
	return cp.Client.Status().Patch(ctx, st, client.Merge)
}
