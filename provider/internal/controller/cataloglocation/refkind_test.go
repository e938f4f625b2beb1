package cataloglocation

import "github.com/paved-dev/paved/provider/internal/scoped"

// refKind is the cluster-scoped kind the tests of this package wait with.
var refKind = refKindOf(scoped.Cluster)

// fileKind is the cluster-scoped kind of a CatalogLocation's reference to
// its RepositoryFile.
var fileKind = fileKindOf(scoped.Cluster)
