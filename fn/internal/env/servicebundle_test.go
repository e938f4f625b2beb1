package env

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/input/v1alpha1/environment"
)

func mustStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestResolveServiceBundle(t *testing.T) {
	type want struct {
		section ServiceBundle
		sources map[string]string
		secErr  string
		err     string
	}
	defaults := defaultServiceBundle()
	cases := map[string]struct {
		reason string
		in     environment.Environment
		ec     map[string]any
		want   want
	}{
		"Defaults": {
			reason: "Without settings the section has paved's defaults and no owner.",
			want:   want{section: defaults, sources: map[string]string{}},
		},
		"InputThenEnvironmentConfig": {
			reason: "The EnvironmentConfig overrides the input field by field; sources say where each value came from.",
			in: environment.Environment{ServiceBundle: &environment.ServiceBundleEnvironment{
				GitHubOwner: "acme", ArgoCDNamespace: "gitops",
			}},
			ec: map[string]any{"data": map[string]any{"paved": map[string]any{
				"serviceBundle": map[string]any{"githubOwner": "acme-prod", "grafanaURL": "https://grafana.example.com"},
			}}},
			want: want{
				section: func() ServiceBundle {
					s := defaults
					s.GitHubOwner, s.ArgoCDNamespace, s.GrafanaURL = "acme-prod", "gitops", "https://grafana.example.com"
					return s
				}(),
				sources: map[string]string{
					"serviceBundle.githubOwner":     `EnvironmentConfig "env" data.paved.serviceBundle.githubOwner`,
					"serviceBundle.argoCDNamespace": "input environment.serviceBundle.argoCDNamespace",
					"serviceBundle.grafanaURL":      `EnvironmentConfig "env" data.paved.serviceBundle.grafanaURL`,
				},
			},
		},
		"BadSectionIsNotEveryonesError": {
			reason: "A misspelt key in the section does not fail the environment; it is kept for the ServiceBundle composer.",
			ec: map[string]any{"data": map[string]any{"paved": map[string]any{
				"region":        "eu-west-1",
				"serviceBundle": map[string]any{"githubOrg": "acme"},
			}}},
			want: want{
				section: defaults,
				sources: map[string]string{"region": `EnvironmentConfig "env" data.paved.region`},
				secErr:  `EnvironmentConfig "env" data.paved.serviceBundle: cannot read settings (allowed keys: githubOwner, githubProviderConfig, backstageProviderConfig, providerConfigKind, argoCDNamespace, argoCDProject, applicationNamespace, repositoryName, argoCDDestinationServer, notifySyncSucceeded, notifySyncFailed, grafanaURL, namespaces): unknown field "githubOrg"`,
			},
		},
		"BadAWSSettingStillFails": {
			reason: "Splitting the section off keeps the rest strict.",
			ec: map[string]any{"data": map[string]any{"paved": map[string]any{
				"regoin":        "eu-west-1",
				"serviceBundle": map[string]any{"githubOwner": "acme"},
			}}},
			want: want{err: `EnvironmentConfig "env" data.paved: cannot read settings (allowed keys: region, vpcId, subnetIds, allowedCidrs, kmsKeyId, instanceClasses, documentDBInstanceClasses, cacheNodeTypes, backupRetentionDays, connectionSecretNamespace, awsProviderConfigRef, serviceBundle): unknown field "regoin"`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var ec *structpb.Struct
			if tc.ec != nil {
				ec = mustStruct(t, tc.ec)
			}
			e, err := Resolve(tc.in, "env", ec)
			got := want{}
			if err != nil {
				got.err = err.Error()
			} else {
				got.section, got.sources = e.ServiceBundle, e.source
				if err := e.ServiceBundleError(); err != nil {
					got.secErr = err.Error()
				}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nResolve(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
