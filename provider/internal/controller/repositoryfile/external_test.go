package repositoryfile

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gh "github.com/google/go-github/v85/github"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

const (
	wantContent  = "kind: Component\n"
	otherContent = "somebody else's file\n"
)

func fileCR(mods ...func(*v1alpha1.RepositoryFile)) *v1alpha1.RepositoryFile {
	cr := &v1alpha1.RepositoryFile{
		ObjectMeta: metav1.ObjectMeta{Name: "catalog"},
		Spec: v1alpha1.RepositoryFileSpec{
			ClusterManagedResourceSpec: xpv2.ClusterManagedResourceSpec{ManagementPolicies: xpv2.ManagementPolicies{xpv2.ManagementActionAll}},
			ForProvider: v1alpha1.RepositoryFileParameters{
				Repository: ptr("acme/svc"), Path: "catalog-info.yaml", Content: wantContent,
			},
		},
	}
	for _, m := range mods {
		m(cr)
	}
	return cr
}

func owned(how string) func(*v1alpha1.RepositoryFile) {
	return func(cr *v1alpha1.RepositoryFile) { meta.AddAnnotations(cr, map[string]string{AnnotationOwner: how}) }
}

func ownedAt(how, where string) func(*v1alpha1.RepositoryFile) {
	return func(cr *v1alpha1.RepositoryFile) {
		meta.AddAnnotations(cr, map[string]string{AnnotationOwner: how, AnnotationOwnedFile: where})
	}
}

// A steady-state Observe of an owned file reads only the file.
func TestSteadyStateReadsOnlyTheFile(t *testing.T) {
	f := newFake(map[string]string{"main:catalog-info.yaml": wantContent})
	obs, err := (&external{gh: f}).Observe(context.Background(), fileCR(ownedAt(ownerCreated, "42:")))
	if err != nil || !obs.ResourceUpToDate || f.repoReads != 0 {
		t.Errorf("Observe = %+v, %v; %d repository reads, want 0", obs, err, f.repoReads)
	}
}

func deleting(cr *v1alpha1.RepositoryFile) {
	now := metav1.Now()
	cr.SetDeletionTimestamp(&now)
}

