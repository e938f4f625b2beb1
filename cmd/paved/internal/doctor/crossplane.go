package doctor

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// CrossplaneConstraint is the Crossplane version paved's packages require
// (spec.crossplane.version of crossplane.yaml and package/crossplane.yaml;
// TestConstraintsMatchPackages keeps them equal).
const CrossplaneConstraint = ">=v2.0.0"

// The checks' names, as printed.
const (
	whatVersion  = "crossplane version"
	whatWebhook  = "crossplane usage webhook"
	whatRealtime = "crossplane realtime compositions"
	whatBreaker  = "crossplane circuit breaker"
)

// Crossplane's objects doctor reads.
const (
	// The Deployment of core that Crossplane's Helm chart installs (its
	// name and container are the chart's name, crossplane:
	// cluster/charts/crossplane/templates/deployment.yaml), running
	// `crossplane core start <args>`.
	coreDeployment = "crossplane"
	// The ValidatingWebhookConfiguration through which core refuses
	// deleting an object a Usage protects (crossplane v2.4.0
	// cluster/webhookconfigurations/manifests.yaml). `core init` installs
	// it only when webhooks are enabled (internal/initializer/
	// webhook_configurations.go), so its absence means Usages protect
	// nothing.
	noUsagesWebhookConfiguration = "crossplane-no-usages"
	noUsagesWebhook              = "nousages.protection.crossplane.io"
)

var (
	gvkDeployment = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	gvkVWC        = schema.GroupVersionKind{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "ValidatingWebhookConfiguration"}
	// ClusterUsage is an API Crossplane v2.0 introduced
	// (https://docs.crossplane.io/latest/managed-resources/usages/; crossplane
	// v2.4.0 cluster/crds/protection.crossplane.io_clusterusages.yaml), and
	// paved's Compositions compose it: a control plane that serves it runs
	// Crossplane v2.
	gvkClusterUsage = schema.GroupVersionKind{Group: "protection.crossplane.io", Version: "v1beta1", Kind: "ClusterUsage"}
)

// crossplane checks core's version and the flags paved relies on.
func (d *Doctor) crossplane(ctx context.Context) []Result {
	dep := &unstructured.Unstructured{}
	dep.SetGroupVersionKind(gvkDeployment)
	err := d.Client.Get(ctx, client.ObjectKey{Namespace: d.Namespace, Name: coreDeployment}, dep)
	var flags map[string]string
	var image string
	switch {
	case err == nil:
		image, flags = coreContainer(dep)
	case kerrors.IsNotFound(err):
	default:
		return []Result{fail(whatVersion, "cannot read Deployment %s/%s: %v", d.Namespace, coreDeployment, err)}
	}
	return []Result{d.version(image), d.webhook(ctx, flags), realtime(flags, d.deploymentName(flags)), breaker(flags, d.deploymentName(flags))}
}

func (d *Doctor) deploymentName(flags map[string]string) string {
	if flags == nil {
		return ""
	}
	return d.Namespace + "/" + coreDeployment
}

// coreContainer returns the image of core's container in the Deployment
// and its flags, those after `core start`.
func coreContainer(dep *unstructured.Unstructured) (string, map[string]string) {
	cs, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	for _, c := range cs {
		m, _ := c.(map[string]any)
		args, _, _ := unstructured.NestedStringSlice(m, "args")
		if len(args) < 2 || args[0] != "core" || args[1] != "start" {
			continue
		}
		image, _ := m["image"].(string)
		flags := parseFlags(args[2:])
		// Flags core reads from the environment too (crossplane v2.4.0
		// cmd/crossplane/core/core.go: EnableWebhooks env
		// ENABLE_WEBHOOKS,WEBHOOK_ENABLED, which the chart sets).
		env, _, _ := unstructured.NestedSlice(m, "env")
		for _, e := range env {
			em, _ := e.(map[string]any)
			name, _ := em["name"].(string)
			val, _ := em["value"].(string)
			if name == "ENABLE_WEBHOOKS" || name == "WEBHOOK_ENABLED" {
				if _, set := flags["enable-webhooks"]; !set {
					flags["enable-webhooks"] = val
				}
			}
		}
		return image, flags
	}
	return "", nil
}

// parseFlags reads kong's long flags: --name=value, --name value, and a
// lone boolean --name. The webhook flag's alias (--webhook-enabled) is
// folded into its name.
func parseFlags(args []string) map[string]string {
	flags := map[string]string{}
	for i := 0; i < len(args); i++ {
		a, found := strings.CutPrefix(args[i], "--")
		if !found {
			continue
		}
		name, val, hasVal := strings.Cut(a, "=")
		if !hasVal {
			val = "true"
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && !boolFlag(name) {
				val = args[i+1]
				i++
			}
		}
		if name == "webhook-enabled" {
			name = "enable-webhooks"
		}
		flags[name] = val
	}
	return flags
}

