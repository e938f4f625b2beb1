package ghtest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestInjectRandom(t *testing.T) {
	v, err := LoadValidator()
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(v)
	defer s.Close()
	s.AddToken("tok", "octo")
	c := &http.Client{Timeout: 200 * time.Millisecond}
	get := func() int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/user", nil)
		req.Header.Set("Authorization", "Bearer tok")
		rsp, err := c.Do(req)
		if err != nil {
			return 0 // the client gave up: a timeout
		}
		_ = rsp.Body.Close()
		return rsp.StatusCode
	}

	s.InjectRandom(0.25, 1,
		Fault{Name: "5xx", Status: http.StatusBadGateway},
		Fault{Name: "secondary", Status: http.StatusForbidden, RetryAfter: 1},
		Fault{Name: "timeout", AfterHandling: true, Delay: time.Second},
	)
	const n = 400
	got := map[int]int{}
	for range n {
		got[get()]++
	}
	st := s.Stats()
	if st.FaultsInjected != n-got[http.StatusOK] {
		t.Errorf("FaultsInjected = %d, but %d of %d requests were not answered 200", st.FaultsInjected, n-got[http.StatusOK], n)
	}
	// 25% of 400 is 100; a fixed seed makes the draw repeatable, the bounds
	// only guard against a rate that is not applied at all or applied twice.
	if st.FaultsInjected < 60 || st.FaultsInjected > 140 {
		t.Errorf("FaultsInjected = %d, want about 100 (25%% of %d)", st.FaultsInjected, n)
	}
	for name, status := range map[string]int{"5xx": http.StatusBadGateway, "secondary": http.StatusForbidden, "timeout": 0} {
		if st.FaultsByName[name] == 0 || st.FaultsByName[name] != got[status] {
			t.Errorf("fault %s: injected %d, clients saw %d", name, st.FaultsByName[name], got[status])
		}
	}

	s.InjectRandom(0, 0)
	for range 20 {
		if code := get(); code != http.StatusOK {
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
