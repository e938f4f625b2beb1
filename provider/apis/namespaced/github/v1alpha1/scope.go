package v1alpha1

import (
	ghv1alpha1 "github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// Parameters returns spec.forProvider.
func (mg *Repository) Parameters() *ghv1alpha1.RepositoryParameters { return &mg.Spec.ForProvider }

// Observation returns status.atProvider.
func (mg *Repository) Observation() *ghv1alpha1.RepositoryObservation { return &mg.Status.AtProvider }

// Parameters returns spec.forProvider.
func (mg *RepositoryFile) Parameters() *ghv1alpha1.RepositoryFileParameters {
	return &mg.Spec.ForProvider
}

// Observation returns status.atProvider.
func (mg *RepositoryFile) Observation() *ghv1alpha1.RepositoryFileObservation {
	return &mg.Status.AtProvider
}

// Parameters returns spec.forProvider.
func (mg *Branch) Parameters() *ghv1alpha1.BranchParameters { return &mg.Spec.ForProvider }

// Observation returns status.atProvider.
func (mg *Branch) Observation() *ghv1alpha1.BranchObservation { return &mg.Status.AtProvider }

// Parameters returns spec.forProvider.
func (mg *TeamRepository) Parameters() *ghv1alpha1.TeamRepositoryParameters {
	return &mg.Spec.ForProvider
}

// Observation returns status.atProvider.
func (mg *TeamRepository) Observation() *ghv1alpha1.TeamRepositoryObservation {
	return &mg.Status.AtProvider
}