// Observe decides ownership and freshness without writing, and carries the
// blob it saw to the write.
func TestObserve(t *testing.T) {
	type want struct {
		obs       managed.ExternalObservation
		errHas    []string
		seenSHA   string
		recovered bool
	}
	cases := map[string]struct {
		files map[string]string
		cr    *v1alpha1.RepositoryFile
		want  want
	}{
		"Absent": {
			cr:   fileCR(),
			want: want{obs: managed.ExternalObservation{ResourceExists: false}},
		},
		"ExistingFileNotOursIsRefusedNamingPathBranchAndBlob": {
			files: map[string]string{"main:catalog-info.yaml": otherContent},
			cr:    fileCR(),
			want:  want{errHas: []string{"catalog-info.yaml", "branch main", blobSHA(otherContent), "overwriteOnCreate"}},
		},
		"ExistingFileOnNamedBranch": {
			files: map[string]string{"dev:catalog-info.yaml": otherContent},
			cr:    fileCR(func(cr *v1alpha1.RepositoryFile) { cr.Spec.ForProvider.Branch = ptr("dev") }),
			want:  want{errHas: []string{"branch dev", blobSHA(otherContent)}},
		},
		"ExistingFileWithOverwriteOnCreateIsCreatedOverItsBlob": {
			files: map[string]string{"main:catalog-info.yaml": otherContent},
			cr:    fileCR(func(cr *v1alpha1.RepositoryFile) { cr.Spec.ForProvider.OverwriteOnCreate = true }),
			want:  want{obs: managed.ExternalObservation{ResourceExists: false}, seenSHA: blobSHA(otherContent)},
		},
		"OwnedAndCurrent": {
			files: map[string]string{"main:catalog-info.yaml": wantContent},
			cr:    fileCR(owned(ownerCreated)),
			want:  want{obs: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, seenSHA: blobSHA(wantContent)},
		},
		"OwnedAndEdited": {
			files: map[string]string{"main:catalog-info.yaml": otherContent},
			cr:    fileCR(owned(ownerOverwritten)),
			want:  want{obs: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false}, seenSHA: blobSHA(otherContent)},
		},
		"CreatedBeforeOwnershipWasRecorded": {
			files: map[string]string{"main:catalog-info.yaml": otherContent},
			cr:    fileCR(func(cr *v1alpha1.RepositoryFile) { meta.SetExternalCreateSucceeded(cr, time.Now()) }),
			want:  want{obs: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false}, seenSHA: blobSHA(otherContent)},
		},
		"DeletingAFileNotOursFinishesWithoutTouchingIt": {
			files: map[string]string{"main:catalog-info.yaml": otherContent},
			cr:    fileCR(deleting),
			want:  want{obs: managed.ExternalObservation{ResourceExists: false}, seenSHA: blobSHA(otherContent)},
		},
		"DeletingAnOwnedFile": {
			files: map[string]string{"main:catalog-info.yaml": wantContent},
			cr:    fileCR(owned(ownerCreated), deleting),
			want:  want{obs: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false}, seenSHA: blobSHA(wantContent)},
		},
		"LostCreateAnswerIsRecognisedByContent": {
			files: map[string]string{"main:catalog-info.yaml": wantContent},
			cr: fileCR(func(cr *v1alpha1.RepositoryFile) {
				meta.SetExternalCreatePending(cr, time.Now())
				meta.SetExternalCreateFailed(cr, time.Now())
			}),
			want: want{obs: managed.ExternalObservation{ResourceExists: false}, seenSHA: blobSHA(wantContent), recovered: true},
		},
		"LostCreateAnswerButOtherContentIsRefused": {
			files: map[string]string{"main:catalog-info.yaml": otherContent},
			cr:    fileCR(func(cr *v1alpha1.RepositoryFile) { meta.SetExternalCreatePending(cr, time.Now()) }),
			want:  want{errHas: []string{"did not create it"}},
		},
		"OwnedOnAnotherBranchOwnsNothingHere": {
			files: map[string]string{"dev:catalog-info.yaml": otherContent},
			cr:    fileCR(ownedAt(ownerCreated, "42:"), func(cr *v1alpha1.RepositoryFile) { cr.Spec.ForProvider.Branch = ptr("dev") }),
			want:  want{errHas: []string{"branch dev", "did not create it"}},
		},
		"OwnedInAnotherRepositoryOwnsNothingHere": {
			files: map[string]string{"main:catalog-info.yaml": otherContent},
			cr:    fileCR(ownedAt(ownerCreated, "7:")),
			want:  want{errHas: []string{"branch main", "did not create it"}},
		},
		"OwnedHereAndEdited": {
			files: map[string]string{"main:catalog-info.yaml": otherContent},
			cr:    fileCR(ownedAt(ownerCreated, "42:")),
			want:  want{obs: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false}, seenSHA: blobSHA(otherContent)},
		},
		"OwnedOnAnotherBranchAbsentHereIsCreated": {
			cr:   fileCR(ownedAt(ownerCreated, "42:"), func(cr *v1alpha1.RepositoryFile) { cr.Spec.ForProvider.Branch = ptr("dev") }),
			want: want{obs: managed.ExternalObservation{ResourceExists: false}},
		},
		"ObserveOnlyReadsAnyFile": {
			files: map[string]string{"main:catalog-info.yaml": otherContent},
			cr: fileCR(func(cr *v1alpha1.RepositoryFile) {
				cr.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionObserve}
			}),
			want: want{obs: managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false}, seenSHA: blobSHA(otherContent)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFake(tc.files)
			e := &external{gh: f}
			got, err := e.Observe(context.Background(), tc.cr)
			if len(tc.want.errHas) > 0 {
				if err == nil {
					t.Fatalf("Observe: no error, want one containing %q", tc.want.errHas)
				}
				for _, s := range tc.want.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("Observe error %q does not name %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Observe: %v", err)
			}
			if diff := cmp.Diff(tc.want.obs, got); diff != "" {
				t.Errorf("Observe: -want +got:\n%s", diff)
			}
			var sha string
			if e.seen.file != nil {
				sha = e.seen.file.sha
			}
			if sha != tc.want.seenSHA || e.seen.recovered != tc.want.recovered {
				t.Errorf("seen = %q recovered=%v, want %q recovered=%v", sha, e.seen.recovered, tc.want.seenSHA, tc.want.recovered)
			}
			if len(f.writes) != 0 {
				t.Errorf("Observe wrote to GitHub: %+v", f.writes)
			}
		})
	}
}

