package v1alpha1

import (
	"reflect"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// Package type metadata.
const (
	Group   = "github.m.paved.dev"
	Version = "v1alpha1"
)

var (
	// SchemeGroupVersion is the group version used to register these objects.
	SchemeGroupVersion = schema.GroupVersion{Group: Group, Version: Version}

	// SchemeBuilder adds the Go types to the GroupVersionKind scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: SchemeGroupVersion}

	// AddToScheme adds all types of this group version to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// Repository type metadata.
var (
	RepositoryKind             = reflect.TypeFor[Repository]().Name()
	RepositoryGroupKind        = schema.GroupKind{Group: Group, Kind: RepositoryKind}.String()
	RepositoryGroupVersionKind = SchemeGroupVersion.WithKind(RepositoryKind)
)

// RepositoryFile type metadata.
var (
	RepositoryFileKind             = reflect.TypeFor[RepositoryFile]().Name()
	RepositoryFileGroupKind        = schema.GroupKind{Group: Group, Kind: RepositoryFileKind}.String()
	RepositoryFileGroupVersionKind = SchemeGroupVersion.WithKind(RepositoryFileKind)
)

// Branch type metadata.
var (
	BranchKind             = reflect.TypeFor[Branch]().Name()
	BranchGroupKind        = schema.GroupKind{Group: Group, Kind: BranchKind}.String()
	BranchGroupVersionKind = SchemeGroupVersion.WithKind(BranchKind)
)

// TeamRepository type metadata.
var (
	TeamRepositoryKind             = reflect.TypeFor[TeamRepository]().Name()
	TeamRepositoryGroupKind        = schema.GroupKind{Group: Group, Kind: TeamRepositoryKind}.String()
	TeamRepositoryGroupVersionKind = SchemeGroupVersion.WithKind(TeamRepositoryKind)
)

func init() {
	SchemeBuilder.Register(&Repository{}, &RepositoryList{})
	SchemeBuilder.Register(&RepositoryFile{}, &RepositoryFileList{})
	SchemeBuilder.Register(&Branch{}, &BranchList{})
	SchemeBuilder.Register(&TeamRepository{}, &TeamRepositoryList{})
}
