// Package awsstandin is a stand-in for the AWS APIs paved reads, for
// tests: an HTTP server on 127.0.0.1 that answers requests with recorded
// AWS API answers (recorded/), held to AWS's wire contract where a bug
// could hide:
//
//   - every request must carry a valid Signature Version 4 signature, by
//     known credentials, scoped to the stand-in's region and to the
//     service the request is for
//     (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html);
//   - EC2 and STS are AWS Query APIs (POST, form-encoded Action, Version
//     and parameters; XML answers:
//     https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html,
//     https://docs.aws.amazon.com/STS/latest/APIReference/CommonParameters.html),
//     KMS is AWS JSON 1.1 (POST, X-Amz-Target TrentService.<Action>, a JSON
//     body: https://docs.aws.amazon.com/kms/latest/APIReference/Welcome.html);
//   - a request the stand-in has no recorded answer for (another action,
//     other parameters) is refused with the service's own error and fails
//     the test, so a wrong or a mutating call cannot pass unnoticed.
//
// Errors are answered in each protocol's format: EC2's
// <Response><Errors><Error> (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html),
// the Query APIs' <ErrorResponse> and JSON's {"__type", "message"}.
package awsstandin

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

//go:embed recorded
var recorded embed.FS

// A service's protocol.
type service struct {
	// Query APIs: the API version every request names.
	version string
	// JSON APIs: the X-Amz-Target prefix of the action.
	target string
	// Content-Type of answers.
	contentType string
	// Where the service answers errors: "ec2", "query" or "json".
	errors string
}

// services by their SigV4 signing name (the credential scope's service).
var services = map[string]service{
	"ec2": {version: "2016-11-15", contentType: "text/xml;charset=UTF-8", errors: "ec2"},
	"sts": {version: "2011-06-15", contentType: "text/xml", errors: "query"},
	"kms": {target: "TrentService.", contentType: "application/x-amz-json-1.1", errors: "json"},
}

// An Answer is a recorded AWS answer to one request.
type Answer struct {
	// Service is the signing name: ec2, kms or sts.
	Service string
	// Action is the API action, e.g. DescribeSubnets.
	Action string
	// Request is what the request must carry besides its action: for
	// the Query APIs the form parameters other than Action and Version,
	// URL-encoded (Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-...); for
	// JSON APIs the JSON body. Compared by value.
	Request string
	// Status of the answer; 0 is 200.
	Status int
	// Body is the file under recorded/ that is the answer's body.
	Body string
	// Times is how many requests this answer answers before the next
	// matching one takes over; 0 is every request.
	Times int
}

// A Call is a request the stand-in answered or refused.
type Call struct {
	Service, Action string
	// Request as in Answer.
	Request   string
	AccessKey string
	// Invocation is the SDK's id of the operation the request is an
	// attempt of (header amz-sdk-invocation-id): the SDK's retries of
	// one call share it.
	Invocation string
	// Answer is the recorded body the stand-in answered with, if it did.
	Answer string
	// Refused is why the stand-in refused the request, if it did.
	Refused string
}

// IAMAction is the call's IAM action, such as ec2:DescribeVpcs.
func (c Call) IAMAction() string { return c.Service + ":" + c.Action }

// A Server is a running stand-in.
type Server struct {
	URL string

	t       testing.TB
	region  string
	secrets map[string]string

	mu      sync.Mutex
	answers []*answer
	calls   []Call
}

type answer struct {
	Answer
	used int
}

