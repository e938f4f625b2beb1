package servicebundle

import (
	"strings"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/awsrules"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// registered is the readiness of the catalog registration: Ready, and the
// catalog has read the service's Component from it without errors. While
// it is only on its way (compose.OnItsWay) it is named, nothing more.
func registered(ref string) compose.Readiness {
	return func(obs *structpb.Struct) (bool, string) {
		if errs := pb.Get(obs, "status", "atProvider", "processingErrors").GetListValue().GetValues(); len(errs) > 0 {
			msg, _ := pb.String(errs[0].GetStructValue(), "message")
			return false, "Backstage cannot process it: " + msg
		}
		c, ok := pb.ConditionOf(obs, "Ready")
		if !ok || c.Status != "True" {
			if !ok || compose.OnItsWay(c) {
				return false, ""
			}
			why := "Ready=" + c.Status + ": " + c.Reason
			if c.Message != "" {
				why += ": " + c.Message
			}
			return false, why
		}
		for _, v := range pb.Get(obs, "status", "atProvider", "entityRefs").GetListValue().GetValues() {
			if v.GetStringValue() == ref {
				return true, ""
			}
		}
		return false, "the catalog has not read " + ref + " yet"
	}
}

// Status reports what a developer needs from the bundle: where the code
// is, the catalog entity, the database's endpoint and secret, the bucket and
// the Applications, with one condition per part.
func (Composer) Status(xr *compose.Composite, set *compose.Set) compose.Status {
	st := compose.Status{Fields: pb.Fields{}}
	s, err := compose.Parsed(xr, parse)
	if err != nil {
		return st
	}
	if u, _ := pb.String(set.Observed(Repository), "status", "atProvider", "htmlURL"); u != "" {
		st.Fields["repositoryURL"] = pb.Str(u)
	}
	// On a protected default branch the provider proposes catalog-info.yaml
	// as a pull request; the registration waits until someone merges it.
	if u, _ := pb.String(set.Observed(CatalogFile), "status", "atProvider", "pullRequestURL"); u != "" && !set.IsReady(CatalogFile) {
		st.Fields["catalogPullRequestURL"] = pb.Str(u)
	}
	if set.IsReady(CatalogLocation) {
		// The Component has the Repository's name (service.withRepository).
		repository, _ := pb.String(set.Desired(Repository), "metadata", "name")
		st.Fields["catalogEntityRef"] = pb.Str(componentRef(repository))
	}

	// While its parts are on their way, each condition says what it
	// creates in the same words until it is ready (PartCondition); what a
	// provider says is named, and a part composed once another is ready
	// repeats why that one is not (waitingFor).
	repository := set.PartCondition(ConditionRepository, creatingRepository, repositoryParts(set)...)
	st.Conditions = append(st.Conditions, repository)
	catalog := set.PartCondition(ConditionCatalog, registering, CatalogLocation)
	if waitsForFile(set) {
		// Until the file is committed the registration says what it
		// waits for, and why in the provider's words when the repository
		// part says why; its own Synced=False only says that it waits.
		catalog = creatingPart(ConditionCatalog, registering)
		if !set.IsReady(CatalogFile) && saysWhy(repository, creatingRepository) {
			catalog = waitingFor(ConditionCatalog, registering, repository)
		}
	}
	st.Conditions = append(st.Conditions, catalog)

	if s.database != nil {
		db := pb.Fields{"secretName": pb.Str(connectionSecret(s, Database))}
		if ep, _ := pb.String(set.Observed(Database), "status", "endpoint"); ep != "" {
			db["endpoint"] = pb.Str(ep)
		}
		st.Fields["database"] = pb.Obj(db)
		st.Conditions = append(st.Conditions, set.Condition(ConditionDatabase, Database))
	}
	if s.bucket != nil {
		b := pb.Fields{"secretName": pb.Str(connectionSecret(s, Bucket))}
		if n, _ := pb.String(set.Observed(Bucket), "status", "bucketName"); n != "" {
			b["bucketName"] = pb.Str(n)
		}
		st.Fields["bucket"] = pb.Obj(b)
		st.Conditions = append(st.Conditions, set.Condition(ConditionBucket, Bucket))
	}
	if s.queue != nil {
		q := pb.Fields{"secretName": pb.Str(connectionSecret(s, Queue))}
		if u, _ := pb.String(set.Observed(Queue), "status", "queueUrl"); u != "" {
			q["queueUrl"] = pb.Str(u)
		}
		st.Fields["queue"] = pb.Obj(q)
		st.Conditions = append(st.Conditions, set.Condition(ConditionQueue, Queue))
	}

	apps := make([]string, 0, len(s.environments))
	names := make([]string, 0, len(s.environments))
	var waiting []string
	for _, e := range s.environments {
		apps = append(apps, appName(&set.ObservedState, s, e))
		names = append(names, ApplicationPrefix+e)
		if e == "production" && waitsForFirstSync(set.Observed(ApplicationPrefix+e)) {
			waiting = append(waiting, appName(&set.ObservedState, s, e))
		}
	}
	st.Fields["applications"] = pb.Strs(apps)
	// An Application that keeps its namespace against the environment's
	// pattern (destination) says so.
	delivery := set.PartConditionWithDrifts(ConditionDelivery, delivering, names...)
	if on := set.PartCondition(ConditionRepository, creatingRepository, Repository); set.Desired(names[0]) == nil && saysWhy(on, creatingRepository) {
		delivery = waitingFor(ConditionDelivery, delivering, on)
	}
	if len(waiting) > 0 && delivery.GetStatus() == fnv1.Status_STATUS_CONDITION_TRUE {
		msg := delivery.GetMessage() + "; " + strings.Join(waiting, ", ") + " waits for its first manual sync"
		delivery.Message = &msg
	}
	st.Conditions = append(st.Conditions, delivery)
	return st
}

// nestedReady is the readiness of a nested composite (the bundle's
// XDatabase and XBucket): its Ready condition, which its composer states
// without naming what it waits for (compose.Set.WriteStatus). While it is
// being created the bundle names it; when its own condition of type t
// (DatabaseReady, BucketReady) says something else (the provider cannot
// apply a change, its claim is refused), the bundle repeats it, so that
// the claim says why in the provider's words. Its progress, resource by
// resource, stays on the nested composite: repeated, each step would
// change the bundle's status too.
func nestedReady(t string) compose.Readiness {
	return func(obs *structpb.Struct) (bool, string) {
		if c, ok := pb.ConditionOf(obs, "Ready"); ok && c.Status == "True" {
			return true, ""
		}
		if c, ok := pb.ConditionOf(obs, t); ok && c.Status == "False" && c.Reason != "Creating" {
			return false, t + "=False: " + c.Reason + ": " + c.Message
		}
		return false, ""
	}
}

// What RepositoryReady, CatalogRegistered and DeliveryReady say while
// their parts are on their way (compose.Set.PartCondition).
const (
	creatingRepository = "creating the repository with its " + CatalogPath + " and release branch"
	registering        = "registered in Backstage's catalog once the repository and its " + CatalogPath + " are ready"
	delivering         = "creating an Argo CD Application per environment once the repository exists"
)

// waitsForFile reports whether the catalog registration waits for its
// file: not composed yet, or composed and not registered, its provider
// saying nothing but that a reference does not resolve yet (it waits for
// the committed file, provider-paved's refwait) or nothing at all. The
// first time the composite is reconciled after the file is committed, its
// CatalogLocation may still say so: the registration is then on its way,
// not failing.
func waitsForFile(set *compose.Set) bool {
	if set.Desired(CatalogLocation) == nil {
		return true
	}
	obs := set.Observed(CatalogLocation)
	if len(pb.Get(obs, "status", "atProvider").GetStructValue().GetFields()) > 0 || set.IsReady(CatalogLocation) {
		// Registered, and what the catalog read from it is observed
		// (provider/internal/controller/cataloglocation).
		return false
	}
	c, ok := pb.ConditionOf(obs, "Synced")
	unresolved := ok && c.Status == "False" && strings.HasPrefix(c.Message, "cannot resolve references: ")
	if name, _ := pb.String(obs, "metadata", "annotations", awsrules.ExternalNameAnnotation); name != "" {
		// Registered: the location's id is its external name, set by
		// Create. crossplane-runtime persists it before it updates the
		// status (pkg/reconciler/managed/reconciler.go: the
		// external-create-succeeded annotations, then the conditions),
		// so a reconcile between the two writes sees it beside the
		// Synced=False that said the file was not committed yet: that
		// one is the wait that just ended, not a failure.
		return unresolved
	}
	return !ok || c.Status != "False" || unresolved
}

// creatingPart is the condition of type t of a part on its way, as
// compose.Set.PartCondition says it while no provider says anything:
// False, reason Creating, the message creating.
func creatingPart(t, creating string) *fnv1.Condition {
	return &fnv1.Condition{
		Type: t, Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: "Creating",
		Message: &creating, Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
	}
}

// saysWhy reports whether c, a PartCondition whose parts on their way make
// it say creating, says why a part is not ready in its provider's words.
func saysWhy(c *fnv1.Condition, creating string) bool {
	return c.GetStatus() != fnv1.Status_STATUS_CONDITION_TRUE && c.GetMessage() != creating
}

// waitingFor is the condition of type t of a part that is not composed yet
// because it waits for another (on is that part's condition, which says
// why in its provider's words: saysWhy): False, reason Waiting, saying what
// it waits for and, in the provider's words, why that part is not ready
// yet (e.g. GitHub answering 503), so that the claim tells why it waits
// without looking at managed resources.
func waitingFor(t, what string, on *fnv1.Condition) *fnv1.Condition {
	msg := what
	if on.GetStatus() != fnv1.Status_STATUS_CONDITION_TRUE {
		msg += "; " + on.GetMessage()
	}
	return &fnv1.Condition{
		Type: t, Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: "Waiting",
		Message: &msg, Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum(),
	}
}

// repositoryParts are the composed resources RepositoryReady is about: the
// repository, its catalog-info.yaml, its release branch and the owning
// team's access, when the namespace's team has it (teamaccess.go).
func repositoryParts(set *compose.Set) []string {
	parts := []string{Repository, CatalogFile, ReleaseBranch}
	for _, n := range set.Objects().Names() {
		if strings.HasPrefix(n, TeamAccessPrefix) {
			parts = append(parts, n)
		}
	}
	return parts
}
