// Package fn is function-paved: a Crossplane composition function that turns
// paved's claims into secure managed resources.
package fn

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
)

// Group of paved's legacy composite resources and their claims.
const Group = "platform.paved.dev"

// NamespacedGroup of paved's namespaced composite resources (Crossplane v2,
// apiextensions.crossplane.io/v2 XRDs of scope Namespaced). It is not
// Group: the legacy ServiceBundle claim is already platform.paved.dev
// ServiceBundle, so a namespaced ServiceBundle needs another group, and
// every namespaced kind shares this one.
const NamespacedGroup = "paved.dev"

// Version of paved's composite resources in either group.
const Version = "v1alpha1"

// EnvironmentRequirement is the name under which the function requires the
// EnvironmentConfig named in its input.
const EnvironmentRequirement = "environment"

// EnvironmentConfig's API.
const (
	EnvironmentConfigAPIVersion = "apiextensions.crossplane.io/v1beta1"
	EnvironmentConfigKind       = "EnvironmentConfig"
)

// A Composer composes one kind of composite resource. It validates the
// composite's spec, adds the composed resources to the set and returns the
// status to write back. Everything else (input, environment, names, labels,
// readiness, writing the response) is done once, here and in package compose.
type Composer interface {
	// Component is the app.kubernetes.io/component of composed resources.
	Component() string
	// ConditionType is the composer's own condition on composite and claim,
	// about all it composes. A composer that reports several conditions
	// instead returns "" and has a method ConditionTypes() []string naming
	// them; a refusal sets each False (refusedConditionTypes), except one
	// about a part the composite neither asks for nor reports, named by an
	// optional method PartConditions() map[string]string (condition type
	// to the spec field that asks for the part).
	ConditionType() string
	// Compose validates the composite and adds its desired resources to s.
	// It runs on every request: it may read anything observed in s.
	// An error is the claim's fault and is reported as a Fatal result, so
	// its message must say what to fix.
	Compose(xr *compose.Composite, e *env.Environment, s *compose.Set) error
	// ValidateEnvironment checks the section of the environment the
	// composer uses, and only that: a bad setting refuses only the kinds
	// that use it. Its error is an *env.Error. It runs once per
	// environment (Function.environment), before Compose sees it.
	ValidateEnvironment(e *env.Environment) error
	// Placement says where existing composed resources record the
	// environment settings they cannot change (region, VPC, ...); those
	// are kept as observed (compose.Set.Pin).
	Placement() []compose.Pin
	// Check refuses a change of the composite that the existing composed
	// resources cannot make, by comparing it with what is observed. Its error is a *compose.ChangeError.
	Check(xr *compose.Composite, s *compose.Set) error
	// Status is what to write back to the composite, read from the
	// observed resources in s.
	Status(xr *compose.Composite, s *compose.Set) compose.Status
}

// Function is function-paved.
type Function struct {
	fnv1.UnimplementedFunctionRunnerServiceServer

	log logging.Logger
	// composers by the apiVersion and kind of what they compose (see
	// composerKey).
	composers map[string]registered

	// What a request's input and EnvironmentConfig decode and resolve to,
	// by the digest of their bytes: a pure function of its key, so it
	// cannot go stale. What a composite composes is not remembered: it
	// depends on the observed state, and a key made of hand-kept lists of
	// what a composer reads replays stale objects, with no error, for the
	// one read the list forgets (docs/performance.md, "The desired-state
	// memo").
	inputs       memo[*functionInput]
	environments memo[resolved]

	// now is the clock of the day-two checks (nil: time.Now).
	now func() time.Time
}

func (f *Function) clock() time.Time {
	if f.now != nil {
		return f.now()
	}
	return time.Now()
}

// registered is a composer and the dialect of the kind it is registered
// for.
type registered struct {
	Composer
	namespaced bool
}

// composerKey is the key of f.composers: apiVersion and kind.
func composerKey(apiVersion, kind string) string { return apiVersion + " " + kind }

// New returns function-paved with a composer for every paved kind, the
// same one for a kind's legacy and namespaced composites.
func New(log logging.Logger) *Function {
	f := &Function{log: log, composers: make(map[string]registered, 2*len(Kinds))}
	for _, k := range Kinds {
		f.composers[composerKey(Group+"/"+Version, k.Composite)] = registered{Composer: k.Composer}
		if k.Namespaced != "" {
			f.composers[composerKey(NamespacedGroup+"/"+Version, k.Namespaced)] = registered{Composer: k.Composer, namespaced: true}
		}
	}
	return f
}

