package v1alpha1

// Accessors of spec.forProvider and status.atProvider, which the
// controllers use for either scope (provider/internal/scoped).

// Parameters returns spec.forProvider.
func (mg *Repository) Parameters() *RepositoryParameters { return &mg.Spec.ForProvider }

// Observation returns status.atProvider.
func (mg *Repository) Observation() *RepositoryObservation { return &mg.Status.AtProvider }

// Parameters returns spec.forProvider.
func (mg *RepositoryFile) Parameters() *RepositoryFileParameters { return &mg.Spec.ForProvider }

// Observation returns status.atProvider.
func (mg *RepositoryFile) Observation() *RepositoryFileObservation { return &mg.Status.AtProvider }

// Parameters returns spec.forProvider.
func (mg *Branch) Parameters() *BranchParameters { return &mg.Spec.ForProvider }

// Observation returns status.atProvider.
func (mg *Branch) Observation() *BranchObservation { return &mg.Status.AtProvider }

// Parameters returns spec.forProvider.
func (mg *TeamRepository) Parameters() *TeamRepositoryParameters { return &mg.Spec.ForProvider }

// Observation returns status.atProvider.
func (mg *TeamRepository) Observation() *TeamRepositoryObservation { return &mg.Status.AtProvider }
