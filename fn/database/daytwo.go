package database

import (
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/field"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// check refuses a claim change that the existing instance obs cannot
// make.
func (c *rdsClaim) check(obs *structpb.Struct) field.List {
	running := c.onExisting(obs)
	var errs field.List

	// The engine of a DB instance cannot be changed (rdsFamily.immutable).
	if current := rdsFamily.engineOf(obs); current != "" && current != c.name {
		errs.Add(engineChange(c.name, current, rdsFamily.immutable))
		return errs
	}

	// Allocated storage can grow, never shrink
	// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.ModifyingExisting.html:
	// "you can't reduce the amount of storage").
	storage, ok := pb.Number(obs, "spec", "forProvider", "allocatedStorage")
	if !ok {
		storage, ok = pb.Number(obs, "status", "atProvider", "allocatedStorage")
	}
	if ok && c.storageGB < int(storage) {
		errs.Add(field.Invalid("spec.storageGB", float64(c.storageGB), fmt.Sprintf(
			"at least %d, the storage the existing database has: RDS cannot shrink allocated storage", int(storage))))
	}

	// A major version can go up (with allowMajorVersionUpgrade), never
	// down: RDS has no downgrade
	// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_UpgradeDBInstance.Upgrading.html).
	// The running version (engineVersionActual) is the reference. Within
	// the running major version nothing is refused: autoMinorVersionUpgrade
	// moves the instance past a claim's minor version ("15.7" while 15.8
	// runs), and the instance keeps what it runs (see engineVersion).
	if running != "" && olderVersion(majorVersion(c.engine.rds, c.version), majorVersion(c.engine.rds, running)) {
		errs.Add(field.Invalid("spec.version", c.version, fmt.Sprintf(
			"%s or later, the major version the existing database runs (%s): RDS cannot downgrade a database",
			majorVersion(c.engine.rds, running), running)))
	}
	return errs
}

// claimEngine is the claim's name of an RDS engine.
func claimEngine(rds string) string {
	for name, e := range engines {
		if e.rds == rds {
			return name
		}
	}
	return rds
}

// olderVersion reports whether the requested version is lower than the
// running one, compared number by number as far as the requested version
// goes: "15" is not older than "15.7", "15.3" is.
func olderVersion(requested, running string) bool {
	req, run := strings.Split(requested, "."), strings.Split(running, ".")
	for i := range req {
		if i >= len(run) {
			return false
		}
		a, errA := strconv.Atoi(req[i])
		b, errB := strconv.Atoi(run[i])
		if errA != nil || errB != nil {
			return false
		}
		if a != b {
			return a < b
		}
	}
	return false
}

// runningVersion is the engine version the existing instance obs runs, as
// provider-aws observed it: engineVersionActual, or the spec's (what was
// last asked for) before it has observed one. "" for no instance.
func runningVersion(obs *structpb.Struct) string {
	v, _ := pb.String(obs, "status", "atProvider", "engineVersionActual")
	if v == "" {
		v, _ = pb.String(obs, "spec", "forProvider", "engineVersion")
	}
	return v
}

// onExisting adapts the claim to the existing instance obs (nil: none) and
// returns the version it runs. A claim that names no version asks for the
// running major version, not the default: a new default (MySQL 8.0 to 8.4)
// must not upgrade databases that exist.
func (c *rdsClaim) onExisting(obs *structpb.Struct) string {
	running := runningVersion(obs)
	if running != "" && !c.versionSet {
		c.version = majorVersion(c.engine.rds, running)
	}
	return running
}

// engineVersion is the instance's spec.forProvider.engineVersion for a
// claim asking for version while running runs. An instance that
// autoMinorVersionUpgrade moved ahead of the claim's minor version within
// its major version keeps the version it runs: sent as the claim's,
// provider-aws would ask RDS to go back (terraform-provider-aws keeps
// engine_version as configured only when it is a prefix of the running
// version, internal/service/rds/engine_version.go
// compareActualEngineVersion and its engine_version_test.go, and otherwise plans the configured one), which
// RDS refuses. A version that names only the major version ("15") is such
// a prefix and is sent as it is.
func engineVersion(rdsEngine, version, running string) string {
	if running != "" && majorVersion(rdsEngine, version) == majorVersion(rdsEngine, running) && olderVersion(version, running) {
		return running
	}
	return version
}
