package servicebundle

import (
	"fmt"

	"github.com/paved-dev/paved/fn/internal/naming"
	"github.com/paved-dev/paved/fn/servicebundle/internal/catalogyaml"
)

// The catalog file a service's repository carries, in Backstage's entity
// descriptor format
// (https://backstage.io/docs/features/software-catalog/descriptor-format).
const (
	CatalogPath       = "catalog-info.yaml"
	backstageVersion  = "backstage.io/v1alpha1"
	defaultNamespace  = "default"
	componentType     = "service"
	databaseEntity    = "database"
	bucketEntity      = "bucket"
	queueEntity       = "queue"
	databaseType      = "database" // an RDS database's (postgresql, mysql)
	redisType         = "elasticache-valkey"
	mongodbType       = "documentdb-cluster"
	bucketType        = "s3-bucket"
	queueType         = "sqs-queue"
	grafanaLinkTitle  = "Grafana Dashboard"
	grafanaLinkIcon   = "dashboard"
	techDocsRef       = "dir:."
	argoCDSelectLabel = "paved.dev/service"
)

// Well-known annotations
// (https://backstage.io/docs/features/software-catalog/well-known-annotations)
// and those of the Argo CD plugin (argocd/app-name for one Application,
// argocd/app-selector, a label selector, for several:
// https://roadie.io/backstage/plugins/argo-cd/) and the Grafana plugin
// (https://github.com/K-Phoenix/backstage-plugin-grafana).
const (
	annotationProjectSlug   = "github.com/project-slug"
	annotationTechDocs      = "backstage.io/techdocs-ref"
	annotationArgoCDApp     = "argocd/app-name"
	annotationArgoCDApps    = "argocd/app-selector"
	annotationGrafanaSelect = "grafana/dashboard-selector"
)

// The catalog entities, written by catalogyaml (yaml.v3's bytes without
// its reflection) or, for a string it leaves, by yaml.v3 itself.
type (
	entity         = catalogyaml.Entity
	entityMetadata = catalogyaml.Metadata
	entityLink     = catalogyaml.Link
	entitySpec     = catalogyaml.Spec
)

// componentRef is the entity ref of the Component of the service whose
// repository is repository, as the catalog reports it (kind and namespace
// in lowercase, the default namespace). The Component is named after the
// repository: both are names no other team's service has
// (service.withRepository).
func componentRef(repository string) string {
	return "component:" + defaultNamespace + "/" + repository
}

// resourceName is the name of a Resource entity of the service: the
// service's repository name and what it is, shortened with a hash to Backstage's 63
// characters (naming.LabelValue keeps [a-z0-9] separated by single hyphens,
// which Backstage's name rule allows).
func resourceName(s *service, what string) string {
	return naming.LabelValue(s.repository + "-" + what)
}

// title is the Component's display name: the service's name where the
// repository's differs (a team prefix), which Backstage shows instead of
// the entity's name
// (https://backstage.io/docs/features/software-catalog/descriptor-format#title-optional).
func title(s *service) string {
	if s.repository == s.name {
		return ""
	}
	return s.name
}

// catalogInfo is the catalog-info.yaml of a service: its Component and, for
// a database, a bucket and a queue, Resource entities the Component depends
// on (a Resource's spec.type is free text, a Component's spec.dependsOn
// entity references:
// https://backstage.io/docs/features/software-catalog/descriptor-format#kind-resource). The
// same service always yields the same bytes.
func catalogInfo(s *service, st *settings) ([]byte, error) {
	// The owner is the platform's team of the claim's namespace
	// (service.withTenant), never the claim's spec.owner.
	owner := "group:" + defaultNamespace + "/" + s.team
	system := s.system
	var resources []entity
	var dependsOn []string
	add := func(what, typ, desc string) {
		name := resourceName(s, what)
		dependsOn = append(dependsOn, "resource:"+defaultNamespace+"/"+name)
		resources = append(resources, entity{
			APIVersion: backstageVersion, Kind: "Resource",
			Metadata: entityMetadata{Name: name, Description: desc},
			Spec:     entitySpec{Type: typ, Owner: owner, System: system},
		})
	}
	if s.database != nil {
		typ, name := databaseKind(s)
		add(databaseEntity, typ, "The "+name+" database of "+s.name+", managed by paved")
	}
	if s.bucket != nil {
		add(bucketEntity, bucketType, "The S3 bucket of "+s.name+", managed by paved")
	}
	if s.queue != nil {
		add(queueEntity, queueType, "The SQS queue of "+s.name+", with its dead-letter queue, managed by paved")
	}

	annotations := map[string]string{
		annotationProjectSlug:   st.GitHubOwner + "/" + s.repository,
		annotationTechDocs:      techDocsRef,
		annotationGrafanaSelect: "service=" + s.repository,
	}
	if len(s.environments) == 1 {
		annotations[annotationArgoCDApp] = s.application(s.environments[0])
	} else {
		annotations[annotationArgoCDApps] = argoCDSelectLabel + "=" + s.repository
	}
	c := entity{
		APIVersion: backstageVersion, Kind: "Component",
		Metadata: entityMetadata{
			Name:        s.repository,
			Title:       title(s),
			Description: s.description,
			Annotations: annotations,
			Tags:        []string{Templates[s.template]},
		},
		Spec: entitySpec{Type: componentType, Lifecycle: s.lifecycle, Owner: owner, System: system, DependsOn: dependsOn},
	}
	if st.GrafanaURL != "" {
		c.Metadata.Links = []entityLink{{URL: st.GrafanaURL + "/d/" + s.repository, Title: grafanaLinkTitle, Icon: grafanaLinkIcon}}
	}

	header := "# Generated by paved from the ServiceBundle " + s.namespace + "/" + s.name + "; changes here are overwritten.\n"
	entities := append([]entity{c}, resources...)
	b, err := catalogyaml.Encode(header, entities)
	if err != nil {
		return nil, fmt.Errorf("cannot generate %s: %w", CatalogPath, err)
	}
	return b, nil
}

// databaseKind is the Resource spec.type of the service's database and the
// name of its engine. An RDS database keeps "database", the type
// Backstage's descriptor format gives as its example
// (https://backstage.io/docs/features/software-catalog/descriptor-format#kind-resource);
// redis and mongodb name the AWS service that runs them, as s3-bucket and
// sqs-queue do, since neither is the engine its name says (Valkey,
// fn/database/redis.go; DocumentDB, fn/database/docdb.go).
func databaseKind(s *service) (typ, name string) {
	e := s.database.GetFields()["engine"].GetStringValue()
	switch e {
	case "postgresql":
		return databaseType, "PostgreSQL"
	case "mysql":
		return databaseType, "MySQL"
	case "redis":
		return redisType, "ElastiCache for Valkey (Redis compatible)"
	case "mongodb":
		return mongodbType, "Amazon DocumentDB (MongoDB compatible)"
	}
	return databaseType, e
}