func boolFlag(name string) bool {
	return strings.HasPrefix(name, "enable-") || name == "webhook-enabled"
}

// version checks core's version: the image's tag where a Deployment runs
// core, else the APIs only v2 serves.
func (d *Doctor) version(image string) Result {
	want := semver.MustParse(strings.TrimPrefix(CrossplaneConstraint, ">="))
	if i := strings.LastIndexByte(image, ':'); i >= 0 && !strings.Contains(image[i:], "/") && !strings.Contains(image, "@") {
		tag := image[i+1:]
		if v, err := semver.NewVersion(tag); err == nil {
			if v.LessThan(want) {
				return fail(whatVersion, "Crossplane %s (%s), paved needs %s (crossplane.yaml): upgrade Crossplane (https://docs.crossplane.io/latest/software/upgrade/)", tag, image, CrossplaneConstraint)
			}
			return ok(whatVersion, "Crossplane %s (%s), paved needs %s", tag, image, CrossplaneConstraint)
		}
	}
	if _, err := d.Client.RESTMapper().RESTMapping(gvkClusterUsage.GroupKind(), gvkClusterUsage.Version); err != nil {
		if meta.IsNoMatchError(err) {
			return fail(whatVersion, "the API server does not serve %s ClusterUsage, which Crossplane v2.0 introduced: paved needs Crossplane %s (crossplane.yaml); install or upgrade Crossplane (https://docs.crossplane.io/latest/software/upgrade/)", gvkClusterUsage.GroupVersion(), CrossplaneConstraint)
		}
		return fail(whatVersion, "cannot read the served APIs: %v", err)
	}
	return ok(whatVersion, "Crossplane v2 (serves %s ClusterUsage, which v2.0 introduced), paved needs %s; the exact version is not visible without a core image tag", gvkClusterUsage.GroupVersion(), CrossplaneConstraint)
}

// webhook checks that Usages are enforced. paved's Compositions compose
// Usages so that what a tenant relies on cannot be deleted before what
// uses it; Crossplane enforces a Usage only through its admission webhook
// (https://docs.crossplane.io/latest/managed-resources/usages/; crossplane
// v2.4.0 internal/webhook/protection/usage/handler.go, registered by `core
// start` when Usages are enabled, its configuration installed by `core
// init` when webhooks are, cmd/crossplane/core/init.go). What the API shows is the webhook's
// configuration: whether core answers it is seen only by deleting a used
// object, which doctor never does.
func (d *Doctor) webhook(ctx context.Context, flags map[string]string) Result {
	const fix = "run Crossplane core with webhooks enabled (the Helm chart's webhooks.enabled=true, the default; not --enable-webhooks=false) and Usages enabled (not --enable-usages=false)"
	if v, set := flags["enable-webhooks"]; set && !truthy(v) {
		return fail(whatWebhook, "Deployment %s/%s runs core with webhooks off, so Usages do not stop deleting what paved's resources use: %s", d.Namespace, coreDeployment, fix)
	}
	if v, set := flags["enable-usages"]; set && !truthy(v) {
		return fail(whatWebhook, "Deployment %s/%s runs core with --enable-usages=false, so Usages do not stop deleting what paved's resources use: %s", d.Namespace, coreDeployment, fix)
	}
	vwc := &unstructured.Unstructured{}
	vwc.SetGroupVersionKind(gvkVWC)
	err := d.Client.Get(ctx, client.ObjectKey{Name: noUsagesWebhookConfiguration}, vwc)
	if kerrors.IsNotFound(err) {
		return fail(whatWebhook, "no ValidatingWebhookConfiguration %s: Crossplane's webhooks are off, so Usages do not stop deleting what paved's resources use; %s", noUsagesWebhookConfiguration, fix)
	}
	if err != nil {
		return fail(whatWebhook, "cannot read ValidatingWebhookConfiguration %s: %v", noUsagesWebhookConfiguration, err)
	}
	hooks, _, _ := unstructured.NestedSlice(vwc.Object, "webhooks")
	for _, h := range hooks {
		m, _ := h.(map[string]any)
		if m["name"] != noUsagesWebhook {
			continue
		}
		if p, _ := m["failurePolicy"].(string); p == "Ignore" {
			return warn(whatWebhook, "ValidatingWebhookConfiguration %s ignores failures of %s: while core does not answer, a used object can be deleted; set its failurePolicy back to Fail (as Crossplane installs it)", noUsagesWebhookConfiguration, noUsagesWebhook)
		}
		return ok(whatWebhook, "ValidatingWebhookConfiguration %s sends deletions of objects in use to core (%s), so Usages protect what paved's resources use", noUsagesWebhookConfiguration, noUsagesWebhook)
	}
	return fail(whatWebhook, "ValidatingWebhookConfiguration %s has no webhook %s, so Usages do not stop deleting what paved's resources use; %s", noUsagesWebhookConfiguration, noUsagesWebhook, fix)
}