// RunFunction composes the observed composite resource or, for an input of
// kind DayTwoKind (an Operation's pipeline step), runs the day-two checks
// (operation.go).
func (f *Function) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	if isDayTwo(req) {
		return f.operate(req), nil
	}
	rsp := newResponse(req)

	in, inKey, err := f.input(req)
	if err != nil {
		fatalResult(rsp, fmt.Errorf("cannot read function input (%s %s): %w", InputAPIVersion, InputKind, err))
		return rsp, nil
	}

	xr, err := compose.ObservedComposite(req)
	if err != nil {
		fatalResult(rsp, err)
		return rsp, nil
	}
	key := composerKey(xr.APIVersion, xr.Kind)
	r, ok := f.composers[key]
	if !ok {
		fatalResult(rsp, fmt.Errorf("function-paved cannot compose %s %s: it composes %s", xr.APIVersion, xr.Kind, kindNames()))
		return rsp, nil
	}
	// The dialect follows the composite's scope, which its group decides:
	// Crossplane never sends a namespaced composite without a namespace,
	// nor a legacy one with one.
	if r.namespaced != xr.Namespaced() {
		why := "a legacy composite is cluster-scoped and has no metadata.namespace"
		if r.namespaced {
			why = "a namespaced composite has a metadata.namespace"
		}
		fatalResult(rsp, fmt.Errorf("function-paved cannot compose %s %s: %s", xr.APIVersion, xr.Kind, why))
		return rsp, nil
	}
	c := r.Composer
	log := f.log.WithValues("xr-kind", xr.Kind, "xr-name", xr.Name, "tag", req.GetMeta().GetTag())
	// A composite any claim could bind gets nothing: see compose.Bindable.
	if xr.Bindable() {
		err := &unboundError{fmt.Errorf("%s %s has no spec.claimRef, so any claim naming it in spec.resourceRef would bind it, "+
			"take its connection secret and delete it with the claim; a composite made without a claim names itself in spec.claimRef: %s (docs/security.md)",
			xr.Kind, xr.Name, compose.PlatformClaimRef(xr.APIVersion, xr.Kind, xr.Name))}
		log.Info("Refusing to compose", "error", err.Error())
		refuse(rsp, c, xr, err)
		return rsp, nil
	}

	ec, ok := environmentConfig(req, rsp, in.EnvironmentConfigName)
	if !ok {
		// Crossplane fetches the EnvironmentConfig and calls again.
		log.Debug("Requiring EnvironmentConfig", "name", in.EnvironmentConfigName)
		return rsp, nil
	}
	set := compose.NewSet(req, xr, c.Component())
	envKey := environmentKey(inKey, ec)
	e, err := f.environment(envKey, in, ec, key)
	if err == nil {
		var fetched bool
		if fetched, err = require(c, xr, e, set, req, rsp); err == nil && !fetched {
			// Crossplane fetches what the composer requires and calls again.
			log.Debug("Requiring objects the composer must see")
			return rsp, nil
		}
	}
	if err == nil {
		err = c.Check(xr, set)
	}
	if err == nil {
		e, _ = set.Pin(e, c.Placement())
		err = composeChecked(c, xr, e, set)
		// What the composer kept itself (compose.Set.KeepPlacement) too.
		if drifts := set.Drifts(); len(drifts) > 0 {
			// The change is not applied; say so where the platform team
			// and the claim's owner look.
			warningResult(rsp, fmt.Errorf("%s: %s", xr.Subject(), compose.DescribeDrifts(drifts)), compose.ReasonEnvironmentChanged)
			log.Info("Keeping placement of existing resources", "drifts", compose.DescribeDrifts(drifts))
		}
	}
	if err == nil {
		// What this request would create is required by name first, and
		// refused if it exists without being this composite's
		// (compose.Set.Creates).
		creates := set.Creates()
		if !requireAll(set, creates, req, rsp) {
			log.Debug("Requiring the objects the composite would create")
			return rsp, nil
		}
		err = set.Conflicts(creates)
		if err == nil && xr.AdoptOnly {
			if l := set.WouldCreateManaged(creates); len(l) > 0 {
				err = &compose.ConflictError{Err: fmt.Errorf("%s may only adopt existing managed resources (annotation %s, set by paved migrate), but would create %s: "+
					"the claim's composite had no such resource, so it would be a new cloud object", xr.Subject(), compose.AnnotationAdoptOnly, strings.Join(l, ", "))}
			}
		}
	}
	if err != nil {
		log.Info("Refusing to compose", "error", err.Error())
		refuse(rsp, c, xr, err)
		return rsp, nil
	}
	st := c.Status(xr, set)
	st.ConditionType = c.ConditionType()
	st.Now = f.clock()
	set.Write(rsp)
	set.WriteStatus(rsp, st)
	// Ready as the response says it: a nested or young composite whose
	// fields change says so a reconcile after everything is ready
	// (compose.Set.WriteStatus, publishesFirst).
	withTTL(rsp, rsp.GetDesired().GetComposite().GetReady() == fnv1.Ready_READY_TRUE, circuitOpen(xr.Object))
	log.Debug("Composed", "ready", set.Ready(), "pending", len(set.Pending()))
	return rsp, nil
}

