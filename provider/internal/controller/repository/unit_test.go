package repository

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gh "github.com/google/go-github/v85/github"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
)

// fakeRepos implements RepositoriesAPI from a table of repositories; every
// write is recorded and refused, so a test sees any write it did not expect.
type fakeRepos struct {
	RepositoriesAPI // nil: an unexpected call panics
	byName          map[string]*gh.Repository
	byID            map[int64]*gh.Repository
	protection      *gh.Protection
	err             error
	writes          []string
}

func notFound() error {
	return &gh.ErrorResponse{Response: &http.Response{StatusCode: http.StatusNotFound, Request: &http.Request{}}, Message: "Not Found"}
}

func (f *fakeRepos) Get(_ context.Context, owner, repo string) (*gh.Repository, *gh.Response, error) {
	if f.err != nil {
		return nil, nil, f.err
	}
	if r, ok := f.byName[owner+"/"+repo]; ok {
		return r, nil, nil
	}
	return nil, nil, notFound()
}

func (f *fakeRepos) GetByID(_ context.Context, id int64) (*gh.Repository, *gh.Response, error) {
	if r, ok := f.byID[id]; ok {
		return r, nil, nil
	}
	return nil, nil, notFound()
}

func (f *fakeRepos) GetBranchProtection(context.Context, string, string, string) (*gh.Protection, *gh.Response, error) {
	if f.protection == nil {
		return nil, nil, gh.ErrBranchNotProtected
	}
	return f.protection, nil, nil
}

func (f *fakeRepos) Edit(_ context.Context, owner, repo string, _ *gh.Repository) (*gh.Repository, *gh.Response, error) {
	f.writes = append(f.writes, "PATCH "+owner+"/"+repo)
	return nil, nil, errors.New("unexpected write")
}

func repository(id int64, owner, name string) *gh.Repository {
	return &gh.Repository{
		ID: gh.Ptr(id), Name: gh.Ptr(name), FullName: gh.Ptr(owner + "/" + name),
		Owner: &gh.User{Login: gh.Ptr(owner), Type: gh.Ptr("Organization")}, Visibility: gh.Ptr("public"),
		DefaultBranch: gh.Ptr("trunk"), Topics: []string{"a"}, Archived: gh.Ptr(false),
	}
}

func mr(extName string, id string, p v1alpha1.RepositoryParameters) *v1alpha1.Repository {
	cr := &v1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Name: "mr"}}
	cr.Spec.ForProvider = p
	cr.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionAll}
	if extName != "" {
		meta.SetExternalName(cr, extName)
	}
	if id != "" {
		meta.AddAnnotations(cr, map[string]string{AnnotationRepositoryID: id})
	}
	return cr
}

