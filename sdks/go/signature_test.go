package hookwire_test

// Verify and Sign against the Standard Webhooks reference vector.

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"hookwire"
)

const (
	refSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	refID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	refTimestamp = 1614265330
	refBody      = `{"test": 2432232314}`
	refSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

var refTime = time.Unix(refTimestamp, 0)

func signed(signature string, at time.Time) http.Header {
	h := http.Header{}
	h.Set("Webhook-Id", refID)
	h.Set("Webhook-Timestamp", strconv.FormatInt(at.Unix(), 10))
	h.Set("Webhook-Signature", signature)
	return h
}

func refused(t *testing.T, err error, why string) {
	t.Helper()
	if !errors.Is(err, hookwire.ErrVerification) || !strings.Contains(err.Error(), why) {
		t.Fatalf("want a verification error about %q, got %v", why, err)
	}
}

func TestTheReferenceVectorSignsAndVerifies(t *testing.T) {
	got, err := hookwire.Sign(refSecret, refID, refTime, []byte(refBody))
	if err != nil || got != refSignature {
		t.Fatalf("Sign = %s, %v", got, err)
	}
	if err := hookwire.VerifyAt([]byte(refBody), signed(refSignature, refTime), refSecret, refTime, hookwire.DefaultTolerance); err != nil {
		t.Fatal(err)
	}
}

func TestAnyOfSeveralSignaturesVerifiesDuringARotation(t *testing.T) {
	other, _ := hookwire.Sign("whsec_"+base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 32))), refID, refTime, []byte(refBody))
	if err := hookwire.VerifyAt([]byte(refBody), signed(other+" "+refSignature, refTime), refSecret, refTime, hookwire.DefaultTolerance); err != nil {
		t.Fatal(err)
	}
}

func TestATamperedBodyAWrongSecretAndAStaleTimestampAreRefused(t *testing.T) {
	h := signed(refSignature, refTime)
	refused(t, hookwire.VerifyAt([]byte(`{"test": 2432232315}`), h, refSecret, refTime, hookwire.DefaultTolerance), "no signature")
	wrong := "whsec_" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("y", 32)))
	refused(t, hookwire.VerifyAt([]byte(refBody), h, wrong, refTime, hookwire.DefaultTolerance), "no signature")
	refused(t, hookwire.VerifyAt([]byte(refBody), h, refSecret, refTime.Add(301*time.Second), hookwire.DefaultTolerance), "away from now")
	refused(t, hookwire.Verify([]byte(refBody), http.Header{"Webhook-Id": {refID}}, refSecret), "missing")
}

func TestASecretWithoutThePrefixIsUsedAsItsBytes(t *testing.T) {
	now := time.Now()
	signature, _ := hookwire.Sign("plain-secret", refID, now, []byte(refBody))
	if err := hookwire.Verify([]byte(refBody), signed(signature, now), "plain-secret"); err != nil {
		t.Fatal(err)
	}
}
