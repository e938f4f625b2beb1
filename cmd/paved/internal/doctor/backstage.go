package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const (
	whatBackstage      = "backstage"
	whatBackstageRules = "backstage catalog rules"
)

// rulesFix is the catalog.rules README.md's Install section documents
// (fn/servicebundle TestCatalogRulesAsDocumented keeps the README and the
// tests' Backstage equal), as one line of YAML.
const rulesFix = "`catalog: {rules: [{allow: [Component, API, Location]}, {allow: [Resource]}]}`"

// maxProbes bounds how many of paved's CatalogLocations doctor asks
// Backstage about before it gives up finding a Resource among them.
const maxProbes = 3

// provider-paved's CatalogLocation (provider/apis/backstage/v1alpha1),
// cluster-scoped; its status.atProvider.target is the URL it registered.
var gvkCatalogLocationList = schema.GroupVersionKind{Group: "backstage.paved.dev", Version: "v1alpha1", Kind: "CatalogLocationList"}

// backstage checks that the catalog of the ProviderConfig's Backstage
// answers its token, then whether its catalog.rules accept Resource
// entities, which paved registers for each service's database and bucket
// (README, Install).
//
// The token is checked with GET /api/catalog/entities/by-query?filter=kind=resource&limit=1,
// whose answer is {items, totalItems, pageInfo} (Backstage
// plugins/catalog-backend/src/schema/openapi.yaml, /entities/by-query),
// sent as a bearer token, the static external-access token
// (https://backstage.io/docs/auth/service-to-service-auth#static-tokens),
// as provider-paved does (provider/internal/clients/backstage).
func (d *Doctor) backstage(ctx context.Context, pc map[string]any, token, pcName string) []Result {
	base, _ := pc["baseURL"].(string)
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return []Result{fail(whatBackstage, "spec.backstage.baseURL %q is no http(s) URL: set Backstage's base URL (https://backstage.example.com)", base)}
	}
	catalog := strings.TrimRight(u.String(), "/") + "/api/catalog"
	q := url.Values{"filter": {"kind=resource"}, "limit": {"1"}}
	var page struct {
		TotalItems int `json:"totalItems"`
	}
	code, _, err := d.get(ctx, catalog+"/entities/by-query?"+q.Encode(), token, nil, &page)
	switch {
	case err != nil && code == 0:
		return []Result{warn(whatBackstage, "cannot reach %s from here (%v): check from inside the cluster that provider-paved reaches it", base, unwrapURL(err))}
	case err != nil:
		return []Result{fail(whatBackstage, "%s: %v", base, err)}
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return []Result{fail(whatBackstage, "%s refuses the ProviderConfig's token (HTTP %d): give it a static external-access token of backend.auth.externalAccess (https://backstage.io/docs/auth/service-to-service-auth#static-tokens)", base, code)}
	case code != http.StatusOK:
		return []Result{fail(whatBackstage, "%s answers the catalog query with HTTP %d: check that the catalog backend runs at this base URL", base, code)}
	}
	return []Result{
		ok(whatBackstage, "%s answers the catalog with the token", base),
		d.catalogRules(ctx, base, catalog, token, pcName, page.TotalItems),
	}
}