// realtime checks realtime compositions (a beta feature, on by default:
// crossplane v2.4.0 cmd/crossplane/core/core.go
// EnableRealtimeCompositions). paved's claims report their resources'
// progress as it happens only with it; without it the composite is polled.
func realtime(flags map[string]string, deployment string) Result {
	if flags == nil {
		return warn(whatRealtime, "cannot be seen from the API (no Deployment of core with `core start` args to read flags from): check that core runs without --enable-realtime-compositions=false")
	}
	if v, set := flags["enable-realtime-compositions"]; set && !truthy(v) {
		return warn(whatRealtime, "Deployment %s runs core with --enable-realtime-compositions=false: claims see their resources' progress only at each poll; remove the flag (on by default)", deployment)
	}
	return ok(whatRealtime, "on (core's default; Deployment %s does not turn it off)", deployment)
}

// Core's XR circuit breaker defaults (crossplane v2.4.0
// cmd/crossplane/core/core.go: CircuitBreakerBurst 100 tokens,
// CircuitBreakerRefillRate 1 a second). A ServiceBundle's creation spends
// nearly all of its composite's tokens in its first seconds (test/e2e,
// figure servicebundle-breaker-headroom: between −1 and 12 tokens left on
// a quiet control plane, docs/performance.md), so less than the defaults
// opens the breaker, and the claim then waits up to a minute for its Ready
// (docs/design.md, "Crossplane's XR circuit breaker"); at the defaults it
// may open once, by Ready, and a higher burst leaves a margin.
const (
	defaultBreakerBurst  = 100.0
	defaultBreakerRefill = 1.0
)

// breaker reports whether core's XR circuit breaker runs with at least its
// default burst and refill rate.
func breaker(flags map[string]string, deployment string) Result {
	if flags == nil {
		return warn(whatBreaker, "cannot be seen from the API (no Deployment of core with `core start` args to read flags from): check that core runs with --circuit-breaker-burst and --circuit-breaker-refill-rate at or above their defaults, 100 and 1 (docs/design.md)")
	}
	var below []string
	shown := make([]string, 0, 2)
	for _, f := range []struct {
		flag, unit string
		def        float64
	}{
		{"circuit-breaker-burst", "burst %s", defaultBreakerBurst},
		{"circuit-breaker-refill-rate", "refill %s/s", defaultBreakerRefill},
	} {
		v, set := flags[f.flag]
		if !set {
			shown = append(shown, fmt.Sprintf(f.unit, strconv.FormatFloat(f.def, 'f', -1, 64))+" (default)")
			continue
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fail(whatBreaker, "Deployment %s runs core with --%s=%q, not a number: core does not start; remove the flag (default %s)", deployment, f.flag, v, strconv.FormatFloat(f.def, 'f', -1, 64))
		}
		shown = append(shown, fmt.Sprintf(f.unit, v))
		if n < f.def {
			below = append(below, fmt.Sprintf("--%s=%s below its default %s", f.flag, v, strconv.FormatFloat(f.def, 'f', -1, 64)))
		}
	}
	if len(below) > 0 {
		them := "the flag"
		if len(below) > 1 {
			them = "the flags"
		}
		return warn(whatBreaker, "Deployment %s runs core with %s: a ServiceBundle's creation spends nearly all of its composite's 100 default tokens within seconds, so its breaker opens and its claim waits up to a minute for Ready; remove %s (docs/design.md)", deployment, strings.Join(below, " and "), them)
	}
	if b, _ := strconv.ParseFloat(flags["circuit-breaker-burst"], 64); b > defaultBreakerBurst {
		return ok(whatBreaker, "%s (Deployment %s): a margin above the nearly 100 tokens a ServiceBundle's creation spends", strings.Join(shown, ", "), deployment)
	}
	return ok(whatBreaker, "%s (Deployment %s): a ServiceBundle's creation spends nearly all of a composite's 100 default tokens; a higher --circuit-breaker-burst leaves a margin (docs/design.md)", strings.Join(shown, ", "), deployment)
}

// truthy reads a boolean flag as kong does (strconv.ParseBool).
func truthy(v string) bool {
	b, err := strconv.ParseBool(v)
	return err != nil || b
}
