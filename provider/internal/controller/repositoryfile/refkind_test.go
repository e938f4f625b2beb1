package repositoryfile

import "github.com/paved-dev/paved/provider/internal/scoped"

// refKind is the cluster-scoped kind the tests of this package wait with.
var refKind = refKindOf(scoped.Cluster)
