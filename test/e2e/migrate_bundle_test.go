//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// TestMigrateServiceBundle: `bin/paved migrate ServiceBundle` moves a
// Ready ServiceBundle claim to a namespaced ServiceBundle, with the real
// provider-paved, the GitHub stand-in and the real Backstage catalog, and
// provider-aws played by a cloud that records every create and delete
// (awsStandIn); the test plays Argo CD's controller. A dry run changes
// nothing; the migration is interrupted after step adopt (the legacy
// Applications deleted, without Argo CD's resources finalizer, and moved
// to the team's namespace) and resumed. During the migration no cloud
// object, repository or catalog location is created or deleted; the
// repository (GitHub's id), the catalog location (Backstage's id), the
// RDS identifier and the bucket name are the claim's; the namespaced
// ServiceBundle, its Database and Bucket are Ready and compose
// provider-paved's namespaced kinds, in the team's namespace; the
// Applications deploy from and to the same places; the claim, its
// composites, its managed resources and the Applications in Argo CD's
// namespace are gone.
func TestMigrateServiceBundle(t *testing.T) {
	g := requireNamespacedServiceBundle(t)
	bin := binPaved(t)
	ctx := t.Context()
	const ns, name = "team-migrate-bundle", "ledger-api"
	createNamespace(ctx, t, ns)
	aws := startAWSStandIn(ctx, ns)

	if err := cp.Client.Create(ctx, newClaim("ServiceBundle", ns, name, map[string]any{
		"description": "Ledger API", "template": "go-service",
		// The version the AWS stand-in runs (engineVersionActual 16.4).
		"database":     map[string]any{"engine": "postgresql", "size": "small", "version": "16"},
		"bucket":       map[string]any{},
		"environments": []any{"staging", "production"},
	})); err != nil {
		t.Fatal(err)
	}
	// The file and the branch come once the provider observed the
	// Repository, with the Applications (fn/servicebundle,
	// composeOnRepository).
	xr := waitComposedAtLeast(ctx, t, ns, name, []string{"Repository", "RepositoryFile", "Branch", "XDatabase", "XBucket"})
	refs := kinds(resourceRefs(xr))
	db := waitNested(ctx, t, refs["XDatabase"], databaseKinds)
	bkt := waitNested(ctx, t, refs["XBucket"], bucketKinds)
	// provider-aws writes the instance's connection Secret, controlled by
	// the Instance (crossplane-runtime v2.4.0 pkg/connection, the Secret
	// publisher's controller reference).
	inst, err := get(ctx, db.refs["Instance"].APIVersion, "Instance", "", db.refs["Instance"].Name)
	if err != nil {
		t.Fatal(err)
	}
	secretNS := mustString(t, inst, "spec", "writeConnectionSecretToRef", "namespace")
	secretName := mustString(t, inst, "spec", "writeConnectionSecretToRef", "name")
	address := name + ".c9akciq32.eu-west-1.rds.amazonaws.com"
	controller := true
	connection := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: secretNS, Name: secretName,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: inst.GetAPIVersion(), Kind: inst.GetKind(), Name: inst.GetName(), UID: inst.GetUID(), Controller: &controller}}},
		Type: "connection.crossplane.io/v1alpha1",
		Data: map[string][]byte{"username": []byte("paved"), "password": []byte(randomString(16)), "endpoint": []byte(address + ":5432"), "address": []byte(address), "port": []byte("5432")}}
	if err := cp.Client.Create(ctx, connection); err != nil {
		t.Fatal(err)
	}
	playArgoCDIn(ctx, t, argoCDNamespace, ns, name)
	waitCondition(ctx, t, waitLimit, claimVersion, "XDatabase", "", refs["XDatabase"].Name, "Ready", "True")
	waitCondition(ctx, t, waitLimit, claimVersion, "XBucket", "", refs["XBucket"].Name, "Ready", "True")
	claim, _ := waitCondition(ctx, t, waitLimit, claimVersion, "ServiceBundle", ns, name, "Ready", "True")

	// What the claim stands for. The team's apps read the database's
	// connection Secret in the team's namespace.
	teamSecret := mustString(t, claim, "status", "database", "secretName")
	var before corev1.Secret
	if err := cp.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: teamSecret}, &before); err != nil || len(before.Data["password"]) == 0 {
		t.Fatalf("the database's connection Secret %s/%s: %v, keys %d", ns, teamSecret, err, len(before.Data))
	}
	xr, err = get(ctx, claimVersion, "XServiceBundle", "", xr.GetName())
	if err != nil {
		t.Fatal(err)
	}
	refs = kinds(resourceRefs(xr))
	legacyRepo, err := get(ctx, refs["Repository"].APIVersion, "Repository", "", refs["Repository"].Name)
	if err != nil {
		t.Fatal(err)
	}
	repoName := legacyRepo.GetAnnotations()["crossplane.io/external-name"]
	repoID := legacyRepo.GetAnnotations()["github.paved.dev/repository-id"]
	repo, ok := g.GitHub.Repo(platformOwner, repoName)
	if !ok || repoID == "" || fmt.Sprint(repo.ID) != repoID {
		t.Fatalf("repository %s/%s on GitHub: found %v, id %d, the Repository's id annotation %q", platformOwner, repoName, ok, repo.ID, repoID)
	}
	var legacyLocation *unstructured.Unstructured
	eventually(ctx, t, waitLimit, "the claim's CatalogLocation", func(ctx context.Context) error {
		xr, err := get(ctx, claimVersion, "XServiceBundle", "", xr.GetName())
		if err != nil {
			return err
		}
		rf, ok := kinds(resourceRefs(xr))["CatalogLocation"]
		if !ok {
			return fmt.Errorf("not composed")
		}
		legacyLocation, err = get(ctx, rf.APIVersion, rf.Kind, "", rf.Name)
		return err
	})
	locationID := legacyLocation.GetAnnotations()["crossplane.io/external-name"]
	locationsBefore := locationIDs(ctx, t, g)
	if !slices.Contains(locationsBefore, locationID) {
		t.Fatalf("Backstage has no location %q: %v", locationID, locationsBefore)
	}
	identifier := mustString(t, inst, "spec", "forProvider", "identifier")
	s3, err := get(ctx, bkt.refs["Bucket"].APIVersion, "Bucket", "", bkt.refs["Bucket"].Name)
	if err != nil {
		t.Fatal(err)
	}
	bucketName := s3.GetAnnotations()["crossplane.io/external-name"]
	apps := []string{appName(ns, name, "staging"), appName(ns, name, "production")}
	deployed := map[string]map[string]any{}
	for _, a := range apps {
		u, err := get(ctx, appAPIVersion, "Application", argoCDNamespace, a)
		if err != nil {
			t.Fatal(err)
		}
		deployed[a] = map[string]any{"project": field(u, "spec", "project"), "source": field(u, "spec", "source"), "destination": field(u, "spec", "destination")}
	}

	// A dry run changes nothing.
	out := runPaved(ctx, t, bin, 0, "migrate", "ServiceBundle", ns+"/"+name, "--kubeconfig", cp.Kubeconfig)
	for _, want := range []string{"dry run", repoName, locationID, apps[0], "XDatabase"} {
		if !strings.Contains(out, want) {
			t.Errorf("the dry run does not say %q:\n%s", want, out)
		}
	}
	c, _ := get(ctx, claimVersion, "ServiceBundle", ns, name)
	if a := c.GetAnnotations(); a["crossplane.io/paused"] != "" || a["paved.dev/migration-step"] != "" {
		t.Errorf("the dry run changed the claim's annotations: %v", a)
	}
	if _, err := get(ctx, namespacedVersion, "ServiceBundle", ns, name); err == nil {
		t.Error("the dry run created the ServiceBundle")
	}

	creates0, deletes0 := aws.counts()
	gh0 := g.GitHub.Stats()
	begin := time.Now()
	out = runPaved(ctx, t, bin, 0, "migrate", "ServiceBundle", ns+"/"+name, "--apply", "--stop-after", "adopt", "--kubeconfig", cp.Kubeconfig)
	if !strings.Contains(out, "stopped after adopt") {
		t.Fatalf("paved migrate --stop-after adopt:\n%s", out)
	}
	c, _ = get(ctx, claimVersion, "ServiceBundle", ns, name)
	expect(t, "the claim's recorded step after the interruption", c.GetAnnotations()["paved.dev/migration-step"], "adopt")
	for _, a := range apps {
		if err := absent(ctx, appAPIVersion, "Application", argoCDNamespace, a); err != nil {
			t.Errorf("after step adopt: %v", err)
		}
		u, err := get(ctx, appAPIVersion, "Application", ns, a)
		if err != nil {
			t.Fatalf("after step adopt, the moved Application: %v", err)
		}
		expect(t, a+" destination when moved", fmt.Sprint(field(u, "spec", "destination")), fmt.Sprint(deployed[a]["destination"]))
	}
	// Resumed.
	out = runPaved(ctx, t, bin, 0, "migrate", "ServiceBundle", ns+"/"+name, "--apply", "--kubeconfig", cp.Kubeconfig)
	took := time.Since(begin)
	if !strings.Contains(out, "migrated ") || strings.Contains(out, "done adopt") {
		t.Errorf("the resumed migration did not finish, or did the step it had done again:\n%s", out)
	}
	creates, deletes := aws.since(creates0, deletes0)
	gh := g.GitHub.Stats()
	locationsAfter := locationIDs(ctx, t, g)
	for _, l := range locationsAfter {
		if !slices.Contains(locationsBefore, l) {
			creates = append(creates, "catalog location "+l)
		}
	}
	for _, l := range locationsBefore {
		if !slices.Contains(locationsAfter, l) {
			deletes = append(deletes, "catalog location "+l)
		}
	}
	for i := gh0.RepoCreates; i < gh.RepoCreates; i++ {
		creates = append(creates, "GitHub repository")
	}
	for i := gh0.RepoDeletes; i < gh.RepoDeletes; i++ {
		deletes = append(deletes, "GitHub repository")
	}
	t.Logf("figure: migrate-bundle %.1f s, external deletes %d, creates %d", took.Seconds(), len(deletes), len(creates))
	if len(creates) > 0 || len(deletes) > 0 {
		t.Errorf("the cloud, GitHub and Backstage saw creates %v and deletes %v during the migration", creates, deletes)
	}

	// The namespaced ServiceBundle is Ready and stands for the same
	// repository, catalog location, database and bucket.
	target, _ := waitCondition(ctx, t, waitLimit, namespacedVersion, "ServiceBundle", ns, name, "Ready", "True")
	expect(t, "ServiceBundle "+AnnotationFromForTest, target.GetAnnotations()[AnnotationFromForTest], "ServiceBundle "+ns+"/"+name)
	nsKinds := kinds(nsRefs(target))
	repoNS, err := get(ctx, "github.m.paved.dev/v1alpha1", "Repository", ns, nsKinds["Repository"].Name)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "namespaced Repository external name", repoNS.GetAnnotations()["crossplane.io/external-name"], repoName)
	expect(t, "namespaced Repository id", repoNS.GetAnnotations()["github.paved.dev/repository-id"], repoID)
	if s, _, m := condition(repoNS, "Ready"); s != "True" {
		t.Errorf("namespaced Repository Ready=%s: %s", s, m)
	}
	if r, ok := g.GitHub.Repo(platformOwner, repoName); !ok || r.ID != repo.ID || r.Archived {
		t.Errorf("repository %s/%s on GitHub: found %v, id %d (was %d), archived %v", platformOwner, repoName, ok, r.ID, repo.ID, r.Archived)
	}
	loc, err := get(ctx, "backstage.m.paved.dev/v1alpha1", "CatalogLocation", ns, nsKinds["CatalogLocation"].Name)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "namespaced CatalogLocation external name (Backstage's location id)", loc.GetAnnotations()["crossplane.io/external-name"], locationID)
	if !slices.Contains(locationIDs(ctx, t, g), locationID) {
		t.Errorf("Backstage no longer has location %s", locationID)
	}
	for _, k := range []string{"Repository", "RepositoryFile", "Branch", "CatalogLocation"} {
		rf := nsKinds[k]
		u, err := get(ctx, rf.APIVersion, rf.Kind, ns, rf.Name)
		if err != nil {
			t.Errorf("%s: %v", k, err)
			continue
		}
		if o := metav1.GetControllerOf(u); o == nil || o.UID != target.GetUID() {
			t.Errorf("%s is controlled by %v, not the ServiceBundle", rf, o)
		}
		if p := policies(u); slices.Equal(p, []string{"Observe"}) {
			t.Errorf("%s still observe-only", rf)
		}
	}
	nsDB, _ := waitCondition(ctx, t, waitLimit, namespacedVersion, "Database", ns, nsKinds["Database"].Name, "Ready", "True")
	waitCondition(ctx, t, waitLimit, namespacedVersion, "Bucket", ns, nsKinds["Bucket"].Name, "Ready", "True")
	dbKinds := kinds(nsRefs(nsDB))
	instNS, err := get(ctx, dbKinds["Instance"].APIVersion, "Instance", ns, dbKinds["Instance"].Name)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "RDS identifier", field(instNS, "spec", "forProvider", "identifier"), identifier)
	if o, ok := aws.exists("Instance", instNS.GetAnnotations()["crossplane.io/external-name"]); !ok || o.identifier != identifier {
		t.Errorf("the cloud's RDS instance %s: found %v, identifier %q, want %q", instNS.GetAnnotations()["crossplane.io/external-name"], ok, o.identifier, identifier)
	}
	nsBucket, _ := get(ctx, namespacedVersion, "Bucket", ns, nsKinds["Bucket"].Name)
	expect(t, "bucket name", field(nsBucket, "status", "bucketName"), bucketName)
	var s corev1.Secret
	if err := cp.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: teamSecret}, &s); err != nil {
		t.Errorf("the database's connection Secret %s/%s: %v", ns, teamSecret, err)
	} else if string(s.Data["password"]) != string(before.Data["password"]) {
		t.Errorf("the database's connection Secret %s/%s no longer holds the password", ns, teamSecret)
	}

	// The Applications: in the team's namespace, the namespaced bundle's,
	// deploying from and to the same places, with Argo CD's finalizer.
	for _, a := range apps {
		u, err := get(ctx, appAPIVersion, "Application", ns, a)
		if err != nil {
			t.Fatal(err)
		}
		if o := metav1.GetControllerOf(u); o == nil || o.UID != target.GetUID() {
			t.Errorf("Application %s is controlled by %v, not the ServiceBundle", a, o)
		}
		got := map[string]any{"project": field(u, "spec", "project"), "source": field(u, "spec", "source"), "destination": field(u, "spec", "destination")}
		expect(t, a+" deploys", fmt.Sprint(got), fmt.Sprint(deployed[a]))
		if !slices.Contains(u.GetFinalizers(), argoFinalizer) {
			t.Errorf("Application %s finalizers %v", a, u.GetFinalizers())
		}
		if err := absent(ctx, appAPIVersion, "Application", argoCDNamespace, a); err != nil {
			t.Error(err)
		}
	}

	// The legacy objects are gone.
	for _, rf := range append(resourceRefs(xr), resourceRefs(db.xr)...) {
		if rf.Kind == "Application" || rf.Kind == "Usage" {
			continue
		}
		if err := absent(ctx, rf.APIVersion, rf.Kind, "", rf.Name); err != nil {
			t.Error(err)
		}
	}
	for _, rf := range resourceRefs(bkt.xr) {
		if err := absent(ctx, rf.APIVersion, rf.Kind, "", rf.Name); err != nil {
			t.Error(err)
		}
	}
	if err := absent(ctx, claimVersion, "XServiceBundle", "", xr.GetName()); err != nil {
		t.Error(err)
	}
	if err := absent(ctx, claimVersion, "ServiceBundle", ns, name); err != nil {
		t.Error(err)
	}

	// Run again: nothing left to do.
	out = runPaved(ctx, t, bin, 0, "migrate", "ServiceBundle", ns+"/"+name, "--apply", "--kubeconfig", cp.Kubeconfig)
	if !strings.Contains(out, "migrated ") {
		t.Errorf("a migration run again:\n%s", out)
	}
	if err := g.check(); err != nil {
		t.Error(err)
	}
}

