package v1alpha1

// Accessors of spec.forProvider and status.atProvider, which the
// controllers use for either scope (provider/internal/scoped).

// Parameters returns spec.forProvider.
func (mg *CatalogLocation) Parameters() *CatalogLocationParameters { return &mg.Spec.ForProvider }

// Observation returns status.atProvider.
func (mg *CatalogLocation) Observation() *CatalogLocationObservation { return &mg.Status.AtProvider }
