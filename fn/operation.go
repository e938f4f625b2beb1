package fn

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	kjson "sigs.k8s.io/json"

	"github.com/paved-dev/paved/fn/database"
	"github.com/paved-dev/paved/fn/internal/naming"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// function-paved is also an operation function (package metadata
// spec.capabilities: [composition, operation]; Crossplane v2's alpha
// Operations, ops.crossplane.io/v1alpha1, core flag --enable-operations,
// https://docs.crossplane.io/latest/operations/operation/). A pipeline step
// whose input is of kind DayTwoKind runs the day-two checks of paved's
// databases (database.DayTwo) instead of composing: an Operation has no
// composite.
//
// What an operation function may do is what Crossplane v2.4.0's Operation
// reconciler does with its answer (internal/controller/ops/operation/
// reconciler.go): results become events on the Operation (Fatal fails it),
// output is kept in the Operation's status.pipeline[].output, and desired
// resources are server-side applied, with forced ownership, as they are.
// Conditions are not read, and requirements are not asked for again (only
// the step's bootstrap requirements and a WatchOperation's watched
// resource are sent). So the checks change nothing: their only desired
// resources are core/v1 Events about each claim (or composite) a check has
// something to say about, which `kubectl describe` of the claim shows, and
// the same findings are Warning results and the step's output.

// DayTwoKind is the kind of the input that runs the day-two checks.
const DayTwoKind = "DayTwoChecks"

// The required resources the day-two checks read, by the requirement names
// of the pipeline step (package/operations/daytwo.yaml): the RDS Instances,
// the composites that composed them and the claims of those.
const (
	RequirementInstances  = "instances"
	RequirementComposites = "composites"
	RequirementClaims     = "claims"
	// RequirementWatched is the resource a WatchOperation hands its
	// function (crossplane v2.4.0 internal/controller/ops/watchoperation,
	// ops.crossplane.io/watched-resource): an Instance that changed.
	RequirementWatched = "ops.crossplane.io/watched-resource"
)

// Labels Crossplane puts on every composed resource: the composite's name
// (crossplane v2.4.0 apis/core/v2, LabelKeyNamePrefixForComposed).
const labelComposite = "crossplane.io/composite"

// eventSource is the component the Events name.
const eventSource = "function-paved"

// dayTwoInput is the day-two checks' input: fn.paved.dev/v1alpha1
// DayTwoChecks, every threshold optional (database.DefaultThresholds).
type dayTwoInput struct {
	APIVersion string         `json:"apiVersion,omitempty"`
	Kind       string         `json:"kind,omitempty"`
	Metadata   map[string]any `json:"metadata,omitempty"`
	database.Thresholds
}

// isDayTwo reports whether the request is for the day-two checks.
func isDayTwo(req *fnv1.RunFunctionRequest) bool {
	return req.GetInput().GetFields()["kind"].GetStringValue() == DayTwoKind
}

func decodeDayTwo(s *structpb.Struct) (database.Thresholds, error) {
	th := database.DefaultThresholds
	j, err := protojson.Marshal(s)
	if err != nil {
		return th, fmt.Errorf("cannot marshal the input to JSON: %w", err)
	}
	in := &dayTwoInput{Thresholds: th}
	strict, err := kjson.UnmarshalStrict(j, in)
	if err == nil && len(strict) > 0 {
		err = errors.Join(strict...)
	}
	if err != nil {
		return th, fmt.Errorf("%w (allowed keys: apiVersion, kind, metadata, caExpiryDays, supportEndDays, storagePercent)", err)
	}
	if in.APIVersion != InputAPIVersion {
		return th, fmt.Errorf("apiVersion %q: want %q", in.APIVersion, InputAPIVersion)
	}
	if in.CAExpiryDays < 0 || in.SupportEndDays < 0 || in.StoragePercent < 1 || in.StoragePercent > 100 {
		return th, fmt.Errorf("caExpiryDays (%d) and supportEndDays (%d) must not be negative, storagePercent (%d) from 1 to 100",
			in.CAExpiryDays, in.SupportEndDays, in.StoragePercent)
	}
	return in.Thresholds, nil
}

// subject is the object a database's findings are reported on: its claim,
// or its composite when it has no claim (a namespaced composite), or the
// instance itself when neither was found.
type subject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	UID        string `json:"uid,omitempty"`
}

func (s subject) String() string {
	if s.Namespace == "" {
		return s.Kind + " " + s.Name
	}
	return s.Kind + " " + s.Namespace + "/" + s.Name
}

// databaseReport is one database's findings in the step's output.
type databaseReport struct {
	Subject   subject            `json:"subject"`
	Composite string             `json:"composite,omitempty"`
	Instance  string             `json:"instance"`
	Findings  []database.Finding `json:"findings"`
}

// dayTwoOutput is the step's output (the Operation's
// status.pipeline[].output).
type dayTwoOutput struct {
	// Checked is how many databases were checked.
	Checked   int              `json:"checked"`
	Databases []databaseReport `json:"databases"`
}

