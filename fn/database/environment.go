package database

import "github.com/paved-dev/paved/fn/internal/env"

// ValidateEnvironment checks the AWS settings a database is placed with.
func (Composer) ValidateEnvironment(e *env.Environment) error { return e.ValidateAWS() }