// refuse stops the pipeline with a Fatal result, so that nothing is
// composed or changed. Crossplane stops at a Fatal result before it passes
// anything on to the claim, so the reason also goes out as a Warning event
// and as the composer's condition, both aimed at composite and claim: the
// team that wrote the claim sees what to fix where they look. The message
// says whose fault it is: the claim's, the platform environment's or
// (a composed value AWS would refuse) paved's own.
func refuse(rsp *fnv1.RunFunctionResponse, c Composer, xr *compose.Composite, err error) {
	reason := "InvalidClaim"
	var envErr *env.Error
	var changeErr *compose.ChangeError
	var conflictErr *compose.ConflictError
	var intErr *internalError
	var unbound *unboundError
	switch {
	case errors.As(err, &unbound):
		reason = "Unbound"
		err = fmt.Errorf("refused %s, nothing was composed: %w", xr.Subject(), unbound.err)
	case errors.As(err, &intErr):
		reason = "InternalError"
		err = fmt.Errorf("cannot compose %s: %w", xr.Subject(), intErr.err)
	case errors.As(err, &envErr):
		reason = "InvalidEnvironment"
		err = fmt.Errorf("invalid platform environment for %s: %w", xr.Subject(), envErr)
	case errors.As(err, &changeErr):
		reason = "ChangeRefused"
		err = fmt.Errorf("refused change of %s, nothing was changed: %w", xr.Subject(), changeErr)
	case errors.As(err, &conflictErr):
		reason = "Conflict"
		err = fmt.Errorf("refused %s, nothing was changed: %w", xr.Subject(), conflictErr)
	default:
		err = fmt.Errorf("invalid %s: %w", xr.Subject(), err)
	}
	warningResult(rsp, err, reason)
	for _, t := range refusedConditionTypes(c, xr) {
		falseCondition(rsp, t, reason, err.Error())
	}
	fatalResult(rsp, err)
}

// An unboundError refuses a composite that any claim could bind
// (compose.Bindable).
type unboundError struct{ err error }

func (e *unboundError) Error() string { return e.err.Error() }
func (e *unboundError) Unwrap() error { return e.err }

// An internalError is paved's fault, neither the claim's nor the
// environment's.
type internalError struct{ err error }

func (e *internalError) Error() string { return e.err.Error() }
func (e *internalError) Unwrap() error { return e.err }

// composeChecked has c compose the composite and refuses, as paved's bug,
// values AWS would refuse and, for a namespaced composite, objects
// Crossplane would refuse.
func composeChecked(c Composer, xr *compose.Composite, e *env.Environment, s *compose.Set) error {
	if err := c.Compose(xr, e, s); err != nil {
		return err
	}
	if err := s.Objects().CheckAWSRules(); err != nil {
		return &internalError{fmt.Errorf("function-paved composed values that AWS would refuse (a bug in paved; nothing was applied): %w", err)}
	}
	if err := s.Objects().CheckDialect(); err != nil {
		return &internalError{fmt.Errorf("function-paved composed what Crossplane would refuse (a bug in paved; nothing was applied): %w", err)}
	}
	return nil
}

