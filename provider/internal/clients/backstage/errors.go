package backstage

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Backstage error names (the "name" of the error body) that paved acts on.
const (
	ErrorNameInput          = "InputError"
	ErrorNameNotFound       = "NotFoundError"
	ErrorNameConflict       = "ConflictError"
	ErrorNameAuthentication = "AuthenticationError"
	ErrorNameNotAllowed     = "NotAllowedError"
)

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// maxMessage bounds the length of a message carried into an error (and so
// into a condition).
const maxMessage = 1024

// An Error is a non-2xx answer of the Backstage catalog API, decoded from
// Backstage's error body:
//
//	{"error":{"name":"InputError","message":"..."},"request":{...},"response":{"statusCode":400}}
//
// It carries the method and the API path of the request, never the request's
// headers (so never the token).
type Error struct {
	// StatusCode is the HTTP status code of the response.
	StatusCode int
	// Name is the error name reported by Backstage (e.g. InputError); empty
	// when the body was not a Backstage error body.
	Name string
	// Message is the reason reported by Backstage, or a short excerpt of the
	// body when it was not a Backstage error body.
	Message string
	// Method and Path identify the request (path without query string).
	Method string
	Path   string
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "backstage %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Name != "" {
		fmt.Fprintf(&b, ": %s", e.Name)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	return b.String()
}

type errorBody struct {
	Error struct {
		Name    string `json:"name"`
		Message string `json:"message"`
	} `json:"error"`
}

// decodeError builds an *Error from a non-2xx response. The caller closes the
// body.
func decodeError(method, path string, rsp *http.Response) error {
	e := &Error{StatusCode: rsp.StatusCode, Method: method, Path: path}
	raw, err := io.ReadAll(io.LimitReader(rsp.Body, maxErrorBody))
	if err != nil {
		e.Message = "cannot read error body"
		return e
	}
	var body errorBody
	if json.Unmarshal(raw, &body) == nil && (body.Error.Name != "" || body.Error.Message != "") {
		e.Name = body.Error.Name
		e.Message = truncate(body.Error.Message)
		return e
	}
	e.Message = truncate(strings.TrimSpace(string(raw)))
	return e
}

func truncate(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	return s[:maxMessage] + "..."
}

func statusIs(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == code
}

// IsNotFound reports whether err is a 404 answer of the catalog API.
func IsNotFound(err error) bool { return statusIs(err, http.StatusNotFound) }

// IsConflict reports whether err is a 409 answer (e.g. a location with the
// same target is already registered).
func IsConflict(err error) bool { return statusIs(err, http.StatusConflict) }

// IsUnauthorized reports whether err is a 401 answer (missing or wrong
// token).
func IsUnauthorized(err error) bool { return statusIs(err, http.StatusUnauthorized) }

// IsForbidden reports whether err is a 403 answer.
func IsForbidden(err error) bool { return statusIs(err, http.StatusForbidden) }

// IsInputError reports whether err is a 400 answer; Backstage names these
// InputError and gives the reason in the message.
func IsInputError(err error) bool { return statusIs(err, http.StatusBadRequest) }

// Reason returns the message Backstage gave for err, or "" when err is not an
// *Error.
func Reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}
