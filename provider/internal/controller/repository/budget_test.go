package repository

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
	pcv1alpha1 "github.com/paved-dev/paved/provider/apis/v1alpha1"
	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
)

// steadyState creates n repositories (with topics and branch protection),
// converges them, and returns the counted GitHub requests and all requests
// of `passes` further reconciles of every repository.
// pacedThrough lets the client sleep through GitHub's content-creation
// pacing (80 writes a minute, 500 an hour per identity) on the harness's
// virtual clock, so that creating many repositories converges in a few
// reconciles while every write is still paced.
func pacedThrough(o *ghclient.Options) { o.MaxInlineWait = 24 * time.Hour }

func steadyState(t testing.TB, e *env, n, passes int) (counted, requests, reconciles int) {
	t.Helper()
	names := make([]string, n)
	start := e.clock.Now()
	for i := range names {
		names[i] = fmt.Sprintf("svc-%03d", i)
		e.create(names[i], fullSpec)
		e.converge(names[i], 6)
	}
	writes := 0
	for route, c := range e.gh.Stats().ByRoute {
		if !strings.HasPrefix(route, "GET ") {
			writes += c
		}
	}
	t.Logf("creating %d repositories (%d writes) took %s of GitHub time under write pacing",
		n, writes, e.clock.Now().Sub(start).Round(time.Second))
	before := e.gh.Stats()
	for range passes {
		for _, name := range names {
			e.reconcile(name)
			reconciles++
		}
	}
	after := e.gh.Stats()
	return after.Counted - before.Counted, after.Requests - before.Requests, reconciles
}

// TestSteadyStateRequestBudget reports, for N repositories at steady state,
// how many GitHub requests counted against the rate limit each reconcile
// costs. The goal is 0: every read is a conditional request answered 304.
func TestSteadyStateRequestBudget(t *testing.T) {
	const n, passes = 100, 3
	e := newEnv(t, pacedThrough)
	counted, requests, reconciles := steadyState(t, e, n, passes)
	t.Logf("N=%d repositories, %d steady-state reconciles: %d requests sent (%.2f/reconcile), %d counted against the rate limit (%.3f/reconcile)",
		n, reconciles, requests, float64(requests)/float64(reconciles), counted, float64(counted)/float64(reconciles))
	if counted != 0 {
		t.Errorf("steady state cost %d counted requests, want 0", counted)
	}
}

func BenchmarkSteadyStateReconcile(b *testing.B) {
	e := newEnv(b, pacedThrough)
	const n = 20
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("bench-%03d", i)
		e.create(names[i], fullSpec)
		e.converge(names[i], 6)
	}
	before := e.gh.Stats()
	b.ResetTimer()
	for i := range b.N {
		e.reconcile(names[i%n])
	}
	b.StopTimer()
	after := e.gh.Stats()
	b.ReportMetric(float64(after.Counted-before.Counted)/float64(b.N), "counted-requests/reconcile")
	b.ReportMetric(float64(after.Requests-before.Requests)/float64(b.N), "requests/reconcile")
}

func TestWrongTokenIsAClearCondition(t *testing.T) {
	e := newEnv(t)
	s := &corev1.Secret{}
	if err := e.kube.Get(context.Background(), types.NamespacedName{Namespace: "crossplane-system", Name: "gh"}, s); err != nil {
		t.Fatal(err)
	}
	s.Data["token"] = []byte("ghp_wrong-test-token")
	if err := e.kube.Update(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	e.create("svc")
	for range 3 {
		e.reconcile("svc")
	}
	c := synced(e.get("svc"))
	if c.Status != "False" || !strings.Contains(c.Message, "rejected the credentials") {
		t.Errorf("Synced = %s %q, want a clear credentials error", c.Status, c.Message)
	}
	if strings.Contains(c.Message, "wrong-test-token") {
		t.Errorf("condition leaks the token: %q", c.Message)
	}
	if st := e.gh.Stats(); st.Unauthorized == 0 || st.RepoCreates != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestMissingCredentialsAreAClearCondition(t *testing.T) {
	cases := map[string]struct {
		pc   *pcv1alpha1.ProviderConfig
		want string
	}{
		"secret missing": {
			pc:   providerConfig("nosecret", "absent", "token", ""),
			want: "cannot read credentials Secret crossplane-system/absent",
		},
		"key missing": {
			pc:   providerConfig("nokey", "gh", "nope", ""),
			want: `key "nope"`,
		},
		"no github section": {
			pc:   &pcv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "nogithub"}},
			want: "has no spec.github",
		},
		"app without app section": {
			pc: func() *pcv1alpha1.ProviderConfig {
				pc := providerConfig("noapp", "gh", "token", "")
				pc.Spec.GitHub.Credentials.Source = pcv1alpha1.GitHubCredentialsApp
				return pc
			}(),
			want: "app is required",
		},
		"app with a key that is not PEM": {
			pc: func() *pcv1alpha1.ProviderConfig {
				pc := providerConfig("badkey", "gh", "token", "")
				pc.Spec.GitHub.Credentials.Source = pcv1alpha1.GitHubCredentialsApp
				pc.Spec.GitHub.Credentials.App = &pcv1alpha1.GitHubAppCredentials{AppID: 1, InstallationID: 2,
					PrivateKeySecretRef: *pc.Spec.GitHub.Credentials.SecretRef}
				return pc
			}(),
			want: "private key",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			if err := e.kube.Create(context.Background(), tc.pc); err != nil {
				t.Fatal(err)
			}
			e.create("svc", func(r *v1alpha1.Repository) { r.Spec.ProviderConfigReference.Name = tc.pc.Name })
			e.reconcile("svc")
			c := synced(e.get("svc"))
			if c.Status != "False" || !strings.Contains(c.Message, tc.want) {
				t.Errorf("Synced = %s %q, want message containing %q", c.Status, c.Message, tc.want)
			}
			if strings.Contains(c.Message, "test-token") {
				t.Errorf("condition leaks the token: %q", c.Message)
			}
			if s := e.gh.Stats(); s.Requests != 0 {
				t.Errorf("%d requests sent without usable credentials", s.Requests)
			}
		})
	}
}