// environmentConfig requires the named EnvironmentConfig and returns it
// once Crossplane has supplied it (nil if it does not exist). It returns
// false while Crossplane has not yet been asked for it.
func environmentConfig(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, name string) (*structpb.Struct, bool) {
	if name == "" {
		return nil, true
	}
	sel := &fnv1.ResourceSelector{
		ApiVersion: EnvironmentConfigAPIVersion,
		Kind:       EnvironmentConfigKind,
		Match:      &fnv1.ResourceSelector_MatchName{MatchName: name},
	}
	addRequirement(req, rsp, EnvironmentRequirement, sel)
	rs, ok := req.GetRequiredResources()[EnvironmentRequirement]
	if !ok {
		rs, ok = req.GetExtraResources()[EnvironmentRequirement] //nolint:staticcheck // Crossplane v1 support.
	}
	if !ok {
		return nil, false
	}
	for _, item := range rs.GetItems() {
		return item.GetResource(), true
	}
	return nil, true
}

// addRequirement asks Crossplane for what sel selects, under name, in the
// one field the calling Crossplane reads:
//
//   - requirements.resources when the request advertises
//     CAPABILITY_REQUIRED_RESOURCES (Crossplane v2.2 and later send their
//     capabilities in RequestMeta; function-sdk-go proto/v1
//     run_function.proto, Capability);
//   - requirements.extra_resources otherwise: the field Crossplane has read
//     since v1.15 and every v2 release still reads (crossplane v2.4.0
//     internal/xfn/required_resources.go, "We support both the current
//     (resources) and deprecated (extra_resources) fields").
//
// Never both. Crossplane v1.20 does not know the resources field: it keeps
// it as unknown bytes, in the order Go happened to iterate the map when
// marshalling, and decides whether the requirements stabilised with
// reflect.DeepEqual on the whole message (crossplane v1.20.1
// internal/controller/apiextensions/composite/extra_resources.go,
// FetchingFunctionRunner). The same requirements then compared unequal
// whenever two responses iterated the map differently, and a render or
// reconcile failed at random with "requirements didn't stabilize after
// the maximum number of iterations (5)" (crossplane-contrib/
// function-go-templating#624). v2 compares with proto.Equal.
func addRequirement(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse, name string, sel *fnv1.ResourceSelector) {
	if rsp.GetRequirements() == nil {
		rsp.Requirements = &fnv1.Requirements{}
	}
	r := rsp.GetRequirements()
	if !slices.Contains(req.GetMeta().GetCapabilities(), fnv1.Capability_CAPABILITY_REQUIRED_RESOURCES) {
		if r.ExtraResources == nil { //nolint:staticcheck // Crossplane before v2.2.
			r.ExtraResources = map[string]*fnv1.ResourceSelector{} //nolint:staticcheck // Crossplane before v2.2.
		}
		r.ExtraResources[name] = sel //nolint:staticcheck // Crossplane before v2.2.
		return
	}
	if r.Resources == nil {
		r.Resources = map[string]*fnv1.ResourceSelector{}
	}
	r.Resources[name] = sel
}

// requireAll asks Crossplane for each of reqs under its name in the
// pipeline: the objects the composite would create (compose.Set.Creates)
// or that its composer must see (require). It reports whether Crossplane
// has fetched them all into this request. On the request that finds them
// fetched, the requirements are the same as on the one before, so
// Crossplane's requirement loop has stabilised and takes that response.
func requireAll(set *compose.Set, reqs []compose.Requirement, req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse) bool {
	fetched := true
	for _, r := range reqs {
		addRequirement(req, rsp, r.Name, r.Selector())
		if _, ok := set.Required(r.Name); !ok {
			fetched = false
		}
	}
	return fetched
}

// require asks Crossplane for the objects the composer must see before it
// composes (compose.Required), in every response: Crossplane watches and
// pre-fetches what the last response required. It reports whether
// Crossplane has fetched all of them into this request.
func require(c Composer, xr *compose.Composite, e *env.Environment, set *compose.Set, req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse) (bool, error) {
	m, ok := c.(interface {
		Requirements(*compose.Composite, *env.Environment, *compose.Set) ([]compose.Requirement, error)
	})
	if !ok {
		return true, nil
	}
	reqs, err := m.Requirements(xr, e, set)
	if err != nil {
		return false, err
	}
	return requireAll(set, reqs, req, rsp), nil
}
