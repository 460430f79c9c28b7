package hookwire_test

// The README's programs run as shown: the quickstart against the real server,
// the net/http receiver with a delivery signed as hookwire signs it.

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"hookwire"
)

func TestTheQuickstartRegistersPublishesAndVerifies(t *testing.T) {
	hw := newTenant(t, shared)
	cmd := exec.Command("go", "run", "./examples/quickstart")
	cmd.Env = append(os.Environ(), "HOOKWIRE_URL="+shared.baseURL, "HOOKWIRE_API_KEY="+hw.key)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(string(out), `"data":{"id":42}`) || !strings.HasSuffix(strings.TrimSpace(string(out)), "verified: true") {
		t.Fatalf("quickstart printed: %s", out)
	}
}

func TestTheReadmeShowsTheExamplesAsTheyAre(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, example := range []string{"quickstart", "receiver"} {
		source, err := os.ReadFile(filepath.Join("examples", example, "main.go"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(readme, source) {
			t.Errorf("README.md does not show examples/%s/main.go as it is", example)
		}
	}
	root, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	quickstart, _ := os.ReadFile(filepath.Join("examples", "quickstart", "main.go"))
	if !bytes.Contains(root, quickstart) {
		t.Error("the repository's README does not show examples/quickstart/main.go as it is")
	}
}

func TestTheReceiverAcceptsSignedAndRefusesTampered(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command("go", "run", "./examples/receiver")
	cmd.Env = append(os.Environ(), "LISTEN="+addr, "HOOKWIRE_WEBHOOK_SECRET="+refSecret)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	body := []byte(`{"id":"evt_1","type":"order.created","data":{"id":1}}`)
	post := func(payload []byte) int {
		now := time.Now()
		signature, _ := hookwire.Sign(refSecret, "evt_1", now, body)
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("http://%s/webhooks/hookwire", addr), bytes.NewReader(payload))
		req.Header.Set("webhook-id", "evt_1")
		req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
		req.Header.Set("webhook-signature", signature)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor(t, func() bool { return post(body) == http.StatusNoContent })
	if status := post(append(body, ' ')); status != http.StatusBadRequest {
		t.Fatalf("tampered body: %d", status)
	}
}

func TestAnotherModuleUsesThisOneAsTheReadmeSays(t *testing.T) {
	dir := t.TempDir()
	here, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	source := "package main\n\nimport (\n\t\"fmt\"\n\n\t\"hookwire\"\n)\n\nfunc main() { fmt.Println(hookwire.Version) }\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(source), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"mod", "init", "example.com/app"},
		{"mod", "edit", "-require=hookwire@v0.1.0", "-replace=hookwire=" + here},
		{"run", "."},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %v: %v: %s", args, err, out)
		}
		if args[0] == "run" && strings.TrimSpace(string(out)) != hookwire.Version {
			t.Fatalf("printed %s", out)
		}
	}
}
