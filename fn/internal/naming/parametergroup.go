package naming

import (
	"fmt"
	"regexp"
	"strings"
)

// RDSParameterGroup is the name of a composite's DB parameter group of a
// family (e.g. "postgres15"): an RDS identifier, which also obeys the
// parameter group name rules (see ValidRDSParameterGroup).
func RDSParameterGroup(composite, family string) string {
	return RDSIdentifier(composite, family)
}

var reParameterGroup = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{0,254}$`)

// ValidRDSParameterGroup checks a DB parameter group name: 1 to 255
// letters, digits or hyphens; the first a letter; no trailing hyphen and
// no two consecutive hyphens.
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBParameterGroup.html
// (DBParameterGroupName constraints).
func ValidRDSParameterGroup(name string) error {
	if !reParameterGroup.MatchString(name) || strings.HasSuffix(name, "-") || strings.Contains(name, "--") {
		return fmt.Errorf("DB parameter group name %q: must be 1 to 255 letters, digits or hyphens, start with a letter, not end with a hyphen and not contain two consecutive hyphens", name)
	}
	return nil
}
