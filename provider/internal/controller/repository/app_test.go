package repository

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	pcv1alpha1 "github.com/paved-dev/paved/provider/apis/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
)

func TestGitHubAppCredentials(t *testing.T) {
	e := newEnv(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e.gh.AddApp(4242, &key.PublicKey, 77, testOrg)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := e.kube.Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "crossplane-system", Name: "app"},
		Data:       map[string][]byte{"key.pem": pemKey},
	}); err != nil {
		t.Fatal(err)
	}
	pc := providerConfig("app", "app", "key.pem", e.gh.URL)
	pc.Spec.GitHub.Credentials.Source = pcv1alpha1.GitHubCredentialsApp
	pc.Spec.GitHub.Credentials.App = &pcv1alpha1.GitHubAppCredentials{
		AppID: 4242, InstallationID: 77, PrivateKeySecretRef: *pc.Spec.GitHub.Credentials.SecretRef,
	}
	pc.Spec.GitHub.Credentials.SecretRef = nil
	if err := e.kube.Create(context.Background(), pc); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"app-one", "app-two"} {
		e.create(name, fullSpec, func(r *v1alpha1.Repository) { r.Spec.ProviderConfigReference.Name = "app" })
		e.converge(name, 6)
		if _, ok := e.gh.Repo(testOrg, name); !ok {
			t.Fatalf("%s not created with App credentials", name)
		}
	}
	// The pooled client reuses its installation token across reconciles
	// and resources.
	if n := e.gh.Stats().InstallationTokens; n != 1 {
		t.Errorf("installation tokens minted = %d, want 1", n)
	}
}

func TestRateLimitGaugePerIdentity(t *testing.T) {
	e := newEnv(t)
	e.gh.SetRateLimit(1000)
	e.create("svc")
	e.converge("svc", 6)
	counted := e.gh.Stats().Counted
	m := &dto.Metric{}
	// The gauge is per GitHub identity (here the token), never the token.
	id, err := ghclient.Identity(ghclient.Config{BaseURL: e.gh.URL, Credentials: ghclient.Credentials{Token: testToken}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(id, testToken) {
		t.Fatalf("identity label %q carries the token", id)
	}
	if err := ghclient.RateLimitRemaining.WithLabelValues(id).Write(m); err != nil {
		t.Fatal(err)
	}
	got := m.GetGauge().GetValue()
	if want := float64(1000 - counted); got != want {
		t.Errorf("paved_github_rate_limit_remaining{identity=%q} = %v, want %v", id, got, want)
	}
}
