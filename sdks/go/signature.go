package hookwire

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Receiver side: checking that a request really came from hookwire.
//
// hookwire signs every delivery the Standard Webhooks way: webhook-signature
// holds one or more space-separated "v1,<base64 HMAC-SHA256>" of
// "{webhook-id}.{webhook-timestamp}.{body}"; during a secret rotation one per
// secret. The key is the base64 after "whsec_", or the secret's bytes when it has
// no such prefix. A webhook with signature_scheme "ed25519" sends
// "v1a,<base64 Ed25519 signature>" of the same text instead: pass its public
// key ("whpk_…", from the webhook's view) where the secret goes. Verify accepts a
// request when any signature matches (HMAC compared in constant time) and the
// timestamp is within the tolerance of now, which stops replays of old captured
// requests.

// ErrVerification is wrapped by every error Verify returns.
var ErrVerification = errors.New("hookwire: webhook verification failed")

// DefaultTolerance is how far webhook-timestamp may be from now.
const DefaultTolerance = 5 * time.Minute

func secretKey(secret string) ([]byte, error) {
	if strings.HasPrefix(secret, "whsec_") {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			return nil, fmt.Errorf("hookwire: secret: whsec_ must be followed by base64: %w", err)
		}
		return key, nil
	}
	return []byte(secret), nil
}

// Sign gives the "v1,…" signature hookwire sends for this id, time and body.
func Sign(secret, msgID string, timestamp time.Time, payload []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", msgID, timestamp.Unix())
	mac.Write(payload)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Verify checks a delivery: payload is the raw body as received, headers the
// request's. It returns an error wrapping ErrVerification when a header is
// missing, the timestamp is more than DefaultTolerance from now, or no
// signature matches.
func Verify(payload []byte, headers http.Header, secret string) error {
	return VerifyAt(payload, headers, secret, time.Now(), DefaultTolerance)
}

// VerifyAt is Verify with the current time and the tolerance given.
func VerifyAt(payload []byte, headers http.Header, secret string, now time.Time, tolerance time.Duration) error {
	msgID := headers.Get("webhook-id")
	stamp := headers.Get("webhook-timestamp")
	signatures := headers.Get("webhook-signature")
	if msgID == "" || stamp == "" || signatures == "" {
		return fmt.Errorf("%w: missing webhook-id, webhook-timestamp or webhook-signature header", ErrVerification)
	}
	seconds, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: webhook-timestamp is not a number", ErrVerification)
	}
	timestamp := time.Unix(seconds, 0)
	if d := now.Sub(timestamp); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: webhook-timestamp is more than %s away from now", ErrVerification, tolerance)
	}
	if strings.HasPrefix(secret, "whpk_") {
		return verifyEd25519(payload, msgID, seconds, signatures, secret)
	}
	expected, err := Sign(secret, msgID, timestamp, payload)
	if err != nil {
		return err
	}
	for _, candidate := range strings.Split(signatures, " ") {
		if strings.HasPrefix(candidate, "v1,") && hmac.Equal([]byte(candidate), []byte(expected)) {
			return nil
		}
	}
	return fmt.Errorf("%w: no signature matches", ErrVerification)
}

// verifyEd25519 checks the "v1a," signatures of an Ed25519 webhook with its
// public key.
func verifyEd25519(payload []byte, msgID string, seconds int64, signatures, publicKey string) error {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(publicKey, "whpk_"))
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return fmt.Errorf("hookwire: public key: whpk_ must be followed by base64 of 32 bytes")
	}
	message := append([]byte(fmt.Sprintf("%s.%d.", msgID, seconds)), payload...)
	for _, candidate := range strings.Split(signatures, " ") {
		if !strings.HasPrefix(candidate, "v1a,") {
			continue
		}
		signature, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(candidate, "v1a,"))
		if err == nil && ed25519.Verify(ed25519.PublicKey(raw), message, signature) {
			return nil
		}
	}
	return fmt.Errorf("%w: no signature matches", ErrVerification)
}