// binPaved is bin/paved, which the e2e target builds.
func binPaved(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(repoRoot, "bin", "paved")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("bin/paved: %v (run `make paved`)", err)
	}
	return bin
}

// locationIDs lists the ids of the catalog's registered locations.
func locationIDs(ctx context.Context, t *testing.T, g *goldenPath) []string {
	t.Helper()
	var ls []struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if _, err := g.catalog(ctx, "/locations", &ls); err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.Data.ID)
	}
	return out
}

// playArgoCDIn plays Argo CD's application controller for a bundle's
// Applications in namespace appNS once they exist: staging synced and
// Healthy, production never synced yet (see bundleRun.playArgoCD).
func playArgoCDIn(ctx context.Context, t *testing.T, appNS, ns, service string) {
	t.Helper()
	for _, e := range []string{"staging", "production"} {
		app := appName(ns, service, e)
		eventually(ctx, t, waitLimit, "Application "+appNS+"/"+app+" reports Argo CD's status", func(ctx context.Context) error {
			u, err := get(ctx, appAPIVersion, "Application", appNS, app)
			if err != nil {
				return err
			}
			status := map[string]any{"health": map[string]any{"status": "Missing"}, "sync": map[string]any{"status": "OutOfSync"}}
			if e == "staging" {
				rev := strings.Repeat("c", 40)
				status = map[string]any{
					"health": map[string]any{"status": "Healthy"},
					"sync":   map[string]any{"status": "Synced", "revision": rev},
					"history": []any{map[string]any{"id": int64(0), "revision": rev,
						"deployedAt": time.Now().UTC().Format(time.RFC3339), "source": field(u, "spec", "source")}},
				}
			}
			u.Object["status"] = status
			return cp.Client.Update(ctx, u)
		})
	}
}
