package hookwire

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// RateLimit holds the X-RateLimit-* headers of a response: the caller's budget
// per key.
type RateLimit struct {
	Limit     int
	Remaining int
	// Reset is the number of seconds until the bucket is full again.
	Reset int
}

func rateLimitOf(h http.Header) *RateLimit {
	limit, err1 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	reset, err3 := strconv.Atoi(h.Get("X-RateLimit-Reset"))
	if err1 != nil || err2 != nil || err3 != nil {
		return nil
	}
	return &RateLimit{Limit: limit, Remaining: remaining, Reset: reset}
}

// retryAfterOf reads Retry-After in seconds (hookwire sends delta-seconds;
// dates are ignored); 0 when absent.
func retryAfterOf(h http.Header) time.Duration {
	seconds, err := strconv.ParseFloat(h.Get("Retry-After"), 64)
	if err != nil || seconds < 0 {
		return 0
	}
	return time.Duration(seconds * float64(time.Second))
}

// Error is a call that did not succeed: an answer from the server that is not
// a success, or (Status 0, Code "connection_error") no answer after every retry.
// Branch on the helpers (IsNotFound …) rather than on numbers.
type Error struct {
	// Status is the HTTP status, 0 when no answer came.
	Status int
	// Code is the server's snake_case error: not_found, invalid_field …
	Code string
	// Message is the server's human text.
	Message string
	// Field names the request field the error is about, if any.
	Field string
	// RateLimit is the response's X-RateLimit-* headers (nil when the limit is off).
	RateLimit *RateLimit
	// RetryAfter is how long the server asked the caller to wait.
	RetryAfter time.Duration
	// Err is the transport's error for a connection error.
	Err error
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("hookwire: %s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("hookwire: %d %s: %s", e.Status, e.Code, e.Message)
}

// Unwrap gives the transport's error of a connection error.
func (e *Error) Unwrap() error { return e.Err }

func errorFromResponse(status int, h http.Header, body []byte) *Error {
	var parsed struct {
		Error   *string `json:"error"`
		Message string  `json:"message"`
		Field   *string `json:"field"`
	}
	out := &Error{Status: status, RateLimit: rateLimitOf(h), RetryAfter: retryAfterOf(h)}
	if json.Unmarshal(body, &parsed) == nil && parsed.Error != nil {
		out.Code, out.Message = *parsed.Error, parsed.Message
		if parsed.Field != nil {
			out.Field = *parsed.Field
		}
	} else {
		out.Code, out.Message = "http_error", fmt.Sprintf("HTTP %d", status)
	}
	return out
}

func statusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return -1
}

// IsUnauthorized: 401, the key is missing, unknown, revoked or expired.
func IsUnauthorized(err error) bool { return statusOf(err) == 401 }

// IsForbidden: 403, the key lacks the scope the call needs (insufficient_scope).
func IsForbidden(err error) bool { return statusOf(err) == 403 }

// IsNotFound: 404, no such object for this key (another tenant's objects are 404 too).
func IsNotFound(err error) bool { return statusOf(err) == 404 }

// IsConflict: 409, it already exists.
func IsConflict(err error) bool { return statusOf(err) == 409 }

// IsTooLarge: 413, the body is over the server's max_body_bytes.
func IsTooLarge(err error) bool { return statusOf(err) == 413 }

// IsInvalid: 422, a field is invalid; Error.Field names it.
func IsInvalid(err error) bool { return statusOf(err) == 422 }

// IsRateLimited: 429, out of budget; Error.RetryAfter says for how long.
func IsRateLimited(err error) bool { return statusOf(err) == 429 }

// IsConnection: no answer from the server after every retry.
func IsConnection(err error) bool { return statusOf(err) == 0 }
