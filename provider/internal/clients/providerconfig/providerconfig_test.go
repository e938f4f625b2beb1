package providerconfig

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/paved-dev/paved/provider/apis"
	bsv1alpha1 "github.com/paved-dev/paved/provider/apis/backstage/v1alpha1"
	"github.com/paved-dev/paved/provider/apis/v1alpha1"
)

const ns = "crossplane-system"

func sel(name, key string) xpv2.SecretKeySelector {
	return xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: ns, Name: name}, Key: key}
}

func kube(t *testing.T, objs ...client.Object) client.Client {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	objs = append(objs, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "creds"},
		Data:       map[string][]byte{"token": []byte(" ghp_secret\n"), "key.pem": []byte("PEM"), "blank": []byte(" \n")},
	})
	return fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()
}

func pc(name string, spec v1alpha1.ProviderConfigSpec) *v1alpha1.ProviderConfig {
	return &v1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
}

// mr is any legacy managed resource; the resolver reads only its
// providerConfigRef and UID.
func mr(pcName string) *bsv1alpha1.CatalogLocation {
	cr := &bsv1alpha1.CatalogLocation{ObjectMeta: metav1.ObjectMeta{Name: "mr", UID: "uid-mr"}}
	if pcName != "" {
		cr.Spec.ProviderConfigReference = &xpv2.Reference{Name: pcName}
	}
	return cr
}

func TestGitHub(t *testing.T) {
	ghSecret := func(s xpv2.SecretKeySelector) v1alpha1.ProviderConfigSpec {
		return v1alpha1.ProviderConfigSpec{GitHub: &v1alpha1.GitHubConfig{BaseURL: "https://ghe.example.com",
			Credentials: v1alpha1.GitHubCredentials{Source: v1alpha1.GitHubCredentialsSecret, SecretRef: &s}}}
	}
	cases := map[string]struct {
		pcs     []client.Object
		ref     string
		want    GitHub
		wantErr []string
		is      error
		notFnd  bool
	}{
		"Token": {
			pcs:  []client.Object{pc("a", ghSecret(sel("creds", "token")))},
			ref:  "a",
			want: GitHub{ProviderConfig: "a", BaseURL: "https://ghe.example.com", Token: "ghp_secret"},
		},
		"App": {
			pcs: []client.Object{pc("a", v1alpha1.ProviderConfigSpec{GitHub: &v1alpha1.GitHubConfig{Credentials: v1alpha1.GitHubCredentials{
				Source: v1alpha1.GitHubCredentialsApp,
				App:    &v1alpha1.GitHubAppCredentials{AppID: 1, InstallationID: 2, PrivateKeySecretRef: sel("creds", "key.pem")}}}})},
			ref:  "a",
			want: GitHub{ProviderConfig: "a", AppID: 1, InstallationID: 2, PrivateKey: []byte("PEM")},
		},
		"NoRef":         {wantErr: []string{"spec.providerConfigRef"}},
		"NoPC":          {ref: "absent", wantErr: []string{`cannot get ProviderConfig "absent"`}, notFnd: true},
		"NoGitHub":      {pcs: []client.Object{pc("a", v1alpha1.ProviderConfigSpec{})}, ref: "a", wantErr: []string{`"a" has no spec.github`}, is: ErrNotConfigured},
		"NoSecret":      {pcs: []client.Object{pc("a", ghSecret(sel("absent", "token")))}, ref: "a", wantErr: []string{"crossplane-system/absent", "spec.github.credentials.secretRef"}, notFnd: true},
		"EmptyKey":      {pcs: []client.Object{pc("a", ghSecret(sel("creds", "blank")))}, ref: "a", wantErr: []string{`has no key "blank"`}},
		"MissingKey":    {pcs: []client.Object{pc("a", ghSecret(sel("creds", "nope")))}, ref: "a", wantErr: []string{`has no key "nope"`}},
		"NoSecretRef":   {pcs: []client.Object{pc("a", v1alpha1.ProviderConfigSpec{GitHub: &v1alpha1.GitHubConfig{Credentials: v1alpha1.GitHubCredentials{Source: v1alpha1.GitHubCredentialsSecret}}})}, ref: "a", wantErr: []string{"secretRef is required"}},
		"NoApp":         {pcs: []client.Object{pc("a", v1alpha1.ProviderConfigSpec{GitHub: &v1alpha1.GitHubConfig{Credentials: v1alpha1.GitHubCredentials{Source: v1alpha1.GitHubCredentialsApp}}})}, ref: "a", wantErr: []string{"app is required"}},
		"UnknownSource": {pcs: []client.Object{pc("a", v1alpha1.ProviderConfigSpec{GitHub: &v1alpha1.GitHubConfig{Credentials: v1alpha1.GitHubCredentials{Source: "Env"}}})}, ref: "a", wantErr: []string{`source "Env" is not one of Secret, GitHubApp`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			k := kube(t, tc.pcs...)
			got, err := NewResolver(k).GitHub(context.Background(), mr(tc.ref))
			checkErr(t, err, tc.wantErr, tc.is, tc.notFnd)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("GitHub(): -want +got:\n%s", diff)
			}
			if err == nil {
				checkUsage(t, k, tc.ref)
			}
		})
	}
}