// catalogRules asks Backstage whether its catalog.rules accept the
// Resource entities of a location paved registered, without registering
// anything: POST /api/catalog/locations?dryRun=true with {type: url,
// target} (plugins/catalog-backend src/service/createRouter.ts). A dry run
// first needs the permission to create locations, as a registration does
// (src/service/AuthorizedLocationService.ts, catalogLocationCreatePermission:
// 403 NotAllowedError otherwise), then reads the target and processes the
// entities in it as a registration would, writing nothing
// (src/service/DefaultLocationService.ts, dryRunCreateLocation and
// processEntities: orchestrator.process without the cache or the store).
// Processing the location entity checks each entity read from its target
// with DefaultCatalogRulesEnforcer.isAllowed against the location
// (src/processing/DefaultCatalogProcessingOrchestrator.ts; the rules are
// catalog.rules, or else Component, API and Location only:
// src/ingestion/CatalogRules.ts), and a refusal is a 400 InputError
// whose message says "is not of an allowed kind for that location".
// Verified against @backstage/plugin-catalog-backend 4.0.5, the version
// test/backstage pins, in TestDoctorBackstageRules.
//
// The location asked about is one of provider-paved's CatalogLocations
// for this ProviderConfig (the URL of a service's catalog-info.yaml,
// which Backstage can read as it reads every registration); only one
// that holds a Resource answers the question. Without such a location
// doctor says what the catalog already holds.
func (d *Doctor) catalogRules(ctx context.Context, base, catalog, token, pcName string, resources int) Result {
	targets, err := d.catalogLocationTargets(ctx, pcName)
	if err != nil {
		return warn(whatBackstageRules, "cannot list provider-paved's CatalogLocations to ask %s about one: %v; make sure catalog.rules allow Resource: %s (README, Install)", base, err, rulesFix)
	}
	var unread []string
	for _, target := range targets {
		var dry struct {
			Entities []struct {
				Kind string `json:"kind"`
			} `json:"entities"`
		}
		code, _, body, err := d.call(ctx, http.MethodPost, catalog+"/locations?dryRun=true", token, nil,
			map[string]string{"type": "url", "target": target}, &dry)
		msg := backstageMessage(body)
		switch {
		case err != nil && code == 0:
			return warn(whatBackstageRules, "cannot reach %s from here (%v)", base, unwrapURL(err))
		case err != nil:
			return warn(whatBackstageRules, "%s: %v", base, err)
		case code == http.StatusForbidden:
			return fail(whatBackstageRules, "%s does not let the ProviderConfig's token register locations (HTTP 403 on a dry run: %s), so provider-paved cannot register a service's catalog-info.yaml: allow it catalog.location.create in Backstage's permission policy", base, orNone(msg))
		case code == http.StatusBadRequest && strings.Contains(msg, "is not of an allowed kind"):
			return fail(whatBackstageRules, "%s refuses the entities of %s (a dry run: %s): its catalog.rules do not allow Resource, so no service's database or bucket reaches the catalog; set them in Backstage's app-config.yaml to %s, or, where catalog.rules is set already, add `- allow: [Resource]` to it (setting catalog.rules replaces Backstage's default; README, Install)", base, target, msg, rulesFix)
		case code/100 == 2:
			for _, e := range dry.Entities {
				if strings.EqualFold(e.Kind, "Resource") {
					return ok(whatBackstageRules, "%s accepts the Resource entities of %s (a dry run of its registration)", base, target)
				}
			}
			unread = append(unread, target+" holds no Resource")
		default:
			unread = append(unread, fmt.Sprintf("%s: HTTP %d %s", target, code, orNone(msg)))
		}
	}
	why := "no CatalogLocation of provider-paved's for ProviderConfig " + pcName + " is registered yet"
	if len(unread) > 0 {
		why = "no CatalogLocation it was asked about answered with a Resource (" + strings.Join(unread, "; ") + ")"
	}
	if resources > 0 {
		return ok(whatBackstageRules, "%s holds Resource entities, so its catalog.rules allow them from some location; %s to ask about paved's", base, why)
	}
	return warn(whatBackstageRules, "whether %s accepts Resource entities cannot be asked: %s, and its catalog holds none; make sure catalog.rules allow Resource: %s (README, Install)", base, why, rulesFix)
}

// catalogLocationTargets returns the registered targets of provider-paved's
// CatalogLocations of the ProviderConfig pcName, at most maxProbes, in name
// order; none where the API is not served.
func (d *Doctor) catalogLocationTargets(ctx context.Context, pcName string) ([]string, error) {
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(gvkCatalogLocationList)
	if err := d.Client.List(ctx, l); err != nil {
		if meta.IsNoMatchError(err) {
			return nil, nil
		}
		return nil, err
	}
	items := l.Items
	sort.Slice(items, func(i, j int) bool { return items[i].GetName() < items[j].GetName() })
	var out []string
	for _, o := range items {
		// The ProviderConfig a managed resource names, default "default"
		// (package/crds/backstage.paved.dev_cataloglocations.yaml).
		pc, found, _ := unstructured.NestedString(o.Object, "spec", "providerConfigRef", "name")
		if !found {
			pc = "default"
		}
		target, _, _ := unstructured.NestedString(o.Object, "status", "atProvider", "target")
		if pc != pcName || target == "" {
			continue
		}
		if out = append(out, target); len(out) == maxProbes {
			break
		}
	}
	return out, nil
}

// backstageMessage is the message of Backstage's error body,
// {error: {name, message}, request, response} (@backstage/errors
// serializeError via the backend's error handler), or "".
func backstageMessage(body []byte) string {
	var e struct {
		Error struct {
			Name    string `json:"name"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Message == "" {
		return ""
	}
	return e.Error.Name + ": " + e.Error.Message
}
