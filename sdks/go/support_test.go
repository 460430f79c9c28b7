package hookwire_test

// A real `hookwire serve` and a real receiver on loopback for the tests. The
// binary is $HOOKWIRE_BIN (the Rust test suite sets it to the binary it built);
// without it, target/release/hookwire of this repository.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hookwire"
)

const admin = "sdk-test-admin-token"

var repo, _ = filepath.Abs("../..")

type server struct {
	baseURL string
	cmd     *exec.Cmd
	dir     string
}

// launch runs `hookwire serve` on a fresh SQLite file; settings become
// HOOKWIRE_* variables.
func launch(settings map[string]string) (*server, error) {
	binary := os.Getenv("HOOKWIRE_BIN")
	if binary == "" {
		binary = filepath.Join(repo, "target/release/hookwire")
	}
	if _, err := os.Stat(binary); err != nil {
		return nil, fmt.Errorf("no hookwire binary at %s: build it or set HOOKWIRE_BIN", binary)
	}
	dir, err := os.MkdirTemp("", "hookwire-go-")
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(binary, "serve")
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(),
		"HOOKWIRE_DATABASE_URL=sqlite://"+dir+"/hookwire.db",
		fmt.Sprintf("HOOKWIRE_LISTEN=127.0.0.1:%d", port),
		"HOOKWIRE_ADMIN_TOKEN="+admin,
		"HOOKWIRE_ALLOW_HTTP=true",
		"HOOKWIRE_ALLOW_PRIVATE_NETWORKS=true",
		"HOOKWIRE_API_RATE_LIMIT_PER_SECOND=0",
		"RUST_LOG=warn",
	)
	for k, v := range settings {
		cmd.Env = append(cmd.Env, "HOOKWIRE_"+strings.ToUpper(k)+"="+v)
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{baseURL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, dir: dir}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.baseURL + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("hookwire serve did not become ready")
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
	os.RemoveAll(s.dir)
}

// startServer is launch for one test; the server stops when the test ends.
func startServer(t *testing.T, settings map[string]string) *server {
	s, err := launch(settings)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	return s
}

func (s *server) admin(options ...hookwire.Option) *hookwire.Client {
	return hookwire.NewClient(s.baseURL, admin, options...)
}

// shared is one server with the test catalog for the tests that need no
// special settings (TestMain starts and stops it).
var shared *server

func TestMain(m *testing.M) {
	var err error
	if shared, err = launch(nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for _, name := range []string{"order.created", "order.paid", "invoice.sent"} {
		if _, err = shared.admin().EventTypes.Create(context.Background(), hookwire.EventType{Name: name, Description: name + " (test)"}); err != nil {
			break
		}
	}
	code := 2
	if err == nil {
		code = m.Run()
	} else {
		fmt.Fprintln(os.Stderr, err)
	}
	shared.stop()
	os.Exit(code)
}

type tenant struct {
	*hookwire.Client
	id, key string
}

// newTenant is a client signed in as a new tenant of s.
func newTenant(t *testing.T, s *server) tenant {
	t.Helper()
	created, err := s.admin().Tenants.Create(context.Background(), fmt.Sprintf("tenant-%d", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	return tenant{hookwire.NewClient(s.baseURL, created.APIKey), created.ID, created.APIKey}
}

type received struct {
	header http.Header
	body   []byte
}

// receiver is an HTTP endpoint on loopback that records every request; it
// answers each with the next status of answers (then 200).
type receiver struct {
	*httptest.Server
	requests chan received
	mu       sync.Mutex
	answers  []int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{requests: make(chan received, 100)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := 200
		if len(r.answers) > 0 {
			status, r.answers = r.answers[0], r.answers[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		r.requests <- received{req.Header.Clone(), body}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) answer(statuses ...int) {
	r.mu.Lock()
	r.answers = append(r.answers, statuses...)
	r.mu.Unlock()
}

func (r *receiver) next(t *testing.T) received {
	select {
	case got := <-r.requests:
		return got
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery arrived")
		return received{}
	}
}

// waitFor polls check until it is true.
func waitFor(t *testing.T, check func() bool) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if check() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("condition not met in time")
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
