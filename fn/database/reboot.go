package database

import (
	"fmt"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/awsrules"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// A DB parameter group newly associated with an existing instance takes
// effect at the instance's next reboot, for static and dynamic parameters
// alike; until then RDS reports the group's ParameterApplyStatus
// "pending-reboot", and "in-sync" after
// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithParamGroups.Associating.html,
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBParameterGroupStatus.html).
// A new instance starts with its group's values.
//
// provider-aws does not observe that status: the rds Instance's
// status.atProvider has parameterGroupName and no apply status (v1.23.0
// and v2.6.0, package/crds/rds.aws.upbound.io_instances.yaml; the
// Terraform resource it wraps reads only the group's name). So paved
// records what it saw: when the instance it observes is bound to a group
// that is not one of its composite's TLS-requiring groups (an instance
// made before paved bound one, or adopted), the group paved binds is
// pending a reboot. The Instance carries that as AnnotationTLSPendingReboot
// until a platform operator, having rebooted the instance, annotates it
// with AnnotationRebootedForTLS naming the same group.
const (
	// AnnotationTLSPendingReboot on the composed Instance names the
	// parameter group that waits for the instance's reboot. paved sets it.
	AnnotationTLSPendingReboot = "paved.dev/tls-pending-reboot"
	// AnnotationRebootedForTLS on the composed Instance names the
	// parameter group the instance has been rebooted with. A platform
	// operator sets it after the reboot (tenants cannot edit managed
	// resources).
	AnnotationRebootedForTLS = "paved.dev/rebooted-for-tls"

	// ConditionTLSEnforced says whether the TLS-requiring parameter group
	// is in effect on the existing instance.
	ConditionTLSEnforced = "TLSEnforced"
)

// boundGroup is the parameter group AWS reports the instance obs bound to.
func boundGroup(obs *structpb.Struct) string {
	v, _ := pb.String(obs, "status", "atProvider", "parameterGroupName")
	return v
}

// pavedGroup reports whether group is the cloud name of one of the
// composite's own parameter groups, which all require TLS: one per family
// the engine can have.
func pavedGroup(s *compose.ObservedState, rdsEngine, group string) bool {
	for major := range supportCalendar[rdsEngine] {
		o := s.Observed(ParameterGroupPrefix + familySlug(family(rdsEngine, major)))
		if o != nil && awsrules.ExternalName(o) == group {
			return true
		}
	}
	return false
}

// pendingReboot is the parameter group (cloud name) that waits for the
// existing instance obs to reboot before TLS is enforced, or "". group is
// the group paved binds now.
func pendingReboot(s *compose.ObservedState, obs *structpb.Struct, rdsEngine, group string) string {
	if obs == nil {
		return ""
	}
	if b := boundGroup(obs); b != "" && b != group && !pavedGroup(s, rdsEngine, b) {
		return group
	}
	pending, _ := pb.String(obs, "metadata", "annotations", AnnotationTLSPendingReboot)
	rebooted, _ := pb.String(obs, "metadata", "annotations", AnnotationRebootedForTLS)
	if pending == group && rebooted != group {
		return group
	}
	return ""
}

// withAnnotation sets an annotation of a composed object.
func withAnnotation(k, v string) compose.Option {
	return func(obj *structpb.Struct) {
		pb.Set(obj, pb.Str(v), "metadata", "annotations", k)
	}
}

// tlsCondition is the TLSEnforced condition of an existing instance, or nil
// before provider-aws has observed which group it is bound to.
func tlsCondition(obs, desired *structpb.Struct) *fnv1.Condition {
	bound := boundGroup(obs)
	if bound == "" {
		return nil
	}
	c := &fnv1.Condition{
		Type:   ConditionTLSEnforced,
		Status: fnv1.Status_STATUS_CONDITION_TRUE,
		Reason: "ParameterGroupApplied",
		Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
	}
	msg := fmt.Sprintf("parameter group %s requires TLS and is in effect", bound)
	if pending, _ := pb.String(desired, "metadata", "annotations", AnnotationTLSPendingReboot); pending != "" {
		identifier, _ := pb.String(desired, "spec", "forProvider", "identifier")
		name, _ := pb.String(desired, "metadata", "name")
		c.Status, c.Reason = fnv1.Status_STATUS_CONDITION_FALSE, "PendingReboot"
		msg = fmt.Sprintf("parameter group %s, which requires TLS, was bound to the existing database and takes effect at its next reboot: until then connections without TLS may be accepted. "+
			"A platform operator reboots it (aws rds reboot-db-instance --db-instance-identifier %s), then annotates Instance %s with %s=%s",
			pending, identifier, name, AnnotationRebootedForTLS, pending)
	}
	c.Message = &msg
	return c
}
