package cataloglocation

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
	"github.com/paved-dev/paved/provider/internal/clients/backstage"
)

const target = "https://git.example.com/acme/svc/blob/main/catalog-info.yaml"

// fakeCatalog is an in-memory Catalog recording the calls it gets.
type fakeCatalog struct {
	locations []backstage.Location
	entities  []backstage.Entity
	dryRunErr error
	addErr    error
	getErr    error
	exists    bool
	calls     []string
	refreshed []string
	nextID    string
}

func (f *fakeCatalog) AddLocation(_ context.Context, req backstage.AddLocationRequest, dryRun bool) (*backstage.AddLocationResponse, error) {
	if dryRun {
		f.calls = append(f.calls, "dryrun")
		if f.dryRunErr != nil {
			return nil, f.dryRunErr
		}
		return &backstage.AddLocationResponse{Exists: &f.exists, Location: backstage.Location{Type: req.Type, Target: req.Target}}, nil
	}
	f.calls = append(f.calls, "add")
	if f.addErr != nil {
		return nil, f.addErr
	}
	l := backstage.Location{ID: f.nextID, Type: req.Type, Target: req.Target}
	f.locations = append(f.locations, l)
	return &backstage.AddLocationResponse{Location: l}, nil
}

func (f *fakeCatalog) GetLocation(_ context.Context, id string) (*backstage.Location, error) {
	f.calls = append(f.calls, "get")
	if f.getErr != nil {
		return nil, f.getErr
	}
	for _, l := range f.locations {
		if l.ID == id {
			return &l, nil
		}
	}
	return nil, &backstage.Error{StatusCode: http.StatusNotFound, Name: backstage.ErrorNameNotFound}
}

func (f *fakeCatalog) ListLocations(context.Context) ([]backstage.Location, error) {
	f.calls = append(f.calls, "list")
	return f.locations, nil
}

func (f *fakeCatalog) ListEntities(_ context.Context, filters map[string]string) ([]backstage.Entity, error) {
	f.calls = append(f.calls, "entities")
	var out []backstage.Entity
	for _, e := range f.entities {
		match := true
		for k, v := range filters {
			a := strings.TrimPrefix(k, "metadata.annotations.")
			if e.Metadata.Annotations[a] != v {
				match = false
			}
		}
		if match {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeCatalog) Refresh(_ context.Context, ref string) error {
	f.calls = append(f.calls, "refresh")
	f.refreshed = append(f.refreshed, ref)
	return nil
}

func (f *fakeCatalog) DeleteLocation(_ context.Context, id string) error {
	f.calls = append(f.calls, "delete")
	for i, l := range f.locations {
		if l.ID == id {
			f.locations = append(f.locations[:i], f.locations[i+1:]...)
			return nil
		}
	}
	return &backstage.Error{StatusCode: http.StatusNotFound, Name: backstage.ErrorNameNotFound}
}

func newCR(name, id string, p v1alpha1.CatalogLocationParameters) *v1alpha1.CatalogLocation {
	cr := &v1alpha1.CatalogLocation{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name)}}
	cr.Spec.ForProvider = p
	if id != "" {
		meta.SetExternalName(cr, id)
	}
	return cr
}

func entity(kind, name, origin string, errs ...string) backstage.Entity {
	e := backstage.Entity{Kind: kind, Metadata: backstage.EntityMetadata{Name: name, Namespace: "default", Annotations: map[string]string{
		backstage.AnnotationManagedByOriginLocation: origin,
	}}}
	if len(errs) > 0 {
		e.Status = &backstage.EntityStatus{}
		for _, m := range errs {
			e.Status.Items = append(e.Status.Items, backstage.EntityStatusItem{Type: "backstage.io/catalog-processing", Level: "error", Message: m, Error: &backstage.SerializedError{Name: "InputError", Message: m}})
		}
	}
	return e
}

func ptr[T any](v T) *T { return &v }