func TestObserve(t *testing.T) {
	repo := repository(7, "acme", "svc")
	cases := map[string]struct {
		cr      *v1alpha1.Repository
		repos   *fakeRepos
		want    managed.ExternalObservation
		wantErr string
		wantIs  func(error) bool
	}{
		"MissingIsNotExisting": {
			cr:    mr("svc", "", v1alpha1.RepositoryParameters{Owner: "acme"}),
			repos: &fakeRepos{},
			want:  managed.ExternalObservation{ResourceExists: false},
		},
		// A repository this resource has the id of, gone from GitHub: an
		// error, never "does not exist", which would make the managed
		// reconciler create a new one.
		"GoneIsRefused": {
			cr:      mr("svc", "7", v1alpha1.RepositoryParameters{Owner: "acme"}),
			repos:   &fakeRepos{},
			wantErr: "repository acme/svc (GitHub id 7, annotation github.paved.dev/repository-id) is gone",
			wantIs:  ghclient.IsNotFound,
		},
		// Just created, not shown by GitHub yet: the managed reconciler
		// waits out its creation grace period instead of creating.
		"JustCreatedNotShownYet": {
			cr: func() *v1alpha1.Repository {
				cr := mr("svc", "7", v1alpha1.RepositoryParameters{Owner: "acme"})
				meta.SetExternalCreateSucceeded(cr, time.Now())
				return cr
			}(),
			repos: &fakeRepos{},
			want:  managed.ExternalObservation{ResourceExists: false},
		},
		"GoneWhileDeleting": {
			cr: func() *v1alpha1.Repository {
				cr := mr("svc", "7", v1alpha1.RepositoryParameters{Owner: "acme"})
				cr.SetDeletionTimestamp(&metav1.Time{Time: time.Now()})
				return cr
			}(),
			repos: &fakeRepos{},
			want:  managed.ExternalObservation{ResourceExists: false},
		},
		"SameIDUpToDate": {
			cr: mr("svc", "7", v1alpha1.RepositoryParameters{Owner: "acme", Visibility: "public", DefaultBranch: "trunk",
				Topics: &[]string{"a"}, Archived: ptr(false)}),
			repos: &fakeRepos{byName: map[string]*gh.Repository{"acme/svc": repo}},
			want:  managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true},
		},
		"OtherIDRefused": {
			cr:      mr("svc", "6", v1alpha1.RepositoryParameters{Owner: "acme"}),
			repos:   &fakeRepos{byName: map[string]*gh.Repository{"acme/svc": repo}},
			wantErr: "repository acme/svc has GitHub id 7, but this resource manages the repository with id 6 (annotation github.paved.dev/repository-id), which was deleted",
		},
		"OtherIDRefusedOursRenamed": {
			cr: mr("svc", "6", v1alpha1.RepositoryParameters{Owner: "acme"}),
			repos: &fakeRepos{byName: map[string]*gh.Repository{"acme/svc": repo},
				byID: map[int64]*gh.Repository{6: repository(6, "acme", "svc-old")}},
			wantErr: `which was renamed to "svc-old" on GitHub and another one took its old name`,
		},
		"OtherIDRefusedOursTransferred": {
			cr: mr("svc", "6", v1alpha1.RepositoryParameters{Owner: "acme"}),
			repos: &fakeRepos{byName: map[string]*gh.Repository{"acme/svc": repo},
				byID: map[int64]*gh.Repository{6: repository(6, "elsewhere", "svc")}},
			wantErr: `repository id 6 is now "elsewhere/svc", not owned by "acme": it was transferred`,
		},
		"RenamedFoundByID": {
			cr:    mr("svc-v2", "7", v1alpha1.RepositoryParameters{Owner: "acme"}),
			repos: &fakeRepos{byID: map[int64]*gh.Repository{7: repo}},
			want:  managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: false, ResourceLateInitialized: true, Diff: driftName},
		},
		"GitHubErrorKeepsItsChain": {
			cr: mr("svc", "7", v1alpha1.RepositoryParameters{Owner: "acme"}),
			repos: &fakeRepos{err: &gh.ErrorResponse{
				Response: &http.Response{StatusCode: http.StatusBadGateway, Request: &http.Request{}}, Message: "Bad Gateway",
			}},
			wantErr: errGet,
			wantIs: func(err error) bool {
				var er *gh.ErrorResponse
				return errors.As(err, &er) && er.Response.StatusCode == http.StatusBadGateway
			},
		},
		"BadIDAnnotation": {
			cr:      mr("svc", "seven", v1alpha1.RepositoryParameters{Owner: "acme"}),
			repos:   &fakeRepos{},
			wantErr: `annotation github.paved.dev/repository-id is "seven"`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := &External{Repos: tc.repos}
			got, err := e.Observe(context.Background(), tc.cr)
			if len(tc.repos.writes) != 0 {
				t.Errorf("Observe wrote: %v", tc.repos.writes)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Observe error = %v, want one containing %q", err, tc.wantErr)
				}
				if tc.wantIs != nil && !tc.wantIs(err) {
					t.Errorf("errors.As cannot find GitHub's error in %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Observe (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLateInitialize(t *testing.T) {
	r := repository(7, "acme", "svc")
	r.Description, r.AllowMergeCommit, r.DeleteBranchOnMerge = gh.Ptr("d"), gh.Ptr(false), gh.Ptr(true)
	cases := map[string]struct {
		in          v1alpha1.RepositoryParameters
		created     bool
		want        v1alpha1.RepositoryParameters
		wantChanged bool
	}{
		// A repository this resource created is private unless the spec
		// said otherwise, whatever GitHub answers: a public one is made
		// private, not taken into the spec (fluxcd/go-git-providers#44).
		"CreatedHereKeepsItsCreateVisibility": {
			in:      v1alpha1.RepositoryParameters{Owner: "acme"},
			created: true,
			want: v1alpha1.RepositoryParameters{Owner: "acme", Description: ptr("d"), Visibility: "private", DefaultBranch: "trunk",
				Topics: &[]string{"a"}, Archived: ptr(false), MergeOptions: &v1alpha1.MergeOptions{AllowMergeCommit: ptr(false)},
				DeleteBranchOnMerge: ptr(true)},
			wantChanged: true,
		},
		"FillsUnset": {
			in: v1alpha1.RepositoryParameters{Owner: "acme"},
			want: v1alpha1.RepositoryParameters{Owner: "acme", Description: ptr("d"), Visibility: "public", DefaultBranch: "trunk",
				Topics: &[]string{"a"}, Archived: ptr(false), MergeOptions: &v1alpha1.MergeOptions{AllowMergeCommit: ptr(false)},
				DeleteBranchOnMerge: ptr(true)},
			wantChanged: true,
		},
		"KeepsSet": {
			in: v1alpha1.RepositoryParameters{Owner: "acme", Description: ptr("mine"), Visibility: "private", DefaultBranch: "main",
				Topics: &[]string{}, Archived: ptr(true), MergeOptions: &v1alpha1.MergeOptions{AllowMergeCommit: ptr(true)},
				DeleteBranchOnMerge: ptr(false)},
			want: v1alpha1.RepositoryParameters{Owner: "acme", Description: ptr("mine"), Visibility: "private", DefaultBranch: "main",
				Topics: &[]string{}, Archived: ptr(true), MergeOptions: &v1alpha1.MergeOptions{AllowMergeCommit: ptr(true)},
				DeleteBranchOnMerge: ptr(false)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := tc.in
			changed := lateInitialize(&p, r, tc.created)
			if diff := cmp.Diff(tc.want, p); diff != "" {
				t.Errorf("lateInitialize (-want +got):\n%s", diff)
			}
			if changed != tc.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tc.wantChanged)
			}
		})
	}
}

