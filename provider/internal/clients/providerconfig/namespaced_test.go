package providerconfig

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	ghmv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/github/v1alpha1"
	mv1alpha1 "github.com/paved-dev/paved/provider/apis/namespaced/v1alpha1"
	"github.com/paved-dev/paved/provider/apis/v1alpha1"
)

// nsSecret is a Secret holding a token in namespace ns.
func nsSecret(ns, token string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gh"}, Data: map[string][]byte{"token": []byte(token)}}
}

func ghSpec(secretNS string) v1alpha1.ProviderConfigSpec {
	s := xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: secretNS, Name: "gh"}, Key: "token"}
	return v1alpha1.ProviderConfigSpec{GitHub: &v1alpha1.GitHubConfig{Credentials: v1alpha1.GitHubCredentials{Source: v1alpha1.GitHubCredentialsSecret, SecretRef: &s}}}
}

func nsPC(ns, name, secretNS string) *mv1alpha1.ProviderConfig {
	return &mv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: ghSpec(secretNS)}
}

// nsMR is a namespaced managed resource in team-a naming a config.
func nsMR(kind, name string) *ghmv1alpha1.Repository {
	cr := &ghmv1alpha1.Repository{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "mr", UID: "uid-ns-mr"}}
	cr.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: kind, Name: name}
	return cr
}

// A namespaced managed resource reaches a ProviderConfig of its own
// namespace, which reads Secrets of that namespace only, or a
// ClusterProviderConfig; never another namespace's ProviderConfig or Secret.
func TestGitHubNamespaced(t *testing.T) {
	objs := []client.Object{
		nsSecret("team-a", "token-a"), nsSecret("team-b", "token-b"), nsSecret("platform", "token-platform"),
		nsPC("team-a", "own", "team-a"),
		nsPC("team-b", "only-in-b", "team-b"),
		nsPC("team-a", "reaches-into-b", "team-b"),
		&mv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: ghSpec("platform")},
		// A cluster-scoped paved.dev ProviderConfig of the same name is
		// not what a namespaced resource names.
		pc("only-in-b", ghSpec("team-b")),
	}
	cases := map[string]struct {
		mr      *ghmv1alpha1.Repository
		want    GitHub
		wantErr []string
		is      error
		notFnd  bool
	}{
		"OwnNamespace": {
			mr:   nsMR("ProviderConfig", "own"),
			want: GitHub{ProviderConfig: "ProviderConfig/team-a/own", Token: "token-a"},
		},
		"ClusterProviderConfig": {
			mr:   nsMR("ClusterProviderConfig", "default"),
			want: GitHub{ProviderConfig: "ClusterProviderConfig/default", Token: "token-platform"},
		},
		"AnotherNamespacesProviderConfig": {
			mr:      nsMR("ProviderConfig", "only-in-b"),
			wantErr: []string{`cannot get ProviderConfig "team-a/only-in-b"`},
			notFnd:  true,
		},
		"AnotherNamespacesSecret": {
			mr:      nsMR("ProviderConfig", "reaches-into-b"),
			wantErr: []string{`ProviderConfig "team-a/reaches-into-b" spec.github.credentials.secretRef names Secret team-b/gh`, `own namespace "team-a"`},
			is:      ErrOtherNamespace,
		},
		"UnknownKind": {
			mr:      nsMR("ProviderConfigUsage", "own"),
			wantErr: []string{`spec.providerConfigRef.kind "ProviderConfigUsage" is not one of ProviderConfig, ClusterProviderConfig`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			k := kube(t, objs...)
			got, err := NewResolver(k).GitHub(context.Background(), tc.mr)
			checkErr(t, err, tc.wantErr, tc.is, tc.notFnd)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("GitHub(): -want +got:\n%s", diff)
			}
			if err == nil {
				u := &mv1alpha1.ProviderConfigUsage{}
				if err := k.Get(context.Background(), types.NamespacedName{Namespace: "team-a", Name: "uid-ns-mr"}, u); err != nil {
					t.Fatalf("no ProviderConfigUsage in the resource's namespace: %v", err)
				}
				ref := tc.mr.Spec.ProviderConfigReference
				if diff := cmp.Diff(*ref, u.ProviderConfigReference); diff != "" {
					t.Errorf("usage's providerConfigRef: -want +got:\n%s", diff)
				}
			}
		})
	}
}
