// Package backstage is a small, typed client of the Backstage catalog API
// (the /api/catalog routes of a Backstage backend), built on net/http.
//
// Requests are authenticated with a static external-access token sent as a
// bearer token. The token never appears in errors: an *Error carries only the
// method, the API path, the status code and Backstage's own error name and
// message.
package backstage

import (
	"bytes"
	"context"
	"crypto/sha1" //nolint:gosec // Backstage's naming scheme, not a security use.
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errBaseURL      = "invalid Backstage base URL"
	errBaseURLAbs   = "Backstage base URL must be an absolute http or https URL without user information, query or fragment"
	errNoToken      = "Backstage token is empty"
	errEncode       = "cannot encode request body"
	errNewRequest   = "cannot build request"
	errDo           = "cannot send request to Backstage"
	errDecode       = "cannot decode Backstage response"
	errReadResponse = "cannot read Backstage response"
	errEmptyID      = "location id is empty"
	errEntityName   = "entity kind and name must not be empty"
)

// DefaultTimeout bounds one request when no *http.Client is given.
const DefaultTimeout = 30 * time.Second

// maxBody bounds how much of a successful response is read.
const maxBody = 16 << 20

// A Client talks to the catalog API of one Backstage backend.
type Client struct {
	base  *url.URL // e.g. https://backstage.example.com (no trailing slash)
	token string
	http  *http.Client
}

// An Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests through hc.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// New returns a Client of the Backstage backend at baseURL (the backend's base
// URL, e.g. https://backstage.example.com; the catalog API is under
// /api/catalog) authenticating with the static token.
func New(baseURL, token string, o ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		// url.Parse's error quotes the URL; the base URL carries no secret
		// (user information is refused below), but keep the message constant.
		return nil, errors.New(errBaseURL)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New(errBaseURLAbs)
	}
	if token == "" {
		return nil, errors.New(errNoToken)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	c := &Client{base: u, token: token, http: &http.Client{Timeout: DefaultTimeout}}
	for _, fn := range o {
		fn(c)
	}
	return c, nil
}

// A Location is a registered catalog location.
type Location struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Target string `json:"target"`
	// EntityRef is the ref of the Location entity the catalog made for the
	// location (location:default/generated-<sha1hex>), where the backend
	// reports it.
	EntityRef string `json:"entityRef,omitempty"`
}

// AddLocationRequest is the body of POST /locations.
type AddLocationRequest struct {
	Type   string `json:"type"`
	Target string `json:"target"`
}

// AddLocationResponse is the answer of POST /locations (201).
type AddLocationResponse struct {
	// Exists is only set by a dry run: whether a location with this target
	// is already registered.
	Exists *bool `json:"exists,omitempty"`
	// Location is the registered location (or the one a dry run would
	// register).
	Location Location `json:"location"`
	// Entities are the entities read from the target. A real registration
	// returns none (processing happens later); a dry run returns what it
	// read.
	Entities []Entity `json:"entities"`
}