// New starts a stand-in for region that accepts requests signed with the
// credentials (access key id to secret access key) and answers with
// answers, first match first. Every answer's body must exist. The server
// stops at the end of the test.
func New(t testing.TB, region string, credentials map[string]string, answers ...Answer) *Server {
	t.Helper()
	s := &Server{t: t, region: region, secrets: credentials}
	for _, a := range answers {
		if _, ok := services[a.Service]; !ok {
			t.Fatalf("stand-in: unknown service %q", a.Service)
		}
		if _, err := recorded.ReadFile("recorded/" + a.Body); err != nil {
			t.Fatalf("stand-in: answer %s %s: %v", a.Service, a.Action, err)
		}
		s.answers = append(s.answers, &answer{Answer: a})
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Calls returns the requests so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Operations returns the SDK's operations so far, in order: one call per
// invocation, its last attempt. The SDK retries more than throttling: on
// loopback it also retries, now and then, a response whose connection
// net/http closed under it (smithy-go closes the request body when
// RoundTrip returns, while net/http may still read it: aws-sdk-go-v2
// issues 1825 and 2737; the SDK retries net.ErrClosed since pull request
// 2949), so tests count operations, not requests.
func (s *Server) Operations() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ops []Call
	at := map[string]int{}
	for _, c := range s.calls {
		if i, ok := at[c.Invocation]; ok && c.Invocation != "" {
			ops[i] = c
			continue
		}
		at[c.Invocation] = len(ops)
		ops = append(ops, c)
	}
	return ops
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	call, svc, status, code, msg := s.parse(r, body)
	if code == "" {
		a := s.match(call)
		if a != nil {
			b, _ := recorded.ReadFile("recorded/" + a.Body)
			call.Answer = a.Body
			s.record(call)
			w.Header().Set("Content-Type", svc.contentType)
			w.Header().Set("X-Amzn-Requestid", "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE")
			w.Header().Set("Content-Length", fmt.Sprint(len(b)))
			st := a.Status
			if st == 0 {
				st = http.StatusOK
			}
			w.WriteHeader(st)
			_, _ = w.Write(b) // The client sees a broken answer.
			return
		}
		status = http.StatusBadRequest
		code, msg = s.unknown(call, svc)
	}
	call.Refused = code + ": " + msg
	s.record(call)
	s.t.Errorf("AWS stand-in refused %s %s (%s): %s: %s", call.IAMAction(), call.Request, call.AccessKey, code, msg)
	writeError(w, svc, status, code, msg)
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

// match returns the first answer to call with uses left, and counts its use.
func (s *Server) match(c Call) *answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.answers {
		if a.Service != c.Service || a.Action != c.Action || (a.Times > 0 && a.used >= a.Times) {
			continue
		}
		if !sameRequest(services[c.Service], a.Request, c.Request) {
			continue
		}
		a.used++
		return a
	}
	return nil
}

// unknown is the service's refusal of a request it has no answer for: an
// unknown action, or parameters the stand-in was not given an answer for.
func (s *Server) unknown(c Call, svc service) (code, msg string) {
	s.mu.Lock()
	known := false
	for _, a := range s.answers {
		known = known || (a.Service == c.Service && a.Action == c.Action)
	}
	s.mu.Unlock()
	switch {
	case !known && svc.errors == "json":
		return "UnknownOperationException", "no recorded answer for action " + c.Action
	case !known:
		return "InvalidAction", fmt.Sprintf("The action %s is not valid for this web service (no recorded answer).", c.Action)
	case svc.errors == "json":
		return "ValidationException", "no recorded answer for these parameters"
	}
	return "InvalidParameterValue", "no recorded answer for these parameters"
}

// parse checks the request's signature and protocol and returns the call;
// code is set when the request is refused.
func (s *Server) parse(r *http.Request, body []byte) (c Call, svc service, status int, code, msg string) {
	auth, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return c, services["sts"], http.StatusForbidden, "IncompleteSignature", err.Error()
	}
	c.Service, c.AccessKey = auth.service, auth.accessKey
	c.Invocation = r.Header.Get("Amz-Sdk-Invocation-Id")
	svc, ok := services[auth.service]
	if !ok {
		return c, services["sts"], http.StatusBadRequest, "InvalidAction", "the stand-in serves no service " + auth.service
	}
	// The action, so that a refusal names it.
	var form url.Values
	if svc.version != "" {
		form, _ = url.ParseQuery(string(body))
		c.Action = form.Get("Action")
	} else {
		c.Action = strings.TrimPrefix(r.Header.Get("X-Amz-Target"), svc.target)
	}

	secret, ok := s.secrets[auth.accessKey]
	switch {
	case !ok:
		return c, svc, http.StatusForbidden, map[string]string{"ec2": "AuthFailure", "query": "InvalidClientTokenId", "json": "UnrecognizedClientException"}[svc.errors],
			"The security token included in the request is invalid."
	case auth.region != s.region:
		return c, svc, http.StatusForbidden, "SignatureDoesNotMatch", fmt.Sprintf("Credential should be scoped to a valid region, not '%s'.", auth.region)
	case !auth.verify(r, body, secret):
		return c, svc, http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."
	case r.Method != http.MethodPost || r.URL.Path != "/":
		return c, svc, http.StatusBadRequest, "InvalidAction", fmt.Sprintf("%s %s: the stand-in takes POST / only", r.Method, r.URL.Path)
	}

	if svc.version != "" {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			return c, svc, http.StatusBadRequest, "InvalidParameterValue", "Content-Type " + ct + ", want application/x-www-form-urlencoded"
		}
		if v := form.Get("Version"); v != svc.version {
			return c, svc, http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("Version %q, want %q", v, svc.version)
		}
		form.Del("Action")
		form.Del("Version")
		c.Request = form.Encode()
		return c, svc, 0, "", ""
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		return c, svc, http.StatusBadRequest, "ValidationException", "Content-Type " + ct + ", want application/x-amz-json-1.1"
	}
	if !strings.HasPrefix(r.Header.Get("X-Amz-Target"), svc.target) {
		return c, svc, http.StatusBadRequest, "UnknownOperationException", "X-Amz-Target " + r.Header.Get("X-Amz-Target")
	}
	if !json.Valid(body) {
		return c, svc, http.StatusBadRequest, "SerializationException", "the body is not JSON"
	}
	c.Request = string(body)
	return c, svc, 0, "", ""
}

