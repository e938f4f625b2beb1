package compose

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// ReasonEnvironmentChanged is the reason of the Warning event and of the
// composer's condition when the environment asks for a placement that the
// existing resources cannot follow.
const ReasonEnvironmentChanged = "EnvironmentChanged"

// A Pin says where the resources of an existing composite record one
// placement setting (region, VPC, subnets, KMS key, connection-secret
// namespace): in the observed object of one composed resource, at the
// first of Paths that is set. A numeric path segment indexes a list. Of
// several pins of one setting, the first that finds it wins.
type Pin struct {
	Setting  string
	Resource string
	Paths    [][]string
}

// A Drift is a placement setting the environment changed and the existing
// resources keep.
type Drift struct {
	Setting  string
	Resource string
	Pinned   []string
	Wanted   []string
	// Source is where the new value comes from, e.g. `EnvironmentConfig
	// "paved-environment" data.paved.region`.
	Source string
}

func (d Drift) String() string {
	return fmt.Sprintf("%s stays %s as the existing %s has it; %s asks for %s",
		d.Setting, quote(d.Pinned), d.Resource, d.Source, quote(d.Wanted))
}

func quote(v []string) string {
	if len(v) == 0 {
		return "(none)"
	}
	return strconv.Quote(strings.Join(v, ","))
}

// DescribeDrifts says which environment changes are not applied and why.
func DescribeDrifts(ds []Drift) string {
	msgs := make([]string, len(ds))
	for i, d := range ds {
		msgs[i] = d.String()
	}
	return "environment changes not applied, existing resources cannot move: " + strings.Join(msgs, "; ")
}

// Pin keeps the placement of what exists. For every pin whose composed
// resource has been observed with the setting, the returned environment
// holds the observed value instead of the environment's: a database or
// bucket never moves to another region, VPC, subnets, KMS key or secret
// namespace because the platform's environment changed. A composite with
// no observed resources (a new claim) gets the environment as it is.
//
// A setting the environment states differently is a Drift: it is recorded
// for the composer's condition and returned for a Warning event. An
// environment that leaves a setting empty (a KMS key: the AWS managed key)
// states nothing, so what exists, e.g. the key ARN provider-aws
// late-initialised, is kept without a Drift.
//
// For a namespaced composite, the provider config of its managed resources
// is a placement setting too (NamespacedPlacement), and the set composes
// them with the returned environment's.
func (s *Set) Pin(e *env.Environment, pins []Pin) (*env.Environment, []Drift) {
	if s.xr.Namespaced() {
		// With nothing observed (a new composite) no pin applies: the
		// namespaced pins are not made.
		if len(s.observed) > 0 {
			pins = NamespacedPlacement(pins)
		}
		defer func() {
			s.useProviderConfig(e.AWSProviderConfigRef)
			s.pavedConfigKind = e.ServiceBundle.ProviderConfigKind
		}()
	}
	var done []string
	copied := false
	for _, p := range pins {
		obs := s.Observed(p.Resource)
		if obs == nil || slices.Contains(done, p.Setting) {
			continue
		}
		var got []string
		for _, path := range p.Paths {
			if s.xr.Namespaced() {
				path = NamespacedPath(obs, path)
			}
			if got = lookup(obs, path); len(got) > 0 {
				break
			}
		}
		if len(got) == 0 {
			continue
		}
		done = append(done, p.Setting)
		want := e.Placement(p.Setting)
		if len(want) > 0 && !sameSet(got, want) {
			s.drifts = append(s.drifts, Drift{
				Setting: p.Setting, Resource: p.Resource,
				Pinned: got, Wanted: want, Source: e.Source(p.Setting),
			})
		}
		if !copied {
			e, copied = e.Copy(), true
		}
		e.Pin(p.Setting, got, "the existing "+p.Resource)
	}
	// A resource observed without a key (encrypted with the AWS managed key)
	// does not pin the key, but a key of the environment's new region
	// cannot encrypt in the pinned one: keep the managed key. A key that
	// exists is kept as it is, wherever it is.
	if !slices.Contains(done, env.KMSKeyID) && !e.KMSKeyInRegion() {
		s.drifts = append(s.drifts, Drift{
			Setting: env.KMSKeyID, Resource: "resources (region " + e.Region + ")",
			Wanted: e.Placement(env.KMSKeyID), Source: e.Source(env.KMSKeyID),
		})
		if !copied {
			e = e.Copy()
		}
		e.Pin(env.KMSKeyID, nil, "the existing resources' region")
	}
	return e, s.drifts
}

// KeepPlacement is Pin for a placement that a composer derives itself
// rather than reads from the environment as it is: it returns the value
// the observed composed resource called name has at path, when it has one,
// and else wanted, what the environment's setting makes of it. A kept
// value other than wanted is a Drift of setting (its JSON name), reported
// as Pin's are (Drifts, ConditionWithDrifts, a Warning event).
func (s *Set) KeepPlacement(e *env.Environment, setting, name, wanted string, path ...string) string {
	got, _ := pb.String(s.Observed(name), path...)
	if got == "" {
		return wanted
	}
	if got != wanted {
		s.drifts = append(s.drifts, Drift{
			Setting: setting, Resource: name,
			Pinned: []string{got}, Wanted: []string{wanted}, Source: e.Source(setting),
		})
	}
	return got
}

// listIndex is the list index seg names: its decimal digits, as
// strconv.Atoi reads them, without the error Atoi makes of every field
// name (a path is mostly field names).
func listIndex(seg string) (int, bool) {
	if seg == "" || len(seg) > 9 {
		// 9 digits fit any int; no list holds more entries.
		return 0, false
	}
	i := 0
	for _, c := range []byte(seg) {
		if c < '0' || c > '9' {
			return 0, false
		}
		i = i*10 + int(c-'0')
	}
	return i, true
}

// lookup returns the string, or the strings of the list, at path.
func lookup(obj *structpb.Struct, path []string) []string {
	if len(path) == 0 {
		return nil
	}
	v := obj.GetFields()[path[0]]
	for _, seg := range path[1:] {
		if i, ok := listIndex(seg); ok {
			l := v.GetListValue().GetValues()
			if i < 0 || i >= len(l) {
				return nil
			}
			v = l[i]
			continue
		}
		v = v.GetStructValue().GetFields()[seg]
		if v == nil {
			return nil
		}
	}
	if s, ok := v.GetKind().(*structpb.Value_StringValue); ok {
		if s.StringValue == "" {
			return nil
		}
		return []string{s.StringValue}
	}
	var out []string
	for _, x := range v.GetListValue().GetValues() {
		if sv, ok := x.GetKind().(*structpb.Value_StringValue); ok && sv.StringValue != "" {
			out = append(out, sv.StringValue)
		}
	}
	return out
}

// sameSet compares lists as sets: provider-aws keeps subnet ids in the
// order AWS returns them.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
