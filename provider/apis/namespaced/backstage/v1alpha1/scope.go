package v1alpha1

import (
	bsv1alpha1 "github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
)

// Parameters returns spec.forProvider.
func (mg *CatalogLocation) Parameters() *bsv1alpha1.CatalogLocationParameters {
	return &mg.Spec.ForProvider
}

// Observation returns status.atProvider.
func (mg *CatalogLocation) Observation() *bsv1alpha1.CatalogLocationObservation {
	return &mg.Status.AtProvider
}
