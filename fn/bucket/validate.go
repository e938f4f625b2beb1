package bucket

import "google.golang.org/protobuf/types/known/structpb"

// Validate checks a BucketClaim spec the way Compose does, so that a claim
// embedding one (a ServiceBundle's spec.bucket) refuses bad input before
// anything is composed. Its field errors name spec.<field>.
func Validate(spec *structpb.Struct) error {
	_, err := parse(spec)
	return err
}
