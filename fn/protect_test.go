package fn

import (
	"strings"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// kept is a composed resource a ClusterUsage keeps, or the one that keeps it.
type kept struct{ name, apiVersion, kind, object, usage string }

// withUsages adds to desired the ClusterUsage that keeps each of of while by
// exists, as the function composes them for composite xr of claim
// orders/claim.
func withUsages(desired map[string]*fnv1.Resource, ready fnv1.Ready, component, xr, claim string, by kept, of ...kept) map[string]*fnv1.Resource {
	ref := func(k kept) string {
		return `{"apiVersion": "` + k.apiVersion + `", "kind": "` + k.kind + `", "resourceRef": {"name": "` + k.object + `"}}`
	}
	for _, o := range of {
		name := "protect-" + o.name
		if o.usage != "" {
			name = "protect-" + o.usage
		}
		desired[name] = &fnv1.Resource{Ready: ready, Resource: mustStructJSON(`{
			"apiVersion": "protection.crossplane.io/v1beta1",
			"kind": "ClusterUsage",
			"metadata": {"name": "` + xr + `-` + name + `", "finalizers": ["usage.apiextensions.crossplane.io"], "labels": ` + labels(name, component, xr, claim) + `,
				"annotations": {"crossplane.io/usage-details": "` + by.kind + `/` + by.object + ` uses ` + o.kind + `/` + o.object + `"}},
			"spec": {"of": ` + ref(o) + `, "by": ` + ref(by) + `, "replayDeletion": true}
		}`)}
	}
	return desired
}

// usagesReady adds to observed every ClusterUsage of desired, Ready.
func usagesReady(observed, desired map[string]*fnv1.Resource) map[string]*fnv1.Resource {
	for name := range desired {
		if strings.HasPrefix(name, "protect-") {
			observed[name] = observedReady(name, `{"apiVersion": "protection.crossplane.io/v1beta1", "kind": "ClusterUsage"}`, nil)
		}
	}
	return observed
}

var (
	dbInstance = kept{"instance", "rds.aws.upbound.io/v1beta2", "Instance", "orders-db-x7k2p-instance", ""}
	dbKept     = []kept{
		{"security-group", "ec2.aws.upbound.io/v1beta1", "SecurityGroup", "orders-db-x7k2p-security-group", ""},
		{"security-group-rule", "ec2.aws.upbound.io/v1beta1", "SecurityGroupRule", "orders-db-x7k2p-security-group-rule", ""},
		{"subnet-group", "rds.aws.upbound.io/v1beta1", "SubnetGroup", "orders-db-x7k2p-subnet-group", ""},
		// One ClusterUsage follows the parameter group of the engine family.
		{"parameter-group-postgres15", "rds.aws.upbound.io/v1beta1", "ParameterGroup", "orders-db-x7k2p-parameter-group-postgres15", "parameter-group"},
	}
	bucketBucket = kept{"bucket", "s3.aws.upbound.io/v1beta1", "Bucket", "orders-assets-x7k2p-bucket", ""}
	bucketKept   = func() []kept {
		var k []kept
		for _, n := range [][2]string{
			{"public-access-block", "BucketPublicAccessBlock"}, {"policy", "BucketPolicy"},
			{"encryption", "BucketServerSideEncryptionConfiguration"}, {"ownership-controls", "BucketOwnershipControls"},
			{"versioning", "BucketVersioning"}, {"lifecycle", "BucketLifecycleConfiguration"},
		} {
			k = append(k, kept{n[0], "s3.aws.upbound.io/v1beta1", n[1], "orders-assets-x7k2p-" + n[0], ""})
		}
		return k
	}()
)

const (
	dbDeletion     = "deleting this claim waits for Instance orders-db-x7k2p-instance, which has deletion protection that only a platform operator lifts (RDS then takes the final snapshot orders-db-x7k2p-" + testID + "-final); until it is gone, ClusterUsages keep SecurityGroup orders-db-x7k2p-security-group, SecurityGroupRule orders-db-x7k2p-security-group-rule, SubnetGroup orders-db-x7k2p-subnet-group, ParameterGroup orders-db-x7k2p-parameter-group-postgres15 (see paved's README, Decommission)"
	bucketDeletion = "deleting this claim waits for Bucket orders-assets-x7k2p-bucket, which S3 does not delete while it holds objects (paved never sets forceDestroy) until a platform operator empties it; until it is gone, ClusterUsages keep BucketPublicAccessBlock orders-assets-x7k2p-public-access-block, BucketPolicy orders-assets-x7k2p-policy, BucketServerSideEncryptionConfiguration orders-assets-x7k2p-encryption, BucketOwnershipControls orders-assets-x7k2p-ownership-controls, BucketVersioning orders-assets-x7k2p-versioning, BucketLifecycleConfiguration orders-assets-x7k2p-lifecycle (see paved's README, Decommission)"
)

// deletion is the DeletionProtected condition: in force, or not yet
// (pending names the ClusterUsages that are not, which the message leaves
// out).
func deletion(msg string, pending ...string) *fnv1.Condition {
	c := &fnv1.Condition{
		Type: "DeletionProtected", Status: fnv1.Status_STATUS_CONDITION_TRUE, Reason: "InUse",
		Message: str(msg), Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
	}
	if len(pending) > 0 {
		c.Status, c.Reason = fnv1.Status_STATUS_CONDITION_FALSE, "UsagePending"
		c.Message = str("not yet in force; once it is, " + msg)
	}
	return c
}
