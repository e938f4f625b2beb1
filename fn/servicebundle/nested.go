package servicebundle

import (
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/bucket"
	"github.com/paved-dev/paved/fn/database"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/naming"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// compositeAPIVersion of paved's composites.
const compositeAPIVersion = "platform.paved.dev/v1alpha1"

// Fields of a DatabaseClaim's and a BucketClaim's spec that a bundle's
// spec.database and spec.bucket pass on (apis/database and apis/bucket
// definition.yaml). Nothing else reaches the nested composite: not its
// composition, nor where its secret goes.
var (
	databaseFields = []string{"engine", "size", "version", "storageGB", "publiclyAccessible", "storageEncrypted", "deletionProtection"}
	bucketFields   = []string{"noncurrentVersionExpirationDays", "publicAccess", "encrypted"}
)

// nestedComposite is an XDatabase or XBucket with the spec the claim asked
// for: its own Composition composes and validates it (the bundle never
// re-implements that), and Crossplane writes its connection secret into
// the team's namespace, next to the claim, as <service>-<what>.
func nestedComposite(xr *compose.Composite, s *service, kind, what string, spec *structpb.Struct, known []string) *structpb.Struct {
	fields := make(pb.Fields, len(known)+1)
	for _, k := range known {
		if v, ok := spec.GetFields()[k]; ok {
			fields[k] = v
		}
	}
	fields["writeConnectionSecretToRef"] = pb.Obj(pb.Fields{
		"name":      pb.Str(connectionSecret(s, what)),
		"namespace": pb.Str(s.namespace),
	})
	return &structpb.Struct{Fields: pb.Fields{
		"apiVersion": pb.Const(compositeAPIVersion),
		"kind":       pb.Const(kind),
		"metadata":   pb.Obj(pb.Fields{"name": pb.Str(naming.Object(xr.Name, what))}),
		"spec":       pb.Obj(fields),
	}}
}

// connectionSecret is the name of the Secret, in the team's namespace, that
// holds the connection details of the service's database or bucket.
func connectionSecret(s *service, what string) string {
	return naming.Object(s.name, what)
}

func nestedDatabase(xr *compose.Composite, s *service) *structpb.Struct {
	return nestedComposite(xr, s, database.Kind, Database, s.database, databaseFields)
}

func nestedBucket(xr *compose.Composite, s *service) *structpb.Struct {
	return nestedComposite(xr, s, bucket.Kind, Bucket, s.bucket, bucketFields)
}
