package loadtest_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/wsisvote/prizes/loadtest"
)

// The generator's client against net/http's, on the same vote request to
// the same local server, one connection kept alive: the CPU each spends per
// request is what the generator takes from the servers it measures on a
// two-core machine. Run with
//
//	go test -run '^$' -bench BenchmarkClient -benchmem -count 5 ./loadtest/
//
// and compare cpu-ns/op: the CPU the process spent per request, client and
// server together; the server's share is the same in both, so the difference
// is the clients'. ns/op is dominated by the round trip's latency.

const benchBody = `{"project_id":"0190a1b2-0000-7000-8000-000000000001"}`

func benchServer(b *testing.B) *httptest.Server {
	b.Helper()
	answer := []byte(`{"vote_id":"0190a1b2-0000-7000-8000-0000000000ff","status":"accepted","category":"C7"}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		w.Write(answer)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func BenchmarkClient_conn(b *testing.B) {
	srv := benchServer(b)
	addr := strings.TrimPrefix(srv.URL, "http://")
	req := []byte("POST /api/v1/editions/demo/votes HTTP/1.1\r\nHost: " + addr +
		"\r\nUser-Agent: prizes-loadtest\r\nContent-Type: application/json\r\nAuthorization: Bearer t\r\nContent-Length: " +
		strconv.Itoa(len(benchBody)) + "\r\n\r\n" + benchBody)
	c := loadtest.NewConn(addr, nil, 0)
	defer c.Close()
	ctx := context.Background()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		resp, err := c.Do(ctx, req)
		if err != nil || resp.Status != http.StatusAccepted || resp.Field("vote_id") == "" {
			b.Fatalf("answer %d, %v", resp.Status, err)
		}
	}
}

// reportCPU starts measuring the process's CPU time; the function it
// returns reports it per operation as cpu-ns/op.
func reportCPU(b *testing.B) func() {
	cpu := func() int64 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return ru.Utime.Nano() + ru.Stime.Nano()
	}
	start := cpu()
	return func() { b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op") }
}

func BenchmarkClient_nethttp(b *testing.B) {
	srv := benchServer(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DialContext: (&net.Dialer{}).DialContext}}
	defer client.CloseIdleConnections()
	url := srv.URL + "/api/v1/editions/demo/votes"
	body := []byte(benchBody)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("User-Agent", "prizes-loadtest")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer t")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || !bytes.Contains(got, []byte(`"vote_id"`)) {
			b.Fatalf("answer %d", resp.StatusCode)
		}
	}
}
