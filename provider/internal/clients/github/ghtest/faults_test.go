package ghtest

import (
	"net/http"
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
