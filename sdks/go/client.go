// Package hookwire is a client for hookwire, the outbound webhook delivery
// service: publish events, manage tenants, webhooks and keys, inspect
// deliveries, and verify on the receiving side that a request came from
// hookwire. Standard library only.
//
//	client := hookwire.NewClient("http://127.0.0.1:8080", apiKey)
//	published, err := client.Publish(ctx, "order.created", map[string]any{"id": 42}, nil)
//
// # Layout
//
// client.go (the client, options, sending one call with retries), errors.go
// (the one error type), models.go (request and answer shapes, checked against
// the server's OpenAPI document by the tests), resources.go (every operation),
// iter.go (lists that page as they are read), signature.go (Verify, Sign).
package hookwire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Version is the SDK's version; it follows the server's.
const Version = "0.1.0"

// Client talks to one hookwire server as one key (a tenant's key or the admin
// token). It is safe for concurrent use.
type Client struct {
	base       string
	apiKey     string
	http       *http.Client
	maxRetries int
	// invalid is the settings' error, returned by every call.
	invalid error

	Tenants             *Tenants
	Keys                *Keys
	PortalSessions      *PortalSessions
	EventTypes          *EventTypes
	Webhooks            *Webhooks
	Events              *Events
	Deliveries          *Deliveries
	Stats               *Stats
	AuditLog            *AuditLog
	OperationalWebhooks *OperationalWebhooks
}

// Option changes a Client made by NewClient.
type Option func(*Client)

// WithHTTPClient sends through c (proxies, TLS settings, timeouts). The
// default is a client with a 30 s timeout per request.
func WithHTTPClient(c *http.Client) Option { return func(cl *Client) { cl.http = c } }

// WithMaxRetries bounds the retries of one call (default 3).
func WithMaxRetries(n int) Option { return func(cl *Client) { cl.maxRetries = n } }

// NewClient makes a client for the server at baseURL (where `hookwire serve`
// listens, e.g. http://127.0.0.1:8080) acting as apiKey. Settings that cannot
// work (an empty baseURL or apiKey, a negative retry count) are reported by
// every call's error, so construction never fails.
func NewClient(baseURL, apiKey string, options ...Option) *Client {
	c := &Client{
		base:       strings.TrimRight(baseURL, "/") + "/api/v1",
		apiKey:     apiKey,
		http:       &http.Client{Timeout: 30 * time.Second},
		maxRetries: 3,
	}
	for _, option := range options {
		option(c)
	}
	switch {
	case baseURL == "":
		c.invalid = errors.New("hookwire: baseURL is required, e.g. http://127.0.0.1:8080")
	case apiKey == "":
		c.invalid = errors.New("hookwire: apiKey is required (a tenant key or the admin token)")
	case c.maxRetries < 0:
		c.invalid = errors.New("hookwire: maxRetries must be 0 or more")
	}
	if _, err := url.Parse(baseURL); err != nil && c.invalid == nil {
		c.invalid = fmt.Errorf("hookwire: baseURL: %w", err)
	}
	c.Tenants = &Tenants{c}
	c.Keys = &Keys{c}
	c.PortalSessions = &PortalSessions{c}
	c.EventTypes = &EventTypes{c}
	c.Webhooks = &Webhooks{c}
	c.Events = &Events{c}
	c.Deliveries = &Deliveries{c}
	c.Stats = &Stats{c}
	c.AuditLog = &AuditLog{c}
	c.OperationalWebhooks = &OperationalWebhooks{c}
	return c
}

// call is one API call, described without sending it.
type call struct {
	method  string
	path    string
	query   url.Values
	body    any
	headers map[string]string
}

// safeToRepeat: the method is idempotent or the call carries an Idempotency-Key.
func (c call) safeToRepeat() bool {
	switch c.method {
	case http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	_, keyed := c.headers["Idempotency-Key"]
	return keyed
}

// maxWait is the longest wait between two tries, whatever Retry-After says.
const maxWait = 60 * time.Second

func wait(try int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		if retryAfter > maxWait {
			return maxWait
		}
		return retryAfter
	}
	backoff := 500 * time.Millisecond << try
	if backoff > 8*time.Second || backoff <= 0 {
		backoff = 8 * time.Second
	}
	return time.Duration(float64(backoff) * (0.8 + 0.4*rand.Float64()))
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// do sends a call and decodes its JSON answer into out (nil: ignore it).
//
// Retried: 429 (always: the server refused before doing anything) and, when the
// call is safe to repeat, 5xx answers and lost connections; a refused connection
// is retried for every call. The wait honours Retry-After; otherwise it doubles
// from 0.5 s (capped at 8 s) with jitter. ctx bounds the whole call.
func (c *Client) do(ctx context.Context, req call, out any) error {
	if c.invalid != nil {
		return c.invalid
	}
	var payload []byte
	if req.body != nil {
		var err error
		if payload, err = json.Marshal(req.body); err != nil {
			return fmt.Errorf("hookwire: encoding the request: %w", err)
		}
	}
	target := c.base + req.path
	if len(req.query) > 0 {
		target += "?" + req.query.Encode()
	}
	for try := 0; ; try++ {
		status, headers, body, err := c.send(ctx, req, target, payload)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if try < c.maxRetries && (errors.Is(err, syscall.ECONNREFUSED) || req.safeToRepeat()) {
				if err := sleep(ctx, wait(try, 0)); err != nil {
					return err
				}
				continue
			}
			return &Error{Code: "connection_error", Message: err.Error(), Err: err}
		}
		retryable := status == 429 || (status >= 500 && status != 501 && status <= 504 && req.safeToRepeat())
		if retryable && try < c.maxRetries {
			if err := sleep(ctx, wait(try, retryAfterOf(headers))); err != nil {
				return err
			}
			continue
		}
		if status < 200 || status > 299 {
			return errorFromResponse(status, headers, body)
		}
		if out == nil || len(body) == 0 {
			return nil
		}
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("hookwire: decoding the answer to %s %s: %w", req.method, req.path, err)
		}
		return nil
	}
}

func (c *Client) send(ctx context.Context, req call, target string, payload []byte) (int, http.Header, []byte, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	r, err := http.NewRequestWithContext(ctx, req.method, target, body)
	if err != nil {
		return 0, nil, nil, err
	}
	r.Header.Set("Authorization", "Bearer "+c.apiKey)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("User-Agent", "hookwire-go/"+Version)
	if payload != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range req.headers {
		r.Header.Set(k, v)
	}
	resp, err := c.http.Do(r)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, data, nil
}
