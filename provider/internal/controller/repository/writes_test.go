package repository

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	gh "github.com/google/go-github/v85/github"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// recordingRepos accepts writes and records them as "METHOD path body".
// Creates are answered as GitHub answers a request whose visibility it
// ignored: with a public repository.
type recordingRepos struct {
	fakeRepos
	// users are the owners that are not organisations: POST
	// /orgs/{owner}/repos answers 404 for them.
	users []string
	calls []string
}

func body(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (f *recordingRepos) Create(_ context.Context, org string, r *gh.Repository) (*gh.Repository, *gh.Response, error) {
	if slices.Contains(f.users, org) {
		return nil, nil, notFound()
	}
	f.calls = append(f.calls, "POST "+org+" "+body(r))
	return &gh.Repository{ID: gh.Ptr(int64(42)), Name: r.Name, Visibility: gh.Ptr("public"), Private: gh.Ptr(false)}, nil, nil
}

func (f *recordingRepos) CreateFromTemplate(_ context.Context, owner, repo string, r *gh.TemplateRepoRequest) (*gh.Repository, *gh.Response, error) {
	f.calls = append(f.calls, "GENERATE "+owner+"/"+repo+" "+body(r))
	return &gh.Repository{ID: gh.Ptr(int64(42)), Name: r.Name, Visibility: gh.Ptr("public"), Private: gh.Ptr(false)}, nil, nil
}

func (f *recordingRepos) Edit(_ context.Context, owner, repo string, r *gh.Repository) (*gh.Repository, *gh.Response, error) {
	f.calls = append(f.calls, "PATCH "+owner+"/"+repo+" "+body(r))
	out := *f.byName[owner+"/"+repo]
	if r.Name != nil {
		out.Name = r.Name
	}
	if r.Archived != nil {
		out.Archived = r.Archived
	}
	f.byName[owner+"/"+out.GetName()] = &out
	return &out, nil, nil
}

func (f *recordingRepos) Delete(_ context.Context, owner, repo string) (*gh.Response, error) {
	f.calls = append(f.calls, "DELETE "+owner+"/"+repo)
	return nil, nil
}

type fakeUsers struct{ user *gh.User }

func (f fakeUsers) Get(context.Context, string) (*gh.User, *gh.Response, error) {
	return f.user, nil, nil
}

// TestCreate checks what each create endpoint is sent, against the fields
// GitHub's OpenAPI description gives it: POST /orgs/{org}/repos `private`
// and `visibility`, POST /user/repos and POST .../generate `private` only
// (a `visibility` there is ignored and the repository is public,
// fluxcd/go-git-providers#44), and that the spec records the visibility
// asked for, never the one in GitHub's answer.
func TestCreate(t *testing.T) {
	org := &gh.User{Login: gh.Ptr("acme"), Type: gh.Ptr("Organization")}
	user := &gh.User{Login: gh.Ptr("octo"), Type: gh.Ptr("User")}
	tmpl := &v1alpha1.RepositoryTemplate{Owner: "acme", Repository: "tmpl"}
	cases := map[string]struct {
		p              v1alpha1.RepositoryParameters
		id             string // recorded repository id
		owner          *gh.User
		wantCalls      []string
		wantVisibility string
		wantErr        string
	}{
		"OrganisationPrivateUnlessSet": {
			p:              v1alpha1.RepositoryParameters{Owner: "acme"},
			owner:          org,
			wantCalls:      []string{`POST acme {"name":"svc","private":true,"visibility":"private"}`},
			wantVisibility: "private",
		},
		"OrganisationPublicWhenAsked": {
			p:              v1alpha1.RepositoryParameters{Owner: "acme", Visibility: "public"},
			owner:          org,
			wantCalls:      []string{`POST acme {"name":"svc","private":false,"visibility":"public"}`},
			wantVisibility: "public",
		},
		"UserPrivateUnlessSet": {
			p:              v1alpha1.RepositoryParameters{Owner: "octo"},
			owner:          user,
			wantCalls:      []string{`POST  {"name":"svc","private":true}`},
			wantVisibility: "private",
		},
		"UserPrivate": {
			p:              v1alpha1.RepositoryParameters{Owner: "octo", Visibility: "private"},
			owner:          user,
			wantCalls:      []string{`POST  {"name":"svc","private":true}`},
			wantVisibility: "private",
		},
		"TemplateForAnOrganisation": {
			p:              v1alpha1.RepositoryParameters{Owner: "acme", Template: tmpl},
			owner:          org,
			wantCalls:      []string{`GENERATE acme/tmpl {"name":"svc","owner":"acme","include_all_branches":false,"private":true}`},
			wantVisibility: "", // late-initialised once observed
		},
		"TemplateForAUser": {
			p:              v1alpha1.RepositoryParameters{Owner: "octo", Template: tmpl},
			owner:          user,
			wantCalls:      []string{`GENERATE acme/tmpl {"name":"svc","owner":"octo","include_all_branches":false,"private":true}`},
			wantVisibility: "", // late-initialised once observed
		},
		"InternalForAnOrganisation": {
			p:              v1alpha1.RepositoryParameters{Owner: "acme", Visibility: "internal"},
			owner:          org,
			wantCalls:      []string{`POST acme {"name":"svc","private":true,"visibility":"internal"}`},
			wantVisibility: "internal",
		},
		// A resource that has a repository's id created or adopted it
		// before: never a second repository, whatever path leads here.
		"RecordedIDRefusedBeforeAnyWrite": {
			p:       v1alpha1.RepositoryParameters{Owner: "acme", Template: tmpl},
			id:      "7",
			owner:   org,
			wantErr: "repository acme/svc (GitHub id 7, annotation github.paved.dev/repository-id) is gone",
		},
		"InternalForAUserRefusedBeforeAnyWrite": {
			p:       v1alpha1.RepositoryParameters{Owner: "octo", Visibility: "internal"},
			owner:   user,
			wantErr: `spec.forProvider.visibility: "internal" is not possible for "octo", a user account`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			repos := &recordingRepos{users: []string{"octo"}}
			e := &External{Repos: repos, Users: fakeUsers{user: tc.owner}}
			cr := mr("", tc.id, tc.p)
			cr.Name = "svc"
			_, err := e.Create(context.Background(), cr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Create error = %v, want %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantCalls, repos.calls); diff != "" {
				t.Errorf("GitHub calls (-want +got):\n%s", diff)
			}
			if tc.wantErr != "" {
				return
			}
			if meta.GetExternalName(cr) != "svc" || cr.GetAnnotations()[AnnotationRepositoryID] != "42" {
				t.Errorf("annotations after Create: %v", cr.GetAnnotations())
			}
			if got := cr.Spec.ForProvider.Visibility; got != tc.wantVisibility {
				t.Errorf("spec.forProvider.visibility after Create = %q, want %q (GitHub answered public)", got, tc.wantVisibility)
			}
		})
	}
}

