//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// namespacedDatabaseCRDs are the provider-aws v2.6.0 namespaced kinds a
// namespaced Database composes, as files of namespacedCRDDir (a namespaced
// Bucket's are namespacedBucketKinds).
var namespacedDatabaseCRDs = []string{
	"rds.aws.m.upbound.io_subnetgroups.yaml", "rds.aws.m.upbound.io_parametergroups.yaml", "rds.aws.m.upbound.io_instances.yaml",
	"ec2.aws.m.upbound.io_securitygroups.yaml", "ec2.aws.m.upbound.io_securitygrouprules.yaml",
	"docdb.aws.m.upbound.io_subnetgroups.yaml", "docdb.aws.m.upbound.io_clusterparametergroups.yaml",
	"docdb.aws.m.upbound.io_clusters.yaml", "docdb.aws.m.upbound.io_clusterinstances.yaml",
}

var (
	namespacedDatabaseOnce      sync.Once
	namespacedDatabaseInstalled bool
)

// requireNamespacedDatabaseInstalled installs, once, the namespaced
// Bucket (requireNamespacedInstalled) and Database APIs: provider-aws
// v2.6.0's namespaced rds and ec2 CRDs and apis/database-v2 (a namespaced
// ServiceBundle composes a Database too: requireNamespacedServiceBundle).
func requireNamespacedDatabaseInstalled(t *testing.T) {
	t.Helper()
	requireNamespacedInstalled(t)
	namespacedDatabaseOnce.Do(func() {
		namespacedDatabaseInstalled = t.Run("install-namespaced-database", func(t *testing.T) {
			ctx := context.Background()
			for _, f := range namespacedDatabaseCRDs {
				objs := readObjects(t, filepath.Join(repoRoot, namespacedCRDDir, f))
				createAll(ctx, t, objs...)
				for _, o := range objs {
					waitCondition(ctx, t, time.Minute, crdAPIVersion, "CustomResourceDefinition", "", o.GetName(), "Established", "True")
				}
			}
			xrd := readObjects(t, filepath.Join(repoRoot, "apis", "database-v2", "definition.yaml"))
			createAll(ctx, t, xrd...)
			waitCondition(ctx, t, 2*time.Minute, "apiextensions.crossplane.io/v2", "CompositeResourceDefinition", "", "databases.paved.dev", "Established", "True")
			crd, err := get(ctx, crdAPIVersion, "CustomResourceDefinition", "", "databases.paved.dev")
			if err != nil {
				t.Fatal(err)
			}
			expect(t, "databases.paved.dev spec.scope", field(crd, "spec", "scope"), "Namespaced")
			waitCondition(ctx, t, time.Minute, crdAPIVersion, "CustomResourceDefinition", "", "databases.paved.dev", "Established", "True")
			createAll(ctx, t, readObjects(t, filepath.Join(repoRoot, "apis", "database-v2", "composition.yaml"))...)
		})
	})
	if !namespacedDatabaseInstalled {
		t.Fatal("installing paved's namespaced Database API failed")
	}
}