func TestBackstage(t *testing.T) {
	bs := func(s xpv2.SecretKeySelector) v1alpha1.ProviderConfigSpec {
		return v1alpha1.ProviderConfigSpec{Backstage: &v1alpha1.BackstageConfig{BaseURL: "https://backstage.example.com", TokenSecretRef: s}}
	}
	cases := map[string]struct {
		pcs     []client.Object
		ref     string
		want    Backstage
		wantErr []string
		is      error
		notFnd  bool
	}{
		"Token":       {pcs: []client.Object{pc("b", bs(sel("creds", "token")))}, ref: "b", want: Backstage{ProviderConfig: "b", BaseURL: "https://backstage.example.com", Token: "ghp_secret"}},
		"NoBackstage": {pcs: []client.Object{pc("b", v1alpha1.ProviderConfigSpec{})}, ref: "b", wantErr: []string{"has no spec.backstage"}, is: ErrNotConfigured},
		"NoSecret":    {pcs: []client.Object{pc("b", bs(sel("absent", "token")))}, ref: "b", wantErr: []string{"spec.backstage.tokenSecretRef", "crossplane-system/absent"}, notFnd: true},
		"EmptyKey":    {pcs: []client.Object{pc("b", bs(sel("creds", "blank")))}, ref: "b", wantErr: []string{"spec.backstage.tokenSecretRef", `has no key "blank"`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			k := kube(t, tc.pcs...)
			got, err := NewResolver(k).Backstage(context.Background(), mr(tc.ref))
			checkErr(t, err, tc.wantErr, tc.is, tc.notFnd)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Backstage(): -want +got:\n%s", diff)
			}
		})
	}
}

func checkErr(t *testing.T, err error, want []string, is error, notFound bool) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "ghp_secret") || strings.Contains(err.Error(), "PEM") {
		t.Errorf("error carries Secret data: %q", err)
	}
	if is != nil && !errors.Is(err, is) {
		t.Errorf("errors.Is(%v, %v) = false", err, is)
	}
	if notFound != kerrors.IsNotFound(err) {
		t.Errorf("IsNotFound(%v) = %v, want %v (the chain must be kept)", err, !notFound, notFound)
	}
}

func checkUsage(t *testing.T, k client.Client, pcName string) {
	t.Helper()
	u := &v1alpha1.ProviderConfigUsage{}
	if err := k.Get(context.Background(), types.NamespacedName{Name: "uid-mr"}, u); err != nil {
		t.Fatalf("no ProviderConfigUsage: %v", err)
	}
	if u.ProviderConfigReference.Name != pcName {
		t.Errorf("usage names ProviderConfig %q, want %q", u.ProviderConfigReference.Name, pcName)
	}
}
