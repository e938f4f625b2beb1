package ghtest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestInjectRandom checks the stand-in's random faults by what it says it
// injected into each request (Stats.FaultsByName before and after it; the
// requests are sent one at a time), never by how long a response took: a
// status fault is answered with its status, a delayed response ("timeout")
// arrives no sooner than its delay and is the real answer, and a request
// with no fault is answered 200, however busy the machine is.
func TestInjectRandom(t *testing.T) {
	v, err := LoadValidator()
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(v)
	defer s.Close()
	s.AddToken("tok", "octo")
	const delay = 50 * time.Millisecond
	get := func() (int, time.Duration) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/user", nil)
		req.Header.Set("Authorization", "Bearer tok")
		begin := time.Now()
		rsp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = rsp.Body.Close()
		return rsp.StatusCode, time.Since(begin)
	}

	s.InjectRandom(0.25, 1,
		Fault{Name: "5xx", Status: http.StatusBadGateway},
		Fault{Name: "secondary", Status: http.StatusForbidden, RetryAfter: 1},
		Fault{Name: "timeout", AfterHandling: true, Delay: delay},
	)
	const n = 400
	want := map[string]int{"": http.StatusOK, "5xx": http.StatusBadGateway, "secondary": http.StatusForbidden, "timeout": http.StatusOK}
	seen := map[string]int{}
	for range n {
		before := s.Stats().FaultsByName
		status, took := get()
		after := s.Stats().FaultsByName
		fault := ""
		for name, c := range after {
			if c != before[name] {
				fault = name
			}
		}
		seen[fault]++
		if status != want[fault] {
			t.Errorf("fault %q: answered %d, want %d", fault, status, want[fault])
		}
		if fault == "timeout" && took < delay {
			t.Errorf("fault timeout: answered after %s, before its delay of %s", took, delay)
		}
	}
	st := s.Stats()
	if st.FaultsInjected != n-seen[""] {
		t.Errorf("FaultsInjected = %d, but %d of %d requests had a fault", st.FaultsInjected, n-seen[""], n)
	}
	// 25% of 400 is 100; a fixed seed makes the draw repeatable, the bounds
	// only guard against a rate that is not applied at all or applied twice.
	if st.FaultsInjected < 60 || st.FaultsInjected > 140 {
		t.Errorf("FaultsInjected = %d, want about 100 (25%% of %d)", st.FaultsInjected, n)
	}
	for _, name := range []string{"5xx", "secondary", "timeout"} {
		if seen[name] == 0 || st.FaultsByName[name] != seen[name] {
			t.Errorf("fault %s: injected %d, seen in %d requests", name, st.FaultsByName[name], seen[name])
		}
	}

	s.InjectRandom(0, 0)
	for range 20 {
		if code, _ := get(); code != http.StatusOK {
			t.Fatalf("after InjectRandom(0): status %d, want 200", code)
		}
	}
	if vs := s.Violations(); len(vs) > 0 {
		t.Errorf("OpenAPI violations: %v", vs)
	}
}

func TestFaultWindow(t *testing.T) {
	v, err := LoadValidator()
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(v)
	defer s.Close()
	s.AddToken("tok", "octo")
	c := &http.Client{Timeout: 2 * time.Second}
	send := func(method, path, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rsp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		_ = rsp.Body.Close()
		return rsp
	}
	create := func() *http.Response { return send(http.MethodPost, "/user/repos", `{"name":"svc","private":true}`) }

	// An outage: every request fails, until the window ends.
	s.StartFaultWindow(FaultWindow{Name: "outage", Status: http.StatusServiceUnavailable})
	for range 3 {
		if rsp := send(http.MethodGet, "/user", ""); rsp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("GET /user during an outage: status %d, want 503", rsp.StatusCode)
		}
	}
	if rsp := create(); rsp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("POST /user/repos during an outage: status %d, want 503", rsp.StatusCode)
	}
	if _, ok := s.Repo("octo", "svc"); ok {
		t.Error("a request answered 503 by the window created a repository")
	}
	if n := s.EndFaultWindow(); n != 4 {
		t.Errorf("EndFaultWindow() = %d, want the 4 requests it answered", n)
	}

	// A secondary rate limit on writes: reads pass, writes get 429 with
	// Retry-After.
	s.StartFaultWindow(FaultWindow{Name: "secondary", Status: http.StatusTooManyRequests, RetryAfter: 7, WritesOnly: true})
	if rsp := send(http.MethodGet, "/user", ""); rsp.StatusCode != http.StatusOK {
		t.Errorf("GET /user during a write window: status %d, want 200", rsp.StatusCode)
	}
	rsp := create()
	if rsp.StatusCode != http.StatusTooManyRequests || rsp.Header.Get("Retry-After") != "7" {
		t.Errorf("POST /user/repos during a write window: status %d, Retry-After %q; want 429, 7", rsp.StatusCode, rsp.Header.Get("Retry-After"))
	}
	if n := s.EndFaultWindow(); n != 1 {
		t.Errorf("EndFaultWindow() = %d, want 1 (the write)", n)
	}

	// Recovered.
	if rsp := create(); rsp.StatusCode != http.StatusCreated {
		t.Errorf("POST /user/repos after the window: status %d, want 201", rsp.StatusCode)
	}
	if n := s.EndFaultWindow(); n != 0 {
		t.Errorf("EndFaultWindow() without a window = %d, want 0", n)
	}
	st := s.Stats()
	if st.FaultsByName["outage"] != 4 || st.FaultsByName["secondary"] != 1 {
		t.Errorf("FaultsByName = %v, want outage 4, secondary 1", st.FaultsByName)
	}
	if vs := s.Violations(); len(vs) > 0 {
		t.Errorf("OpenAPI violations: %v", vs)
	}
}