// sameRequest compares requests by value: form parameters as sets of
// values, JSON as documents.
func sameRequest(svc service, want, got string) bool {
	if svc.version != "" {
		w, err1 := url.ParseQuery(want)
		g, err2 := url.ParseQuery(got)
		return err1 == nil && err2 == nil && reflect.DeepEqual(w, g)
	}
	if want == "" {
		want = "{}"
	}
	var w, g any
	if json.Unmarshal([]byte(want), &w) != nil || json.Unmarshal([]byte(got), &g) != nil {
		return false
	}
	return reflect.DeepEqual(w, g)
}

func writeError(w http.ResponseWriter, svc service, status int, code, msg string) {
	var b bytes.Buffer
	switch svc.errors {
	case "ec2":
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestID></Response>`, xmlEscape(code), xmlEscape(msg))
	case "query":
		fmt.Fprintf(&b, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ErrorResponse>`, xmlEscape(code), xmlEscape(msg))
	default:
		j, _ := json.Marshal(map[string]string{"__type": code, "message": msg}) //nolint:errchkjson // A map of strings always marshals.
		b.Write(j)
	}
	w.Header().Set("Content-Type", svc.contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes()) // The client sees a broken answer.
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// authorization is a parsed SigV4 Authorization header.
type authorization struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

// parseAuthorization reads
// "AWS4-HMAC-SHA256 Credential=AKID/20250101/eu-west-1/ec2/aws4_request, SignedHeaders=a;b, Signature=hex".
func parseAuthorization(h string) (authorization, error) {
	var a authorization
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return a, fmt.Errorf("authorization header %q is not AWS4-HMAC-SHA256", h)
	}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" {
				return a, fmt.Errorf("credential %q is not <key>/<date>/<region>/<service>/aws4_request", v)
			}
			a.accessKey, a.date, a.region, a.service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	if a.accessKey == "" || len(a.signedHeaders) == 0 || a.signature == "" {
		return a, fmt.Errorf("authorization header lacks Credential, SignedHeaders or Signature")
	}
	return a, nil
}

// verify recomputes the signature as AWS does, from the headers the
// request says it signed.
func (a authorization) verify(r *http.Request, body []byte, secret string) bool {
	amzDate := r.Header.Get("X-Amz-Date")
	if !strings.HasPrefix(amzDate, a.date) || !slices.Contains(a.signedHeaders, "host") {
		return false
	}
	headers := append([]string(nil), a.signedHeaders...)
	sort.Strings(headers)
	var canon strings.Builder
	for _, h := range headers {
		var v string
		switch h {
		case "host":
			v = r.Host
		case "content-length":
			v = fmt.Sprint(r.ContentLength)
		default:
			vs := r.Header.Values(h)
			for i := range vs {
				vs[i] = strings.Join(strings.Fields(vs[i]), " ")
			}
			v = strings.Join(vs, ",")
		}
		canon.WriteString(h + ":" + v + "\n")
	}
	payload := sha256.Sum256(body)
	request := strings.Join([]string{r.Method, "/", r.URL.RawQuery, canon.String(), strings.Join(headers, ";"), hex.EncodeToString(payload[:])}, "\n")
	rh := sha256.Sum256([]byte(request))
	scope := strings.Join([]string{a.date, a.region, a.service, "aws4_request"}, "/")
	toSign := strings.Join([]string{"AWS4-HMAC-SHA256", amzDate, scope, hex.EncodeToString(rh[:])}, "\n")
	key := []byte("AWS4" + secret)
	for _, p := range []string{a.date, a.region, a.service, "aws4_request"} {
		key = mac(key, p)
	}
	return hmac.Equal([]byte(hex.EncodeToString(mac(key, toSign))), []byte(a.signature))
}

func mac(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