func TestDiffIgnoresUnsetFields(t *testing.T) {
	r := repository(7, "acme", "svc")
	r.Archived = gh.Ptr(true)
	cases := map[string]struct {
		p    v1alpha1.RepositoryParameters
		want []string
	}{
		"NothingSet":           {p: v1alpha1.RepositoryParameters{Owner: "acme"}},
		"EmptyTopicsManaged":   {p: v1alpha1.RepositoryParameters{Owner: "acme", Archived: ptr(false), Topics: &[]string{}}, want: []string{driftArchived, driftTopics}},
		"ArchivedIsReadOnly":   {p: v1alpha1.RepositoryParameters{Owner: "acme", Archived: ptr(true), Visibility: "private"}},
		"UnarchiveThenCompare": {p: v1alpha1.RepositoryParameters{Owner: "acme", Archived: ptr(false), Visibility: "private"}, want: []string{driftArchived, driftSettings}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// "SVC": GitHub resolves names case-insensitively, so a case
			// difference is no rename.
			if diff := cmp.Diff(tc.want, diff(tc.p, "SVC", r, nil)); diff != "" {
				t.Errorf("diff (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProtectionRequestMergesUnmanagedSettings(t *testing.T) {
	cur := &gh.Protection{
		RequiredStatusChecks: &gh.RequiredStatusChecks{Strict: true, Contexts: &[]string{"ci/external"}},
		RequiredPullRequestReviews: &gh.PullRequestReviewsEnforcement{
			RequiredApprovingReviewCount: 0, RequireLastPushApproval: true,
			BypassPullRequestAllowances: &gh.BypassPullRequestAllowances{Users: []*gh.User{{Login: gh.Ptr("release-bot")}}},
		},
		Restrictions:         &gh.BranchRestrictions{Teams: []*gh.Team{{Slug: gh.Ptr("admins")}}},
		RequireLinearHistory: &gh.RequireLinearHistory{Enabled: true},
		AllowForcePushes:     &gh.AllowForcePushes{Enabled: false},
		LockBranch:           &gh.LockBranch{Enabled: gh.Ptr(true)},
	}
	got := protectionRequest(v1alpha1.BranchProtection{RequiredApprovingReviewCount: ptr(2), EnforceAdmins: true}, cur)
	want := &gh.ProtectionRequest{
		EnforceAdmins:        true,
		RequiredStatusChecks: &gh.RequiredStatusChecks{Strict: true, Checks: &[]*gh.RequiredStatusCheck{{Context: "ci/external", AppID: gh.Ptr(v1alpha1.AnyApp)}}},
		RequiredPullRequestReviews: &gh.PullRequestReviewsEnforcementRequest{
			RequiredApprovingReviewCount: 2, RequireLastPushApproval: gh.Ptr(true),
			BypassPullRequestAllowancesRequest: &gh.BypassPullRequestAllowancesRequest{Users: []string{"release-bot"}, Teams: []string{}, Apps: []string{}},
		},
		Restrictions:         &gh.BranchRestrictionsRequest{Users: []string{}, Teams: []string{"admins"}, Apps: []string{}},
		RequireLinearHistory: gh.Ptr(true),
		AllowForcePushes:     gh.Ptr(false),
		LockBranch:           gh.Ptr(true),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("protectionRequest (-want +got):\n%s", diff)
	}
	// Checks the spec names replace GitHub's.
	got = protectionRequest(v1alpha1.BranchProtection{RequiredStatusChecks: &v1alpha1.RequiredStatusChecks{Contexts: []string{"b", "a"}}}, cur)
	if diff := cmp.Diff(&gh.RequiredStatusChecks{Checks: &[]*gh.RequiredStatusCheck{{Context: "a"}, {Context: "b"}}}, got.RequiredStatusChecks); diff != "" {
		t.Errorf("managed checks (-want +got):\n%s", diff)
	}
}

// Required checks are sent back as checks with the GitHub App each is
// bound to, never as contexts (closing down), which GitHub binds to the
// App that recently set them: the spec's App, else the one GitHub reports,
// else none (GitHub chooses, as for a context).
func TestProtectionRequestKeepsCheckApps(t *testing.T) {
	bound := &gh.RequiredStatusChecks{Strict: true, Contexts: &[]string{"ci/build", "ci/any"}, Checks: &[]*gh.RequiredStatusCheck{
		{Context: "ci/build", AppID: gh.Ptr(int64(42))}, {Context: "ci/any"},
	}}
	app := gh.Ptr[int64]
	cases := map[string]struct {
		spec *v1alpha1.RequiredStatusChecks
		cur  *gh.RequiredStatusChecks
		want *gh.RequiredStatusChecks
	}{
		"UnmanagedSentBackWithTheirApps": {
			cur:  bound,
			want: &gh.RequiredStatusChecks{Strict: true, Checks: &[]*gh.RequiredStatusCheck{{Context: "ci/any", AppID: app(-1)}, {Context: "ci/build", AppID: app(42)}}},
		},
		"ContextsKeepTheirApps": {
			spec: &v1alpha1.RequiredStatusChecks{Strict: true, Contexts: []string{"ci/build", "ci/new"}},
			cur:  bound,
			want: &gh.RequiredStatusChecks{Strict: true, Checks: &[]*gh.RequiredStatusCheck{{Context: "ci/build", AppID: app(42)}, {Context: "ci/new"}}},
		},
		"SpecAppsWin": {
			spec: &v1alpha1.RequiredStatusChecks{Checks: []v1alpha1.StatusCheck{{Context: "ci/build", AppID: app(7)}, {Context: "ci/any", AppID: app(v1alpha1.AnyApp)}, {Context: "ci/x"}}},
			cur:  bound,
			want: &gh.RequiredStatusChecks{Checks: &[]*gh.RequiredStatusCheck{{Context: "ci/any", AppID: app(-1)}, {Context: "ci/build", AppID: app(7)}, {Context: "ci/x"}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := protectionRequest(v1alpha1.BranchProtection{RequiredStatusChecks: tc.spec}, &gh.Protection{RequiredStatusChecks: tc.cur})
			if diff := cmp.Diff(tc.want, got.RequiredStatusChecks); diff != "" {
				t.Errorf("required_status_checks (-want +got):\n%s", diff)
			}
		})
	}
}

// A check bound to another App than the spec's is drift; a context
// accepts any binding, and -1 matches GitHub's null (any App).
func TestProtectionMatchesCheckApps(t *testing.T) {
	cur := func(app *int64) *gh.Protection {
		return &gh.Protection{
			RequiredPullRequestReviews: &gh.PullRequestReviewsEnforcement{RequiredApprovingReviewCount: 1},
			RequiredStatusChecks:       &gh.RequiredStatusChecks{Checks: &[]*gh.RequiredStatusCheck{{Context: "ci", AppID: app}}},
		}
	}
	spec := func(c v1alpha1.RequiredStatusChecks) v1alpha1.BranchProtection {
		return v1alpha1.BranchProtection{RequiredStatusChecks: &c}
	}
	cases := map[string]struct {
		bp   v1alpha1.BranchProtection
		p    *gh.Protection
		want bool
	}{
		"ContextAnyBinding":  {bp: spec(v1alpha1.RequiredStatusChecks{Contexts: []string{"ci"}}), p: cur(gh.Ptr(int64(42))), want: true},
		"SameApp":            {bp: spec(v1alpha1.RequiredStatusChecks{Checks: []v1alpha1.StatusCheck{{Context: "ci", AppID: gh.Ptr(int64(42))}}}), p: cur(gh.Ptr(int64(42))), want: true},
		"OtherApp":           {bp: spec(v1alpha1.RequiredStatusChecks{Checks: []v1alpha1.StatusCheck{{Context: "ci", AppID: gh.Ptr(int64(42))}}}), p: cur(gh.Ptr(int64(7))), want: false},
		"AnyMatchesNull":     {bp: spec(v1alpha1.RequiredStatusChecks{Checks: []v1alpha1.StatusCheck{{Context: "ci", AppID: gh.Ptr(v1alpha1.AnyApp)}}}), p: cur(nil), want: true},
		"AnyIsNotBound":      {bp: spec(v1alpha1.RequiredStatusChecks{Checks: []v1alpha1.StatusCheck{{Context: "ci", AppID: gh.Ptr(v1alpha1.AnyApp)}}}), p: cur(gh.Ptr(int64(7))), want: false},
		"UnsetAppAnyBinding": {bp: spec(v1alpha1.RequiredStatusChecks{Checks: []v1alpha1.StatusCheck{{Context: "ci"}}}), p: cur(gh.Ptr(int64(7))), want: true},
		"MissingCheck":       {bp: spec(v1alpha1.RequiredStatusChecks{Contexts: []string{"ci", "lint"}}), p: cur(nil), want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := protectionMatches(tc.bp, tc.p); got != tc.want {
				t.Errorf("protectionMatches = %v, want %v", got, tc.want)
			}
		})
	}
}