// The write over an existing file carries the blob SHA Observe saw (the
// bug was `"sha": ""`, which GitHub answers 422), and Create records
// ownership and the commit in annotations, which the managed reconciler
// persists.
func TestCreateOverwritesWithTheObservedBlob(t *testing.T) {
	f := newFake(map[string]string{"main:catalog-info.yaml": otherContent})
	cr := fileCR(func(cr *v1alpha1.RepositoryFile) { cr.Spec.ForProvider.OverwriteOnCreate = true })
	e := &external{gh: f}
	if _, err := e.Observe(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Create(context.Background(), cr); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if len(f.writes) != 1 || f.writes[0].sha == nil || *f.writes[0].sha != blobSHA(otherContent) {
		t.Fatalf("writes = %+v, want one PUT with sha %s", f.writes, blobSHA(otherContent))
	}
	want := map[string]string{
		AnnotationOwner:     ownerOverwritten,
		AnnotationOwnedFile: "42:",
		AnnotationCommit:    "c-" + blobSHA(wantContent),
		AnnotationBlob:      blobSHA(wantContent),
	}
	if diff := cmp.Diff(want, cr.GetAnnotations()); diff != "" {
		t.Errorf("annotations: -want +got:\n%s", diff)
	}
}

// Create without overwriteOnCreate never writes over a file, even when
// called without Observe.
func TestCreateNeverOverwritesUnasked(t *testing.T) {
	f := newFake(map[string]string{"main:catalog-info.yaml": otherContent})
	e := &external{gh: f}
	_, err := e.Create(context.Background(), fileCR())
	if err == nil || !strings.Contains(err.Error(), blobSHA(otherContent)) {
		t.Errorf("Create: err = %v, want a refusal naming the blob", err)
	}
	if len(f.writes) != 0 {
		t.Errorf("writes = %+v", f.writes)
	}
}

// A create whose answer was lost is recorded as ours without a second
// write.
func TestCreateRecordsARecoveredCreate(t *testing.T) {
	f := newFake(map[string]string{"main:catalog-info.yaml": wantContent})
	cr := fileCR(func(cr *v1alpha1.RepositoryFile) { meta.SetExternalCreatePending(cr, time.Now()) })
	e := &external{gh: f}
	if _, err := e.Observe(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Create(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	if len(f.writes) != 0 || cr.GetAnnotations()[AnnotationOwner] != ownerCreated {
		t.Errorf("writes = %+v, annotations = %v", f.writes, cr.GetAnnotations())
	}
}

// Update and Delete write over the blob Observe saw.
func TestUpdateAndDeleteUseTheObservedBlob(t *testing.T) {
	f := newFake(map[string]string{"main:catalog-info.yaml": otherContent})
	cr := fileCR(owned(ownerCreated))
	e := &external{gh: f}
	if _, err := e.Observe(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Update(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	if got := f.files["main:catalog-info.yaml"]; got != wantContent {
		t.Errorf("content = %q", got)
	}
	if cr.Status.AtProvider.CommitSHA != "c-"+blobSHA(wantContent) {
		t.Errorf("commitSHA = %q", cr.Status.AtProvider.CommitSHA)
	}
	deleting(cr)
	e = &external{gh: f}
	if _, err := e.Observe(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Delete(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.files["main:catalog-info.yaml"]; ok {
		t.Error("file not deleted")
	}
	for _, w := range f.writes {
		if w.sha == nil || *w.sha == "" {
			t.Errorf("%s without the blob SHA", w.method)
		}
	}
}

// Observe fills commitSHA from what Create recorded, as long as the file
// still holds the blob Create committed.
func TestCommitSHAFromCreateAnnotation(t *testing.T) {
	f := newFake(map[string]string{"main:catalog-info.yaml": wantContent})
	cr := fileCR(owned(ownerCreated), func(cr *v1alpha1.RepositoryFile) {
		meta.AddAnnotations(cr, map[string]string{AnnotationCommit: "abc", AnnotationBlob: blobSHA(wantContent)})
	})
	if _, err := (&external{gh: f}).Observe(context.Background(), cr); err != nil {
		t.Fatal(err)
	}
	if got := cr.Status.AtProvider.CommitSHA; got != "abc" {
		t.Errorf("commitSHA = %q, want abc", got)
	}
}

// Errors keep their chain: callers reach GitHub's answer with errors.As.
func TestErrorsKeepTheirChain(t *testing.T) {
	e := &external{gh: failing{newFake(nil)}}
	_, err := e.Observe(context.Background(), fileCR())
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != http.StatusBadGateway || !strings.Contains(err.Error(), errGet) {
		t.Errorf("Observe error %v does not wrap GitHub's 502", err)
	}
}

type failing struct{ *fakeGitHub }

func (failing) GetFile(context.Context, string, string, string, string) (*gh.RepositoryContent, error) {
	return nil, ghErr(http.StatusBadGateway, "Bad Gateway")
}

// Only GitHub's protected-branch refusal leads to a pull request; a stale
// blob (also 409) or any other error does not.
func TestIsProtected(t *testing.T) {
	doc := func(status int, msg, url string) error {
		return &gh.ErrorResponse{Response: &http.Response{StatusCode: status, Request: &http.Request{Method: http.MethodPut}}, Message: msg, DocumentationURL: url}
	}
	cases := map[string]struct {
		err  error
		want bool
	}{
		"ReviewsRequired": {doc(409, "Could not update file: At least 1 approving review is required by reviewers with write access. Changes must be made through a pull request.", ""), true},
		"StatusChecks":    {doc(409, "Could not update file: 2 of 2 required status checks are expected.", "https://docs.github.com/articles/about-protected-branches"), true},
		"StaleBlob":       {doc(409, "catalog-info.yaml does not match 0123", "https://docs.github.com/rest/repos/contents"), false},
		"Unprocessable":   {doc(422, "Changes must be made through a pull request.", ""), false},
		"Nil":             {nil, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := isProtected(tc.err); got != tc.want {
				t.Errorf("isProtected = %v, want %v", got, tc.want)
			}
		})
	}
}
