package hookwire_test

// Each kind of refusal maps to the typed error, with the rate-limit headers.

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"hookwire"
)

func asError(t *testing.T, err error) *hookwire.Error {
	t.Helper()
	var e *hookwire.Error
	if !errors.As(err, &e) {
		t.Fatalf("not a *hookwire.Error: %v", err)
	}
	return e
}

func TestUnauthorizedNotFoundConflictInvalidAndTooLarge(t *testing.T) {
	stranger := hookwire.NewClient(shared.baseURL, "hw_not_a_key", hookwire.WithMaxRetries(0))
	_, err := stranger.Webhooks.List(ctx, nil).All()
	if e := asError(t, err); !hookwire.IsUnauthorized(err) || e.Status != 401 || e.Message == "" {
		t.Fatalf("stranger: %v", err)
	}
	hw := newTenant(t, shared)
	if _, err := hw.Deliveries.Get(ctx, "dlv_doesnotexist"); !hookwire.IsNotFound(err) {
		t.Fatalf("unknown delivery: %v", err)
	}
	if _, err := shared.admin().EventTypes.Create(ctx, hookwire.EventType{Name: "order.created"}); !hookwire.IsConflict(err) {
		t.Fatalf("duplicate type: %v", err)
	}
	_, err = hw.Webhooks.Create(ctx, hookwire.WebhookDraft{URL: "ftp://example.com/hook", Events: []string{"order.created"}})
	if e := asError(t, err); !hookwire.IsInvalid(err) || e.Code != "invalid_webhook_url" {
		t.Fatalf("bad url: %v", err)
	}
	_, err = hw.Webhooks.Create(ctx, hookwire.WebhookDraft{URL: "http://127.0.0.1:9/hook", Events: []string{"order.created"}, TimeoutSeconds: ptr(0)})
	if e := asError(t, err); !hookwire.IsInvalid(err) || e.Field != "timeout_seconds" {
		t.Fatalf("bad timeout: %v", err)
	}
	_, err = hw.Publish(ctx, "order.created", map[string]string{"blob": strings.Repeat("x", 1024*1024+1)}, nil)
	if !hookwire.IsTooLarge(err) {
		t.Fatalf("huge event: %v", err)
	}
}

func TestRateLimitedCallsCarryTheHeadersAndAreRetriedAfterTheWait(t *testing.T) {
	limited := startServer(t, map[string]string{"api_rate_limit_per_second": "1", "api_rate_limit_burst": "1"})
	impatient := limited.admin(hookwire.WithMaxRetries(0))
	if _, err := impatient.EventTypes.List(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := impatient.EventTypes.List(ctx)
	e := asError(t, err)
	if !hookwire.IsRateLimited(err) || e.Code != "rate_limited" || e.RateLimit == nil || e.RateLimit.Limit != 1 || e.RateLimit.Remaining != 0 || e.RetryAfter < time.Second {
		t.Fatalf("rate limited: %+v %+v", e, e.RateLimit)
	}
	patient := limited.admin(hookwire.WithMaxRetries(3))
	started := time.Now()
	if _, err := patient.EventTypes.List(ctx); err != nil {
		t.Fatal(err)
	}
	if types, err := patient.EventTypes.List(ctx); err != nil || len(types) == 0 {
		t.Fatalf("after waiting: %v", err)
	}
	if time.Since(started) < 500*time.Millisecond {
		t.Fatal("the second call did not wait for Retry-After")
	}
}

func TestNoServerIsAConnectionErrorAfterTheRetries(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	client := hookwire.NewClient("http://"+addr, "key", hookwire.WithMaxRetries(1))
	_, err = client.Publish(ctx, "order.created", map[string]int{}, nil)
	if e := asError(t, err); !hookwire.IsConnection(err) || e.Code != "connection_error" || e.Unwrap() == nil {
		t.Fatalf("no server: %v", err)
	}
}

func TestBadClientSettingsAreReportedByEveryCall(t *testing.T) {
	for setting, client := range map[string]*hookwire.Client{
		"baseURL":    hookwire.NewClient("", "key"),
		"apiKey":     hookwire.NewClient(shared.baseURL, ""),
		"maxRetries": hookwire.NewClient(shared.baseURL, "key", hookwire.WithMaxRetries(-1)),
	} {
		if _, err := client.EventTypes.List(ctx); err == nil || !strings.Contains(err.Error(), setting) {
			t.Fatalf("%s: %v", setting, err)
		}
	}
}
