package doctor

import (
	"context"
	"encoding/base64"
	"fmt"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var (
	// provider-paved's ProviderConfig (provider/apis/v1alpha1/types.go).
	gvkPavedProviderConfig = schema.GroupVersionKind{Group: "paved.dev", Version: "v1alpha1", Kind: "ProviderConfig"}
	// provider-aws's ProviderConfig of cluster-scoped managed resources,
	// which claims compose, and ClusterProviderConfig of namespaced ones
	// (provider-upjet-aws v2 apis/cluster/v1beta1 and apis/namespaced/
	// v1beta1, types.go: ProviderConfigSpec.Credentials).
	gvkAWSProviderConfig        = schema.GroupVersionKind{Group: "aws.upbound.io", Version: "v1beta1", Kind: "ProviderConfig"}
	gvkAWSClusterProviderConfig = schema.GroupVersionKind{Group: "aws.m.upbound.io", Version: "v1beta1", Kind: "ClusterProviderConfig"}
	gvkSecret                   = schema.GroupVersionKind{Version: "v1", Kind: "Secret"}
)

// providerConfigs checks the ProviderConfigs paved's resources name and
// the Secrets they read, then, where a ProviderConfig says how to reach
// them, Backstage and GitHub with those credentials.
func (d *Doctor) providerConfigs(ctx context.Context, env *Environment) []Result {
	out := []Result{d.awsProviderConfig(ctx, gvkAWSProviderConfig, "default", true)}
	// Namespaced composites (apis/*-v2) use awsProviderConfigRef, default
	// the ClusterProviderConfig "default" (fn/input/v1alpha1/environment).
	ref := struct{ Kind, Name string }{"ClusterProviderConfig", "default"}
	explicit := env != nil && env.AWSProviderConfigRef != nil
	if explicit {
		if env.AWSProviderConfigRef.Kind != "" {
			ref.Kind = env.AWSProviderConfigRef.Kind
		}
		if env.AWSProviderConfigRef.Name != "" {
			ref.Name = env.AWSProviderConfigRef.Name
		}
	}
	if ref.Kind == "ClusterProviderConfig" {
		out = append(out, d.awsProviderConfig(ctx, gvkAWSClusterProviderConfig, ref.Name, explicit))
	} else {
		out = append(out, warn("providerconfig aws "+ref.Name, "awsProviderConfigRef names a namespaced ProviderConfig, which each composite's namespace must hold: doctor does not check every namespace"))
	}

	switch {
	case env == nil || (env.Bundle == nil && env.BundleErr == nil):
		return append(out, ok("providerconfig paved", "no serviceBundle section in the EnvironmentConfig: ServiceBundles are not set up, so provider-paved's ProviderConfigs are not needed yet"))
	case env.Bundle == nil:
		return append(out, warn("providerconfig paved", "the EnvironmentConfig's serviceBundle section cannot be read (see argocd appproject), so which ProviderConfigs it names is unknown"))
	}
	sb := env.Bundle
	gh, token, res := d.pavedProviderConfig(ctx, "github", sb.GitHubProviderConfig)
	out = append(out, res)
	if gh != nil {
		// A mapped namespace's ServiceBundles give its team access to
		// their repositories (fn/servicebundle teamAccess).
		out = append(out, d.github(ctx, gh, token, sb.GitHubOwner, sb.Namespaces != nil && len(*sb.Namespaces) > 0))
	}
	bs, token, res := d.pavedProviderConfig(ctx, "backstage", sb.BackstageProviderConfig)
	out = append(out, res)
	if bs != nil {
		out = append(out, d.backstage(ctx, bs, token, sb.BackstageProviderConfig)...)
	}
	return out
}

// awsProviderConfig checks one of provider-aws's provider configs and,
// when its credentials come from a Secret, that the Secret is readable.
func (d *Doctor) awsProviderConfig(ctx context.Context, gvk schema.GroupVersionKind, name string, required bool) Result {
	what := fmt.Sprintf("providerconfig aws %s %s", gvk.Kind, name)
	pc := &unstructured.Unstructured{}
	pc.SetGroupVersionKind(gvk)
	err := d.Client.Get(ctx, client.ObjectKey{Name: name}, pc)
	missing := func(why string, a ...any) Result {
		if required {
			return fail(what, why, a...)
		}
		return warn(what, why+" (needed only by namespaced Database and Bucket composites)", a...)
	}
	switch {
	case meta.IsNoMatchError(err):
		return missing("the API server does not serve %s %s: install provider-aws (the Configuration paved depends on it)", gvk.GroupVersion(), gvk.Kind)
	case kerrors.IsNotFound(err):
		return missing("no %s %q: create it as provider-aws's docs say (https://marketplace.upbound.io/providers/upbound/provider-family-aws/latest/docs/configuration)", gvk.Kind, name)
	case err != nil:
		return fail(what, "cannot read %s %q: %v", gvk.Kind, name, err)
	}
	source, _, _ := unstructured.NestedString(pc.Object, "spec", "credentials", "source")
	if source != "Secret" {
		return ok(what, "exists, credentials from %s (no Secret to read)", orNone(source))
	}
	ref, _, _ := unstructured.NestedStringMap(pc.Object, "spec", "credentials", "secretRef")
	if _, err := d.secret(ctx, ref); err != nil {
		return fail(what, "its credentials Secret: %v; provider-aws cannot authenticate to AWS", err)
	}
	return ok(what, "exists, credentials Secret %s/%s key %s readable", ref["namespace"], ref["name"], ref["key"])
}

// pavedProviderConfig checks the part (github or backstage) of one of
// provider-paved's ProviderConfigs and the Secret it reads, and returns
// that part and the Secret's value (a GitHub token or private key, a
// Backstage token) for the checks that reach the service. The value never
// reaches a result.
func (d *Doctor) pavedProviderConfig(ctx context.Context, part, name string) (map[string]any, string, Result) {
	what := fmt.Sprintf("providerconfig %s %s", part, name)
	pc := &unstructured.Unstructured{}
	pc.SetGroupVersionKind(gvkPavedProviderConfig)
	err := d.Client.Get(ctx, client.ObjectKey{Name: name}, pc)
	switch {
	case meta.IsNoMatchError(err):
		return nil, "", fail(what, "the API server does not serve %s ProviderConfig: install provider-paved (the Configuration paved depends on it)", gvkPavedProviderConfig.GroupVersion())
	case kerrors.IsNotFound(err):
		return nil, "", fail(what, "no provider-paved ProviderConfig %q, which the EnvironmentConfig's serviceBundle names for %s: create it (examples/provider/providerconfig.yaml)", name, part)
	case err != nil:
		return nil, "", fail(what, "cannot read ProviderConfig %q: %v", name, err)
	}
	p, found, _ := unstructured.NestedMap(pc.Object, "spec", part)
	if !found {
		return nil, "", fail(what, "ProviderConfig %q has no spec.%s: add it (examples/provider/providerconfig.yaml)", name, part)
	}
	// Where each part keeps its Secret (provider/apis/v1alpha1/types.go).
	var path []string
	switch part {
	case "backstage":
		path = []string{"tokenSecretRef"}
	default:
		switch src, _, _ := unstructured.NestedString(p, "credentials", "source"); src {
		case "Secret":
			path = []string{"credentials", "secretRef"}
		case "GitHubApp":
			path = []string{"credentials", "app", "privateKeySecretRef"}
		default:
			return nil, "", fail(what, "ProviderConfig %q: spec.github.credentials.source %q is neither Secret nor GitHubApp", name, src)
		}
	}
	ref, _, _ := unstructured.NestedStringMap(p, path...)
	v, err := d.secret(ctx, ref)
	if err != nil {
		return nil, "", fail(what, "its Secret: %v; provider-paved cannot authenticate", err)
	}
	return p, v, ok(what, "exists, Secret %s/%s key %s readable", ref["namespace"], ref["name"], ref["key"])
}

// secret reads the value of a Secret's key, as a SecretKeySelector names
// it.
func (d *Doctor) secret(ctx context.Context, ref map[string]string) (string, error) {
	ns, name, key := ref["namespace"], ref["name"], ref["key"]
	if ns == "" || name == "" || key == "" {
		return "", fmt.Errorf("the secretRef needs namespace, name and key, has %q/%q key %q", ns, name, key)
	}
	s := &unstructured.Unstructured{}
	s.SetGroupVersionKind(gvkSecret)
	if err := d.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
		if kerrors.IsNotFound(err) {
			return "", fmt.Errorf("no Secret %s/%s", ns, name)
		}
		return "", fmt.Errorf("cannot read Secret %s/%s: %w", ns, name, err)
	}
	enc, _, _ := unstructured.NestedString(s.Object, "data", key)
	v, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(v) == 0 {
		return "", fmt.Errorf("no key %s in Secret %s/%s, or it is empty", key, ns, name)
	}
	return string(v), nil
}