// TestMigrate: `bin/paved migrate` moves a Ready DatabaseClaim and a
// Ready BucketClaim to a namespaced Database and Bucket. The test plays
// provider-aws with a cloud that records every create and delete
// (awsStandIn). A dry run changes nothing; each migration is interrupted
// after a step (the database's after adopting, the bucket's after
// composing) and resumed by running the command again. During the
// migration the cloud sees no create and no delete; the RDS identifier
// and resource id, and the bucket name, are those of the claim's; the
// namespaced composite is Ready; the claim, its composite and its legacy
// managed resources are gone.
func TestMigrate(t *testing.T) {
	requireNamespacedDatabaseInstalled(t)
	bin := filepath.Join(repoRoot, "bin", "paved")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("bin/paved: %v (run `make paved`)", err)
	}
	ctx := t.Context()
	const dbNS, bucketNS = "team-migrate-db", "team-migrate-bucket"
	createNamespace(ctx, t, dbNS)
	createNamespace(ctx, t, bucketNS)
	aws := startAWSStandIn(ctx, dbNS, bucketNS)

	for _, tc := range []struct {
		figure, kind, ns, name, secret, stopAfter string
		spec                                      map[string]any
		target                                    string
	}{
		{"migrate-database", "DatabaseClaim", dbNS, "ledger", "ledger-conn", "adopt",
			map[string]any{"engine": "postgresql", "size": "small", "version": "16", "writeConnectionSecretToRef": map[string]any{"name": "ledger-conn"}}, "Database"},
		{"migrate-bucket", "BucketClaim", bucketNS, "invoices", "invoices-conn", "compose",
			map[string]any{"writeConnectionSecretToRef": map[string]any{"name": "invoices-conn"}}, "Bucket"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			if err := cp.Client.Create(ctx, newClaim(tc.kind, tc.ns, tc.name, tc.spec)); err != nil {
				t.Fatalf("create %s: %v", tc.kind, err)
			}
			claim, _ := waitCondition(ctx, t, waitLimit, claimVersion, tc.kind, tc.ns, tc.name, "Ready", "True")
			xrName := mustString(t, claim, "spec", "resourceRef", "name")
			xrKind := mustString(t, claim, "spec", "resourceRef", "kind")
			xr, err := get(ctx, claimVersion, xrKind, "", xrName)
			if err != nil {
				t.Fatal(err)
			}
			legacy := map[string]*unstructured.Unstructured{} // by kind (one parameter group)
			for _, rf := range resourceRefs(xr) {
				if strings.Contains(rf.APIVersion, ".aws.upbound.io/") {
					u, err := get(ctx, rf.APIVersion, rf.Kind, "", rf.Name)
					if err != nil {
						t.Fatal(err)
					}
					legacy[rf.Kind] = u
				}
			}
			primary := map[string]string{"DatabaseClaim": "Instance", "BucketClaim": "Bucket"}[tc.kind]
			before := legacy[primary]
			external := before.GetAnnotations()["crossplane.io/external-name"]
			identifier, _, _ := unstructured.NestedString(before.Object, "spec", "forProvider", "identifier")
			if _, ok := aws.exists(primary, external); !ok {
				t.Fatalf("the cloud has no %s %s", primary, external)
			}

			// A dry run changes nothing.
			out := runPaved(ctx, t, bin, 0, "migrate", tc.kind, tc.ns+"/"+tc.name, "--kubeconfig", cp.Kubeconfig)
			if !strings.Contains(out, "dry run") || !strings.Contains(out, external) {
				t.Errorf("the dry run does not say it is one, or does not name %s:\n%s", external, out)
			}
			c, _ := get(ctx, claimVersion, tc.kind, tc.ns, tc.name)
			if a := c.GetAnnotations(); a["crossplane.io/paused"] != "" || a["paved.dev/migration-step"] != "" {
				t.Errorf("the dry run changed the claim's annotations: %v", a)
			}
			if _, err := get(ctx, namespacedVersion, tc.target, tc.ns, tc.name); err == nil {
				t.Errorf("the dry run created the %s", tc.target)
			}

			creates0, deletes0 := aws.counts()
			// The stand-in counts: it created the claim's cloud objects.
			if creates0 < len(legacy) {
				t.Fatalf("the stand-in recorded %d creates for the claims so far, want at least the %d of this one", creates0, len(legacy))
			}
			begin := time.Now()
			out = runPaved(ctx, t, bin, 0, "migrate", tc.kind, tc.ns+"/"+tc.name, "--apply", "--stop-after", tc.stopAfter, "--kubeconfig", cp.Kubeconfig)
			if !strings.Contains(out, "stopped after "+tc.stopAfter) {
				t.Fatalf("paved migrate --stop-after %s:\n%s", tc.stopAfter, out)
			}
			c, _ = get(ctx, claimVersion, tc.kind, tc.ns, tc.name)
			expect(t, "the claim's recorded step after the interruption", c.GetAnnotations()["paved.dev/migration-step"], tc.stopAfter)
			// Resumed.
			out = runPaved(ctx, t, bin, 0, "migrate", tc.kind, tc.ns+"/"+tc.name, "--apply", "--kubeconfig", cp.Kubeconfig)
			took := time.Since(begin)
			if !strings.Contains(out, "migrated ") || strings.Contains(out, "done "+tc.stopAfter) {
				t.Errorf("the resumed migration did not finish, or did the step it had done again:\n%s", out)
			}
			creates, deletes := aws.since(creates0, deletes0)
			t.Logf("figure: %s %.1f s, external deletes %d, creates %d", tc.figure, took.Seconds(), len(deletes), len(creates))
			if len(creates) > 0 || len(deletes) > 0 {
				t.Errorf("the cloud saw creates %v and deletes %v during the migration", creates, deletes)
			}

			// The namespaced composite is Ready and stands for the same
			// cloud objects.
			target, _ := waitCondition(ctx, t, waitLimit, namespacedVersion, tc.target, tc.ns, tc.name, "Ready", "True")
			expect(t, tc.target+" "+AnnotationFromForTest, target.GetAnnotations()[AnnotationFromForTest], tc.kind+" "+tc.ns+"/"+tc.name)
			var adopted *unstructured.Unstructured
			refs, _, _ := unstructured.NestedSlice(target.Object, "spec", "crossplane", "resourceRefs")
			managed := 0
			for _, r := range refs {
				m, _ := r.(map[string]any)
				apiVersion, kind, name := fmt.Sprint(m["apiVersion"]), fmt.Sprint(m["kind"]), fmt.Sprint(m["name"])
				if !strings.Contains(apiVersion, ".aws.m.upbound.io/") {
					continue
				}
				managed++
				u, err := get(ctx, apiVersion, kind, tc.ns, name)
				if err != nil {
					t.Fatal(err)
				}
				ext := u.GetAnnotations()["crossplane.io/external-name"]
				if want := legacy[kind].GetAnnotations()["crossplane.io/external-name"]; ext != want {
					t.Errorf("%s %s external name %q, the claim's had %q", kind, name, ext, want)
				}
				if _, ok := aws.exists(kind, ext); !ok {
					t.Errorf("%s %s: the cloud has no %s", kind, name, ext)
				}
				if p := policies(u); len(p) != 1 || p[0] != "*" {
					t.Errorf("%s %s management policies %v, want [*]", kind, name, p)
				}
				if kind == primary {
					adopted = u
				}
			}
			if managed != len(legacy) || adopted == nil {
				t.Fatalf("%s lists %d managed resources, the claim's composite had %d", tc.target, managed, len(legacy))
			}
			if primary == "Instance" {
				expect(t, "RDS identifier", field(adopted, "spec", "forProvider", "identifier"), identifier)
				o, _ := aws.exists("Instance", external)
				expect(t, "the cloud's RDS identifier", o.identifier, identifier)
				// The master password came along: the Secret it names,
				// in the team's namespace, holds the legacy one.
				ref, _, _ := unstructured.NestedStringMap(before.Object, "spec", "forProvider", "passwordSecretRef")
				var was, is corev1.Secret
				if err := cp.Client.Get(ctx, types.NamespacedName{Namespace: ref["namespace"], Name: ref["name"]}, &was); err != nil {
					t.Fatal(err)
				}
				name := mustString(t, adopted, "spec", "forProvider", "passwordSecretRef", "name")
				if err := cp.Client.Get(ctx, types.NamespacedName{Namespace: tc.ns, Name: name}, &is); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(was.Data["password"], is.Data["password"]) || len(is.Data["password"]) == 0 {
					t.Error("the namespaced Instance's password Secret does not hold the legacy password")
				}
			} else {
				expect(t, "Bucket status.bucketName", field(target, "status", "bucketName"), external)
			}
			// The team's Secret is the composite's now (a database's,
			// its provider's to take), not the claim's.
			var s corev1.Secret
			if err := cp.Client.Get(ctx, types.NamespacedName{Namespace: tc.ns, Name: tc.secret}, &s); err != nil {
				t.Fatalf("the team's connection Secret: %v", err)
			}
			if o := metav1.GetControllerOf(&s); o != nil && o.UID != target.GetUID() {
				t.Errorf("the team's connection Secret is controlled by %s %s", o.Kind, o.Name)
			}

			// The legacy objects are gone.
			for _, u := range legacy {
				if err := absent(ctx, u.GetAPIVersion(), u.GetKind(), "", u.GetName()); err != nil {
					t.Error(err)
				}
			}
			if err := absent(ctx, claimVersion, xrKind, "", xrName); err != nil {
				t.Error(err)
			}
			if err := absent(ctx, claimVersion, tc.kind, tc.ns, tc.name); err != nil {
				t.Error(err)
			}

			// Run again: nothing left to do.
			out = runPaved(ctx, t, bin, 0, "migrate", tc.kind, tc.ns+"/"+tc.name, "--apply", "--kubeconfig", cp.Kubeconfig)
			if !strings.Contains(out, "migrated ") {
				t.Errorf("a migration run again:\n%s", out)
			}
		})
	}
}

// AnnotationFromForTest is migrate.AnnotationFrom (cmd/paved/internal is
// not importable from here).
const AnnotationFromForTest = "paved.dev/migrated-from"

// runPaved runs bin/paved with args and returns its standard output,
// failing the test unless it exits with code.
func runPaved(ctx context.Context, t *testing.T, bin string, code int, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	got := 0
	if exit, ok := errors.AsType[*exec.ExitError](err); ok {
		got = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("paved %s: %v", strings.Join(args, " "), err)
	}
	t.Logf("paved %s (exit %d):\n%s%s", strings.Join(args, " "), got, stdout.String(), stderr.String())
	if got != code {
		t.Fatalf("paved %s: exit code %d, want %d", strings.Join(args, " "), got, code)
	}
	return stdout.String()
}