func TestObserve(t *testing.T) {
	origin := backstage.LocationRef("url", target)
	locEntity := backstage.LocationEntityName("url", target)

	t.Run("NoExternalName", func(t *testing.T) {
		f := &fakeCatalog{}
		o, err := (&External{Catalog: f}).Observe(context.Background(), newCR("a", "", v1alpha1.CatalogLocationParameters{Target: ptr(target)}))
		if err != nil || o.ResourceExists || len(f.calls) != 0 {
			t.Errorf("observation = %+v, %v, calls %v", o, err, f.calls)
		}
	})

	t.Run("Gone", func(t *testing.T) {
		f := &fakeCatalog{}
		o, err := (&External{Catalog: f}).Observe(context.Background(), newCR("a", "id-1", v1alpha1.CatalogLocationParameters{Target: ptr(target)}))
		if err != nil || o.ResourceExists {
			t.Errorf("observation = %+v, %v", o, err)
		}
	})

	t.Run("DeletingOwnLocationExists", func(t *testing.T) {
		f := &fakeCatalog{locations: []backstage.Location{{ID: "id-1", Type: "url", Target: target}}}
		cr := owned("a", "id-1", v1alpha1.CatalogLocationParameters{Target: ptr(target)})
		cr.SetDeletionTimestamp(&metav1.Time{Time: time.Now()})
		o, err := (&External{Catalog: f}).Observe(context.Background(), cr)
		if err != nil || !o.ResourceExists {
			t.Errorf("observation = %+v, %v: the reconciler must call Delete", o, err)
		}
	})

	t.Run("DeletingAdoptedLocationIsReleased", func(t *testing.T) {
		// The reconciler removes its finalizer once Observe reports the
		// resource gone; an adopted location is left in the catalog.
		f := &fakeCatalog{locations: []backstage.Location{{ID: "id-1", Type: "url", Target: target}}}
		cr := newCR("a", "id-1", v1alpha1.CatalogLocationParameters{Target: ptr(target), AdoptExisting: true})
		cr.SetDeletionTimestamp(&metav1.Time{Time: time.Now()})
		o, err := (&External{Catalog: f}).Observe(context.Background(), cr)
		if err != nil || o.ResourceExists || len(f.calls) != 0 || len(f.locations) != 1 {
			t.Errorf("observation = %+v, %v, calls %v, locations %v", o, err, f.calls, f.locations)
		}
	})

	t.Run("Unauthorized", func(t *testing.T) {
		f := &fakeCatalog{getErr: &backstage.Error{StatusCode: http.StatusUnauthorized, Name: backstage.ErrorNameAuthentication, Message: "Illegal token"}}
		_, err := (&External{Catalog: f}).Observe(context.Background(), newCR("a", "id-1", v1alpha1.CatalogLocationParameters{Target: ptr(target)}))
		if err == nil || !strings.HasPrefix(err.Error(), errUnauthorized) || !strings.Contains(err.Error(), "Illegal token") {
			t.Errorf("error = %v", err)
		}
	})

	cases := map[string]struct {
		params    v1alpha1.CatalogLocationParameters
		refreshed string
		loc       backstage.Location
		entities  []backstage.Entity
		upToDate  bool
		ready     corev1.ConditionStatus
		refs      []string
		errs      int
	}{
		"ReadyAndUpToDate": {
			params:   v1alpha1.CatalogLocationParameters{Type: "url", Target: ptr(target)},
			loc:      backstage.Location{ID: "id-1", Type: "url", Target: target},
			entities: []backstage.Entity{entity("Location", locEntity, origin), entity("Component", "b", origin), entity("API", "a", origin), entity("Component", "other", "url:https://elsewhere")},
			upToDate: true, ready: corev1.ConditionTrue, refs: []string{"api:default/a", "component:default/b"},
		},
		"WaitingForEntities": {
			params:   v1alpha1.CatalogLocationParameters{Type: "url", Target: ptr(target)},
			loc:      backstage.Location{ID: "id-1", Type: "url", Target: target},
			entities: []backstage.Entity{entity("Location", locEntity, origin)},
			upToDate: true, ready: corev1.ConditionFalse,
		},
		"ProcessingErrors": {
			params:   v1alpha1.CatalogLocationParameters{Type: "url", Target: ptr(target)},
			loc:      backstage.Location{ID: "id-1", Type: "url", Target: target},
			entities: []backstage.Entity{entity("Location", locEntity, origin, "NotFoundError: Unable to read url"), entity("Component", "b", origin, "bad owner")},
			upToDate: true, ready: corev1.ConditionFalse, refs: []string{"component:default/b"}, errs: 2,
		},
		"TargetDiffers": {
			params:   v1alpha1.CatalogLocationParameters{Type: "url", Target: ptr(target + "x")},
			loc:      backstage.Location{ID: "id-1", Type: "url", Target: target},
			upToDate: false, ready: corev1.ConditionFalse,
		},
		"RepositoryTargetMatches": {
			params:   v1alpha1.CatalogLocationParameters{Type: "url", RepositoryURL: ptr("https://git.example.com/acme/svc/blob/main")},
			loc:      backstage.Location{ID: "id-1", Type: "url", Target: target},
			upToDate: true, ready: corev1.ConditionFalse,
		},
		"RefreshKeyChanged": {
			params:    v1alpha1.CatalogLocationParameters{Type: "url", Target: ptr(target), RefreshKey: ptr("sha-2")},
			refreshed: "sha-1",
			loc:       backstage.Location{ID: "id-1", Type: "url", Target: target},
			upToDate:  false, ready: corev1.ConditionFalse,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &fakeCatalog{locations: []backstage.Location{tc.loc}, entities: tc.entities}
			cr := newCR("a", "id-1", tc.params)
			cr.Status.AtProvider.RefreshedKey = tc.refreshed
			o, err := (&External{Catalog: f}).Observe(context.Background(), cr)
			if err != nil {
				t.Fatal(err)
			}
			if !o.ResourceExists || o.ResourceUpToDate != tc.upToDate {
				t.Errorf("observation = %+v, want exists and upToDate=%v", o, tc.upToDate)
			}
			if got := cr.GetCondition(xpv2.TypeReady).Status; got != tc.ready {
				t.Errorf("Ready = %s, want %s (%s)", got, tc.ready, cr.GetCondition(xpv2.TypeReady).Message)
			}
			at := cr.Status.AtProvider
			if strings.Join(at.EntityRefs, ",") != strings.Join(tc.refs, ",") || len(at.ProcessingErrors) != tc.errs {
				t.Errorf("atProvider = %+v", at)
			}
			if at.ID != "id-1" || at.Target != target || at.RefreshedKey != tc.refreshed {
				t.Errorf("atProvider = %+v", at)
			}
			if len(tc.entities) > 0 && at.LocationEntityRef != "location:default/"+locEntity {
				t.Errorf("locationEntityRef = %q", at.LocationEntityRef)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	params := v1alpha1.CatalogLocationParameters{Type: "url", Target: ptr(target), RefreshKey: ptr("k1")}

	t.Run("Registers", func(t *testing.T) {
		f := &fakeCatalog{nextID: "new-id"}
		cr := newCR("a", "", params)
		if _, err := (&External{Catalog: f}).Create(context.Background(), cr); err != nil {
			t.Fatal(err)
		}
		if strings.Join(f.calls, ",") != "dryrun,add" || meta.GetExternalName(cr) != "new-id" {
			t.Errorf("calls %v, external name %q", f.calls, meta.GetExternalName(cr))
		}
		// Ownership is an annotation: the managed reconciler persists
		// annotations set by Create and discards status.
		if got := cr.GetAnnotations()[AnnotationRegistered]; got != "new-id" || !registered(cr) {
			t.Errorf("%s = %q, want new-id", AnnotationRegistered, got)
		}
		// The new registration is read anyway: its refreshKey needs no
		// refresh, even though status set here is discarded.
		cr.Status = v1alpha1.CatalogLocationStatus{}
		o, err := (&External{Catalog: f}).Observe(context.Background(), cr)
		if err != nil || !o.ResourceUpToDate || cr.Status.AtProvider.RefreshedKey != "k1" {
			t.Errorf("first observation: %+v, %v, refreshedKey %q", o, err, cr.Status.AtProvider.RefreshedKey)
		}
	})

	t.Run("NoTarget", func(t *testing.T) {
		f := &fakeCatalog{}
		_, err := (&External{Catalog: f}).Create(context.Background(), newCR("a", "", v1alpha1.CatalogLocationParameters{RepositoryRef: &xpv2.Reference{Name: "r"}}))
		if err == nil || err.Error() != errNoTarget || len(f.calls) != 0 {
			t.Errorf("error %v, calls %v", err, f.calls)
		}
	})

	t.Run("DryRunRefused", func(t *testing.T) {
		f := &fakeCatalog{dryRunErr: &backstage.Error{StatusCode: 400, Name: backstage.ErrorNameInput, Message: "NotFoundError: Unable to read url", Method: "POST", Path: "/api/catalog/locations"}}
		cr := newCR("a", "", params)
		_, err := (&External{Catalog: f}).Create(context.Background(), cr)
		if err == nil || !strings.HasPrefix(err.Error(), errDryRun) || !strings.Contains(err.Error(), "Unable to read url") {
			t.Errorf("error = %v", err)
		}
		if strings.Join(f.calls, ",") != "dryrun" || meta.GetExternalName(cr) != "" {
			t.Errorf("calls %v, external name %q", f.calls, meta.GetExternalName(cr))
		}
	})

	existing := backstage.Location{ID: "old-id", Type: "url", Target: target}
	conflict := &backstage.Error{StatusCode: http.StatusConflict, Name: backstage.ErrorNameConflict}
	adopting := params
	adopting.AdoptExisting = true
	adoptCases := map[string]struct {
		f       *fakeCatalog
		params  v1alpha1.CatalogLocationParameters
		wantErr string
		wantID  string
		calls   string
	}{
		"ConflictRefusedWithoutOptIn": {
			f:       &fakeCatalog{locations: []backstage.Location{existing}, addErr: conflict},
			params:  params,
			wantErr: fmt.Sprintf(errAdoptRefused, "old-id"), calls: "dryrun,add,list",
		},
		"DryRunExistsRefusedWithoutOptIn": {
			f:       &fakeCatalog{locations: []backstage.Location{existing}, exists: true},
			params:  params,
			wantErr: fmt.Sprintf(errAdoptRefused, "old-id"), calls: "dryrun,list",
		},
		"ConflictAdoptedWithOptIn": {
			f:      &fakeCatalog{locations: []backstage.Location{existing}, addErr: conflict},
			params: adopting,
			wantID: "old-id", calls: "dryrun,add,list",
		},
		"DryRunExistsAdoptedWithOptInWithoutRegistering": {
			f:      &fakeCatalog{locations: []backstage.Location{existing}, exists: true},
			params: adopting,
			wantID: "old-id", calls: "dryrun,list",
		},
		"OtherTypeNeverAdopted": {
			f:       &fakeCatalog{locations: []backstage.Location{{ID: "old-id", Type: "file", Target: target}}, addErr: conflict},
			params:  adopting,
			wantErr: fmt.Sprintf(errAdoptType, "file", "old-id", "url"), calls: "dryrun,add,list",
		},
		"ConflictButNotListed": {
			f:       &fakeCatalog{addErr: conflict},
			params:  adopting,
			wantErr: errConflictGone, calls: "dryrun,add,list",
		},
		"NoIDInAnswer": {
			f:       &fakeCatalog{},
			params:  params,
			wantErr: errNoID, calls: "dryrun,add",
		},
	}
	for name, tc := range adoptCases {
		t.Run(name, func(t *testing.T) {
			cr := newCR("a", "", tc.params)
			_, err := (&External{Catalog: tc.f}).Create(context.Background(), cr)
			if got := strings.Join(tc.f.calls, ","); got != tc.calls {
				t.Errorf("calls %s, want %s", got, tc.calls)
			}
			// Adopting never makes the location ours.
			if _, ok := cr.GetAnnotations()[AnnotationRegistered]; ok {
				t.Errorf("%s set on an adopted or refused location", AnnotationRegistered)
			}
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Errorf("error = %v, want %s", err, tc.wantErr)
				}
				if meta.GetExternalName(cr) != "" {
					t.Errorf("external name %q set", meta.GetExternalName(cr))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if meta.GetExternalName(cr) != tc.wantID {
				t.Errorf("external name %q, want %s", meta.GetExternalName(cr), tc.wantID)
			}
		})
	}
}

// owned returns a CatalogLocation that registered the location id.
func owned(name, id string, p v1alpha1.CatalogLocationParameters) *v1alpha1.CatalogLocation {
	cr := newCR(name, id, p)
	meta.AddAnnotations(cr, map[string]string{AnnotationRegistered: id})
	return cr
}

func TestUpdate(t *testing.T) {
	t.Run("Refresh", func(t *testing.T) {
		f := &fakeCatalog{locations: []backstage.Location{{ID: "id-1", Type: "url", Target: target}}}
		cr := newCR("a", "id-1", v1alpha1.CatalogLocationParameters{Type: "url", Target: ptr(target), RefreshKey: ptr("k2")})
		cr.Status.AtProvider.RefreshedKey = "k1"
		if _, err := (&External{Catalog: f}).Update(context.Background(), cr); err != nil {
			t.Fatal(err)
		}
		want := "location:default/" + backstage.LocationEntityName("url", target)
		if len(f.refreshed) != 1 || f.refreshed[0] != want || cr.Status.AtProvider.RefreshedKey != "k2" || len(f.locations) != 1 {
			t.Errorf("refreshed %v (want %s), status %+v, locations %v", f.refreshed, want, cr.Status.AtProvider, f.locations)
		}
	})
	t.Run("TargetChangedLeavesAdoptedLocation", func(t *testing.T) {
		f := &fakeCatalog{locations: []backstage.Location{{ID: "id-1", Type: "url", Target: target}}}
		cr := newCR("a", "id-1", v1alpha1.CatalogLocationParameters{Type: "url", Target: ptr(target + ".new"), AdoptExisting: true})
		// An annotation naming another id does not make this one ours.
		meta.AddAnnotations(cr, map[string]string{AnnotationRegistered: "id-0"})
		_, err := (&External{Catalog: f}).Update(context.Background(), cr)
		if err == nil || err.Error() != fmt.Sprintf(errReplaceAdopted, "id-1") {
			t.Errorf("error = %v", err)
		}
		if len(f.locations) != 1 || strings.Contains(strings.Join(f.calls, ","), "delete") {
			t.Errorf("locations %v, calls %v", f.locations, f.calls)
		}
	})
}

func TestDelete(t *testing.T) {
	loc := backstage.Location{ID: "id-1", Type: "url", Target: target}
	cases := map[string]struct {
		cr        *v1alpha1.CatalogLocation
		locations []backstage.Location
		calls     string
		left      int
	}{
		"Own":            {cr: owned("a", "id-1", v1alpha1.CatalogLocationParameters{}), locations: []backstage.Location{loc}, calls: "delete", left: 0},
		"OwnAlreadyGone": {cr: owned("a", "id-1", v1alpha1.CatalogLocationParameters{}), calls: "delete", left: 0},
		"Adopted":        {cr: newCR("a", "id-1", v1alpha1.CatalogLocationParameters{AdoptExisting: true}), locations: []backstage.Location{loc}, left: 1},
		"NamedByHand":    {cr: newCR("a", "id-1", v1alpha1.CatalogLocationParameters{}), locations: []backstage.Location{loc}, left: 1},
		"OwnedAnotherID": {cr: func() *v1alpha1.CatalogLocation {
			c := owned("a", "id-0", v1alpha1.CatalogLocationParameters{})
			meta.SetExternalName(c, "id-1")
			return c
		}(), locations: []backstage.Location{loc}, left: 1},
		"NeverRegistered": {cr: newCR("a", "", v1alpha1.CatalogLocationParameters{}), locations: []backstage.Location{loc}, left: 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &fakeCatalog{locations: tc.locations}
			if _, err := (&External{Catalog: f}).Delete(context.Background(), tc.cr); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(f.calls, ","); got != tc.calls || len(f.locations) != tc.left {
				t.Errorf("calls %q (want %q), %d locations left (want %d)", got, tc.calls, len(f.locations), tc.left)
			}
		})
	}
}

// A new target (a new path, or a renamed repository) is registered before
// the stale location is removed, and the stale one only once the catalog
// has read the new one: the catalog always has a location for the
// entities. The steps are the managed reconciler's.
func TestReplaceRegistersFirst(t *testing.T) {
	newTarget := target + ".new"
	f := &fakeCatalog{nextID: "id-2", locations: []backstage.Location{{ID: "id-1", Type: "url", Target: target}}, entities: []backstage.Entity{
		entity("Location", backstage.LocationEntityName("url", target), backstage.LocationRef("url", target)),
		entity("Component", "svc", backstage.LocationRef("url", target)),
	}}
	e := &External{Catalog: f}
	ctx := context.Background()
	cr := owned("a", "id-1", v1alpha1.CatalogLocationParameters{Type: "url", Target: ptr(newTarget)})

	// Ours, with the old target: reported absent, so that Create runs;
	// nothing is removed, and it is still Ready with the old entities.
	o, err := e.Observe(ctx, cr)
	if err != nil || o.ResourceExists || cr.GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue {
		t.Fatalf("observe the stale location: %+v %v; %+v", o, err, cr.Status.Conditions)
	}
	if _, err := e.Create(ctx, cr); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.calls, ","); strings.Contains(got, "delete") || meta.GetExternalName(cr) != "id-2" ||
		cr.GetAnnotations()[AnnotationReplaced] != "id-1" || cr.GetAnnotations()[AnnotationRegistered] != "id-2" || len(f.locations) != 2 {
		t.Fatalf("create: calls %s, external name %q, annotations %v, locations %v", got, meta.GetExternalName(cr), cr.GetAnnotations(), f.locations)
	}

	// The catalog has not read the new location yet: the stale one stays.
	o, err = e.Observe(ctx, cr)
	if err != nil || !o.ResourceExists || !o.ResourceUpToDate {
		t.Fatalf("observe before the catalog read the new location: %+v %v", o, err)
	}
	// It has: the stale location is removed, and the new one refreshed so
	// that it emits the entities at once.
	f.entities = append(f.entities, entity("Location", backstage.LocationEntityName("url", newTarget), backstage.LocationRef("url", newTarget)))
	o, err = e.Observe(ctx, cr)
	if err != nil || !o.ResourceExists || o.ResourceUpToDate {
		t.Fatalf("observe once the catalog read the new location: %+v %v", o, err)
	}
	f.calls = nil
	if _, err := e.Update(ctx, cr); err != nil {
		t.Fatal(err)
	}
	wantRef := "location:default/" + backstage.LocationEntityName("url", newTarget)
	if len(f.locations) != 1 || f.locations[0].ID != "id-2" || len(f.refreshed) != 1 || f.refreshed[0] != wantRef {
		t.Errorf("update: locations %v, refreshed %v (want %s)", f.locations, f.refreshed, wantRef)
	}
	o, err = e.Observe(ctx, cr)
	if err != nil || !o.ResourceExists || !o.ResourceUpToDate {
		t.Errorf("observe after the replacement: %+v %v", o, err)
	}
}

// A stale location of ours not removed yet is removed by Delete, also when
// the current one was adopted.
func TestDeleteRemovesStaleLocations(t *testing.T) {
	f := &fakeCatalog{locations: []backstage.Location{{ID: "id-1", Type: "url", Target: target}, {ID: "id-2", Type: "url", Target: target + ".new"}}}
	cr := newCR("a", "id-2", v1alpha1.CatalogLocationParameters{Type: "url", Target: ptr(target + ".new"), AdoptExisting: true})
	meta.AddAnnotations(cr, map[string]string{AnnotationRegistered: "id-1", AnnotationReplaced: "id-1"})
	now := metav1.Now()
	cr.SetDeletionTimestamp(&now)
	e := &External{Catalog: f}
	if o, err := e.Observe(context.Background(), cr); err != nil || !o.ResourceExists {
		t.Fatalf("observe: %+v %v, want the stale location reported", o, err)
	}
	if _, err := e.Delete(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	if len(f.locations) != 1 || f.locations[0].ID != "id-2" {
		t.Errorf("locations %v, want only the adopted id-2", f.locations)
	}
	if o, err := e.Observe(context.Background(), cr); err != nil || o.ResourceExists {
		t.Errorf("observe after delete: %+v %v", o, err)
	}
}
