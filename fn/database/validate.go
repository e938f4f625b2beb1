package database

import (
	"google.golang.org/protobuf/types/known/structpb"
)

// Validate checks a DatabaseClaim spec the way Compose does, so that a
// claim embedding one (a ServiceBundle's spec.database) refuses bad input
// before anything is composed. Its field errors name spec.<field>.
func Validate(spec *structpb.Struct) error {
	_, err := parse(spec)
	return err
}

// ValidateNew is Validate for a database that does not exist yet: it also
// refuses what Compose refuses for a new database (engineClaim.prepare):
// for RDS, a version past standard support (newVersionPastSupport).
func ValidateNew(spec *structpb.Struct) error {
	c, err := parse(spec)
	if err != nil {
		return err
	}
	return c.prepare(nil)
}