// operate runs the day-two checks on every Instance the request holds.
func (f *Function) operate(req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	rsp := newResponse(req)
	rsp.Meta.Ttl = nil
	th, err := decodeDayTwo(req.GetInput())
	if err != nil {
		fatalResult(rsp, fmt.Errorf("cannot read function input (%s %s): %w", InputAPIVersion, DayTwoKind, err))
		return rsp
	}
	rr := req.GetRequiredResources()
	key := func(o *structpb.Struct) string {
		ns, _ := pb.String(o, "metadata", "namespace")
		n, _ := pb.String(o, "metadata", "name")
		return ns + "/" + n
	}
	index := func(name string) map[string]*structpb.Struct {
		m := map[string]*structpb.Struct{}
		for _, r := range rr[name].GetItems() {
			m[key(r.GetResource())] = r.GetResource()
		}
		return m
	}
	composites, claims := index(RequirementComposites), index(RequirementClaims)
	instances := index(RequirementInstances)
	maps.Copy(instances, index(RequirementWatched))
	keys := make([]string, 0, len(instances))
	for k := range instances {
		keys = append(keys, k)
	}
	slices.Sort(keys)

	now := f.clock()
	out := dayTwoOutput{Checked: len(keys), Databases: []databaseReport{}}
	desired := rsp.GetDesired()
	if desired == nil {
		desired = &fnv1.State{}
		rsp.Desired = desired
	}
	if desired.Resources == nil {
		desired.Resources = map[string]*fnv1.Resource{}
	}
	findings := 0
	for _, k := range keys {
		inst := instances[k]
		ns, _ := pb.String(inst, "metadata", "namespace")
		instName, _ := pb.String(inst, "metadata", "name")
		xrName, _ := pb.String(inst, "metadata", "labels", labelComposite)
		xr := composites[ns+"/"+xrName]
		fs := database.DayTwo(inst, pb.Struct(xr, "spec"), now, th)
		if len(fs) == 0 {
			continue
		}
		s := reportedOn(inst, xr, claims)
		out.Databases = append(out.Databases, databaseReport{Subject: s, Composite: xrName, Instance: instName, Findings: fs})
		for _, fd := range fs {
			findings++
			reason := fd.Check
			rsp.Results = append(rsp.Results, &fnv1.Result{
				Severity: fnv1.Severity_SEVERITY_WARNING,
				Message:  s.String() + ": " + fd.Message,
				Reason:   &reason,
			})
			ev := event(s, fd, now)
			n, _ := pb.String(ev, "metadata", "name")
			desired.Resources["event-"+n] = &fnv1.Resource{Resource: ev}
		}
	}
	rsp.Results = append(rsp.Results, &fnv1.Result{
		Severity: fnv1.Severity_SEVERITY_NORMAL,
		Message:  fmt.Sprintf("checked %d databases: %d findings on %d (nothing was changed)", out.Checked, findings, len(out.Databases)),
	})
	j, err := json.Marshal(out)
	if err == nil {
		o := &structpb.Struct{}
		if err = protojson.Unmarshal(j, o); err == nil {
			rsp.Output = o
		}
	}
	if err != nil {
		fatalResult(rsp, fmt.Errorf("cannot write the day-two checks' output: %w", err))
	}
	f.log.Debug("Day-two checks", "checked", out.Checked, "findings", findings, "tag", req.GetMeta().GetTag())
	return rsp
}

// reportedOn is the subject of an Instance's findings: the claim its
// composite names in spec.claimRef (with the claim's uid, which `kubectl
// describe` selects events by, when the claim was among the required
// resources), else the composite, else the instance.
func reportedOn(inst, xr *structpb.Struct, claims map[string]*structpb.Struct) subject {
	meta := func(o *structpb.Struct) subject {
		s := subject{}
		s.APIVersion, _ = pb.String(o, "apiVersion")
		s.Kind, _ = pb.String(o, "kind")
		s.Namespace, _ = pb.String(o, "metadata", "namespace")
		s.Name, _ = pb.String(o, "metadata", "name")
		s.UID, _ = pb.String(o, "metadata", "uid")
		return s
	}
	if xr == nil {
		return meta(inst)
	}
	if ref := pb.Struct(xr, "spec", "claimRef"); ref != nil {
		s := subject{}
		s.APIVersion, _ = pb.String(ref, "apiVersion")
		s.Kind, _ = pb.String(ref, "kind")
		s.Namespace, _ = pb.String(ref, "namespace")
		s.Name, _ = pb.String(ref, "name")
		if c, ok := claims[s.Namespace+"/"+s.Name]; ok {
			s.UID, _ = pb.String(c, "metadata", "uid")
		}
		if s.Name != "" && s.Kind != "" {
			return s
		}
	}
	return meta(xr)
}

// event is the core/v1 Event that reports a finding on s, named after s and
// the check so that every run updates the same Event. A cluster-scoped
// subject's Event is in namespace default, as the API server requires of
// an Event whose involvedObject has no namespace (kubernetes
// pkg/apis/core/validation/events.go, legacyValidateEvent).
// https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/
func event(s subject, fd database.Finding, now time.Time) *structpb.Struct {
	ns := cmp.Or(s.Namespace, "default")
	name := naming.Object(s.Name, strings.ToLower(s.Kind+"."+fd.Check))
	ts := pb.Str(now.UTC().Format(time.RFC3339))
	involved := pb.Fields{"apiVersion": pb.Str(s.APIVersion), "kind": pb.Str(s.Kind), "name": pb.Str(s.Name)}
	if s.Namespace != "" {
		involved["namespace"] = pb.Str(s.Namespace)
	}
	if s.UID != "" {
		involved["uid"] = pb.Str(s.UID)
	}
	return pb.Obj(pb.Fields{
		"apiVersion":         pb.Const("v1"),
		"kind":               pb.Const("Event"),
		"metadata":           pb.Obj(pb.Fields{"name": pb.Str(name), "namespace": pb.Str(ns)}),
		"involvedObject":     pb.Obj(involved),
		"reason":             pb.Str(fd.Check),
		"message":            pb.Str(fd.Message),
		"type":               pb.Const("Warning"),
		"source":             pb.Obj(pb.Fields{"component": pb.Const(eventSource)}),
		"reportingComponent": pb.Const(eventSource),
		"firstTimestamp":     ts,
		"lastTimestamp":      ts,
		"count":              structpb.NewNumberValue(1),
	}).GetStructValue()
}
