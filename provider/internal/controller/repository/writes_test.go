package repository

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	gh "github.com/google/go-github/v85/github"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// recordingRepos accepts writes and records them as "METHOD path body".
type recordingRepos struct {
	fakeRepos
	calls []string
}

func body(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (f *recordingRepos) Create(_ context.Context, org string, r *gh.Repository) (*gh.Repository, *gh.Response, error) {
	f.calls = append(f.calls, "POST "+org+" "+body(r))
	return &gh.Repository{ID: gh.Ptr(int64(42)), Name: r.Name}, nil, nil
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

func TestCreate(t *testing.T) {
	cases := map[string]struct {
		p         v1alpha1.RepositoryParameters
		owner     *gh.User
		wantCalls []string
		wantErr   string
	}{
		"PrivateUnlessSet": {
			p:         v1alpha1.RepositoryParameters{Owner: "acme"},
			owner:     &gh.User{Login: gh.Ptr("acme"), Type: gh.Ptr("Organization")},
			wantCalls: []string{`POST acme {"name":"svc","visibility":"private"}`},
		},
		"InternalForAnOrganisation": {
			p:         v1alpha1.RepositoryParameters{Owner: "acme", Visibility: "internal"},
			owner:     &gh.User{Login: gh.Ptr("acme"), Type: gh.Ptr("Organization")},
			wantCalls: []string{`POST acme {"name":"svc","visibility":"internal"}`},
		},
		"InternalForAUserRefusedBeforeAnyWrite": {
			p:       v1alpha1.RepositoryParameters{Owner: "octo", Visibility: "internal"},
			owner:   &gh.User{Login: gh.Ptr("octo"), Type: gh.Ptr("User")},
			wantErr: `spec.forProvider.visibility: "internal" is not possible for "octo", a user account`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			repos := &recordingRepos{}
			e := &External{Repos: repos, Users: fakeUsers{user: tc.owner}}
			cr := mr("", "", tc.p)
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