func TestUpdateAndDelete(t *testing.T) {
	repo := func() *gh.Repository { r := repository(7, "acme", "svc"); r.Visibility = gh.Ptr("private"); return r }
	cases := map[string]struct {
		ext       string
		p         v1alpha1.RepositoryParameters
		delete    bool
		wantCalls []string
	}{
		"RenameByID": {
			ext:       "svc-v2",
			p:         v1alpha1.RepositoryParameters{Owner: "acme"},
			wantCalls: []string{`PATCH acme/svc {"name":"svc-v2"}`},
		},
		"ArchiveLast": {
			ext: "svc",
			p:   v1alpha1.RepositoryParameters{Owner: "acme", Description: ptr("retired"), Archived: ptr(true)},
			wantCalls: []string{
				`PATCH acme/svc {"description":"retired"}`,
				`PATCH acme/svc {"archived":true}`,
			},
		},
		"DeleteArchivesByCurrentName": {
			ext:       "svc-v2",
			p:         v1alpha1.RepositoryParameters{Owner: "acme"},
			delete:    true,
			wantCalls: []string{`PATCH acme/svc {"archived":true}`},
		},
		"DeleteWhenArchiveOnDeleteFalse": {
			ext:       "svc",
			p:         v1alpha1.RepositoryParameters{Owner: "acme", ArchiveOnDelete: ptr(false)},
			delete:    true,
			wantCalls: []string{`DELETE acme/svc`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := repo()
			repos := &recordingRepos{fakeRepos: fakeRepos{byName: map[string]*gh.Repository{"acme/svc": r}, byID: map[int64]*gh.Repository{7: r}}}
			e := &External{Repos: repos}
			cr := mr(tc.ext, "7", tc.p)
			var err error
			if tc.delete {
				_, err = e.Delete(context.Background(), cr)
			} else {
				_, err = e.Update(context.Background(), cr)
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantCalls, repos.calls); diff != "" {
				t.Errorf("GitHub calls (-want +got):\n%s", diff)
			}
		})
	}
}
