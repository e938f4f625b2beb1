//go:build e2e

package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// bucketName is the S3 naming rule paved keeps to: 3 to 63 lowercase
// letters, digits and hyphens, a letter or digit at both ends
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html;
// paved allows no dots). fn/internal/awsrules holds the complete rule and
// the unit tests apply it; here it checks what a real control plane stored.
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

// TestChosenNames: names a claim's author chooses cannot choose cloud
// names. Two BucketClaims pick, through spec.resourceRef, composite names
// that sanitise alike (a.b-x and a-b-x); a DatabaseClaim is named like a
// security group id (sg-...). On a real control plane, with the uids the API
// server assigns, the buckets get different, valid names that carry the
// digest of their composite's uid, and the security group's name does not
// begin with sg-, which AWS refuses.
func TestChosenNames(t *testing.T) {
	requireInstalled(t)
	ctx := context.Background()
	const ns = "team-names"
	createNamespace(ctx, t, ns)

	bucketKinds := []string{
		"Bucket", "BucketVersioning", "BucketServerSideEncryptionConfiguration", "BucketPublicAccessBlock",
		"BucketOwnershipControls", "BucketPolicy", "BucketLifecycleConfiguration",
	}
	names := map[string]string{}
	// paved's admission policy refuses a claim's spec.resourceRef from
	// anyone but Crossplane (TestClaimAdmission); Crossplane's identity
	// gets past it, as anyone would on a cluster without the policy, and
	// the platform may name composites anything.
	crossplane := clientFor(t, cp.CrossplaneConfig)
	for claim, composite := range map[string]string{"dotted": "a.b-x", "hyphenated": "a-b-x"} {
		r := &claimRun{kind: "BucketClaim", namespace: ns, name: claim, want: bucketKinds, usages: 6, client: crossplane}
		r.create(ctx, t, newClaim(r.kind, ns, claim, map[string]any{
			"resourceRef": map[string]any{"apiVersion": claimVersion, "kind": "XBucket", "name": composite},
		}))
		expect(t, "BucketClaim "+claim+" composite name (spec.resourceRef.name)", r.xr.GetName(), composite)
		b := r.composedResource(ctx, t, "Bucket")
		name := b.GetAnnotations()["crossplane.io/external-name"]
		if !bucketName.MatchString(name) || strings.Contains(name, "--") {
			t.Errorf("BucketClaim %s: bucket name %q is not a valid S3 bucket name", claim, name)
		}
		if want := "-" + uidDigest(r.xr); !strings.HasSuffix(name, want) {
			t.Errorf("BucketClaim %s: bucket name %q does not end with the digest of its composite's uid %q", claim, name, want)
		}
		if other, ok := names[name]; ok {
			t.Errorf("BucketClaims %s and %s share the bucket name %q", claim, other, name)
		}
		names[name] = claim
	}

	r := &claimRun{kind: "DatabaseClaim", namespace: ns, name: "sg-reports",
		want: []string{"SubnetGroup", "SecurityGroup", "SecurityGroupRule", "ParameterGroup", "Instance"}, usages: 4}
	r.create(ctx, t, newClaim(r.kind, ns, r.name, map[string]any{"engine": "postgresql", "size": "small"}))
	sg := r.composedResource(ctx, t, "SecurityGroup")
	expect(t, "SecurityGroup name", field(sg, "spec", "forProvider", "name"), "paved-"+r.xr.GetName()+"-"+uidDigest(r.xr))
}