// EntityMetadata is the metadata of a catalog entity.
type EntityMetadata struct {
	UID         string            `json:"uid,omitempty"`
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Title       string            `json:"title,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
}

// EntityRelation is a relation of a catalog entity.
type EntityRelation struct {
	Type      string `json:"type"`
	TargetRef string `json:"targetRef"`
}

// SerializedError is an error as Backstage serialises it into an entity's
// status.
type SerializedError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

// EntityStatusItem is one item of an entity's status, e.g. a processing
// error (type backstage.io/catalog-processing, level error).
type EntityStatusItem struct {
	Type    string           `json:"type"`
	Level   string           `json:"level"`
	Message string           `json:"message"`
	Error   *SerializedError `json:"error,omitempty"`
}

// EntityStatus is the status of a catalog entity.
type EntityStatus struct {
	Items []EntityStatusItem `json:"items,omitempty"`
}

// An Entity is a catalog entity. Spec is kept raw: paved does not interpret
// the kinds' specs.
type Entity struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Metadata   EntityMetadata   `json:"metadata"`
	Spec       json.RawMessage  `json:"spec,omitempty"`
	Relations  []EntityRelation `json:"relations,omitempty"`
	Status     *EntityStatus    `json:"status,omitempty"`
}

// DefaultNamespace is the namespace of an entity that names none.
const DefaultNamespace = "default"

// Ref returns the entity's reference, kind:namespace/name, in Backstage's
// canonical form (lower-cased, as stringifyEntityRef).
func (e *Entity) Ref() string {
	return EntityRef(e.Kind, e.Metadata.Namespace, e.Metadata.Name)
}

// EntityRef returns the canonical reference kind:namespace/name, lower-cased
// as Backstage's stringifyEntityRef does. An empty namespace is the default
// namespace.
func EntityRef(kind, namespace, name string) string {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	return strings.ToLower(kind + ":" + namespace + "/" + name)
}

// AnnotationManagedByOriginLocation is the annotation Backstage sets on every
// entity read from a registered location (directly or through nested
// locations): "<type>:<target>" of the registered location.
const AnnotationManagedByOriginLocation = "backstage.io/managed-by-origin-location"

// AnnotationManagedByLocation is the annotation Backstage sets on every
// entity to the location it was read from.
const AnnotationManagedByLocation = "backstage.io/managed-by-location"

// LocationEntityName returns the name of the Location entity the catalog
// makes for a registered location: "generated-" and the hex SHA-1 of
// "<type>:<target>" (locationSpecToMetadataName in the catalog backend). The
// entity lives in the default namespace.
func LocationEntityName(typ, target string) string {
	sum := sha1.Sum([]byte(typ + ":" + target)) //nolint:gosec // Backstage's naming scheme, not a security use.
	return "generated-" + hex.EncodeToString(sum[:])
}

// LocationRef returns "<type>:<target>", the form of the managed-by
// annotations.
func LocationRef(typ, target string) string { return typ + ":" + target }

// AddLocation registers a location (POST /locations). With dryRun the catalog
// reads and validates the target synchronously and registers nothing; it
// answers 400 (an InputError with the reason) when the target cannot be read
// or holds invalid entities. A real registration does not read the target; a
// location with the same target answers 409.
func (c *Client) AddLocation(ctx context.Context, req AddLocationRequest, dryRun bool) (*AddLocationResponse, error) {
	q := url.Values{}
	if dryRun {
		q.Set("dryRun", "true")
	}
	out := &AddLocationResponse{}
	if err := c.do(ctx, http.MethodPost, "/locations", q, req, out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetLocation returns the location with the id (GET /locations/{id}); 404
// when there is none.
func (c *Client) GetLocation(ctx context.Context, id string) (*Location, error) {
	if id == "" {
		return nil, errors.New(errEmptyID)
	}
	out := &Location{}
	if err := c.do(ctx, http.MethodGet, "/locations/"+url.PathEscape(id), nil, nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListLocations returns every registered location (GET /locations).
func (c *Client) ListLocations(ctx context.Context) ([]Location, error) {
	var items []struct {
		Data Location `json:"data"`
	}
	if err := c.do(ctx, http.MethodGet, "/locations", nil, nil, &items); err != nil {
		return nil, err
	}
	out := make([]Location, 0, len(items))
	for _, i := range items {
		out = append(out, i.Data)
	}
	return out, nil
}

// GetLocationByEntity returns the location an entity was read from (GET
// /locations/by-entity/{kind}/{namespace}/{name}).
func (c *Client) GetLocationByEntity(ctx context.Context, kind, namespace, name string) (*Location, error) {
	p, err := entityPath("/locations/by-entity", kind, namespace, name)
	if err != nil {
		return nil, err
	}
	out := &Location{}
	if err := c.do(ctx, http.MethodGet, p, nil, nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetEntityByName returns an entity (GET /entities/by-name/{kind}/{namespace}/{name});
// 404 when there is none.
func (c *Client) GetEntityByName(ctx context.Context, kind, namespace, name string) (*Entity, error) {
	p, err := entityPath("/entities/by-name", kind, namespace, name)
	if err != nil {
		return nil, err
	}
	out := &Entity{}
	if err := c.do(ctx, http.MethodGet, p, nil, nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListEntities returns the entities matching every filter (GET
// /entities?filter=key=value,...). Each filter is one key=value condition;
// filters are ANDed. A value the filter syntax cannot carry (a comma) is
// matched by the client (filter.go).
func (c *Client) ListEntities(ctx context.Context, filters map[string]string) ([]Entity, error) {
	conds, err := filterConds(filters)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	if len(conds) > 0 {
		// One filter parameter with comma-separated conditions ANDs them.
		q.Set("filter", filterParam(conds))
	}
	var raw []json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/entities", q, nil, &raw); err != nil {
		return nil, err
	}
	out := make([]Entity, 0, len(raw))
	for _, r := range raw {
		ok, err := matchesLocal(r, conds)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		var e Entity
		if err := json.Unmarshal(r, &e); err != nil {
			return nil, errors.Wrap(err, errDecode)
		}
		out = append(out, e)
	}
	return out, nil
}

// RefreshRequest is the body of POST /refresh.
type RefreshRequest struct {
	EntityRef string `json:"entityRef"`
}

// Refresh asks the catalog to process an entity (and what it emits) again
// soon (POST /refresh).
func (c *Client) Refresh(ctx context.Context, entityRef string) error {
	return c.do(ctx, http.MethodPost, "/refresh", nil, RefreshRequest{EntityRef: entityRef}, nil)
}

// DeleteLocation removes a location (DELETE /locations/{id}); the entities
// read from it are removed by the catalog. 404 when there is none.
func (c *Client) DeleteLocation(ctx context.Context, id string) error {
	if id == "" {
		return errors.New(errEmptyID)
	}
	return c.do(ctx, http.MethodDelete, "/locations/"+url.PathEscape(id), nil, nil, nil)
}

func entityPath(prefix, kind, namespace, name string) (string, error) {
	if kind == "" || name == "" {
		return "", errors.New(errEntityName)
	}
	if namespace == "" {
		namespace = DefaultNamespace
	}
	return prefix + "/" + url.PathEscape(kind) + "/" + url.PathEscape(namespace) + "/" + url.PathEscape(name), nil
}

// do sends one request to /api/catalog<path> and decodes a 2xx JSON answer
// into out (when out is not nil). A non-2xx answer is returned as *Error.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return errors.Wrap(err, errEncode)
		}
		body = bytes.NewReader(b)
	}
	// path is already escaped; the base URL has no query or fragment.
	apiPath := "/api/catalog" + path
	u := c.base.String() + apiPath
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return errors.Wrap(err, errNewRequest)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rsp, err := c.http.Do(req)
	if err != nil {
		// *url.Error names the method and URL (no headers, so no token).
		return errors.Wrap(err, errDo)
	}
	defer rsp.Body.Close() //nolint:errcheck // Nothing useful to do with a close error of a read body.
	if rsp.StatusCode < 200 || rsp.StatusCode > 299 {
		return decodeError(method, apiPath, rsp)
	}
	if out == nil || rsp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(rsp.Body, maxBody))
		return nil
	}
	raw, err := io.ReadAll(io.LimitReader(rsp.Body, maxBody))
	if err != nil {
		return errors.Wrap(err, errReadResponse)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return errors.Wrap(err, errDecode)
	}
	return nil
}
