package database

import (
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/field"
)

// Validate checks a DatabaseClaim spec the way Compose does, so that a
// claim embedding one (a ServiceBundle's spec.database) refuses bad input
// before anything is composed. Its field errors name spec.<field>.
func Validate(spec *structpb.Struct) error {
	_, err := parse(spec)
	return err
}

// ValidateNew is Validate for a database that does not exist yet: it also
// refuses what Compose refuses for a new instance, a version past RDS
// standard support (newVersionPastSupport).
func ValidateNew(spec *structpb.Struct) error {
	c, err := parse(spec)
	if err != nil {
		return err
	}
	if why := newVersionPastSupport(c.engine, c.version, now()); why != "" {
		var errs field.List
		errs.Add(field.Invalid("spec.version", c.version, why))
		return errs.Err()
	}
	return nil
}
