package v1alpha1

import (
	"reflect"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// Package type metadata.
const (
	Group   = "backstage.m.paved.dev"
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

// CatalogLocation type metadata.
var (
	CatalogLocationKind             = reflect.TypeFor[CatalogLocation]().Name()
	CatalogLocationGroupKind        = schema.GroupKind{Group: Group, Kind: CatalogLocationKind}.String()
	CatalogLocationGroupVersionKind = SchemeGroupVersion.WithKind(CatalogLocationKind)
)

func init() {
	SchemeBuilder.Register(&CatalogLocation{}, &CatalogLocationList{})
}
