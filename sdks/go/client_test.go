package hookwire_test

// Every call against a real `hookwire serve`, deliveries to a real receiver.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"testing"
	"time"

	"hookwire"
)

var ctx = context.Background()

func ptr[T any](v T) *T { return &v }

func fastRetry(attempts int) *hookwire.RetryPolicyDraft {
	return &hookwire.RetryPolicyDraft{MaxAttempts: ptr(attempts), InitialDelayMs: ptr(100), MaxDelayMs: ptr(100)}
}

func TestRegisterPublishAndVerifyWhatArrives(t *testing.T) {
	hw, rx := newTenant(t, shared), newReceiver(t)
	webhook := must[*hookwire.Webhook](t)(hw.Webhooks.Create(ctx, hookwire.WebhookDraft{URL: rx.URL, Events: []string{"order.*"}, Name: ptr("orders")}))
	if webhook.Secret == nil || !strings.HasPrefix(*webhook.Secret, "whsec_") || !webhook.HasSecret {
		t.Fatalf("no secret in the created webhook: %+v", webhook)
	}
	if webhook.Circuit.State != "closed" || webhook.Circuit.OpenedAt != nil || webhook.Circuit.NextProbeAt != nil {
		t.Fatalf("a new webhook's circuit is closed: %+v", webhook.Circuit)
	}
	published := must[*hookwire.Published](t)(hw.Publish(ctx, "order.created", map[string]int{"id": 42}, nil))
	if published.Type != "order.created" || len(published.Deliveries) != 1 || published.Deliveries[0].WebhookID != webhook.ID {
		t.Fatalf("published: %+v", published)
	}
	got := rx.next(t)
	if err := hookwire.Verify(got.body, got.header, *webhook.Secret); err != nil {
		t.Fatal(err)
	}
	var body struct {
		ID   string          `json:"id"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(got.body, &body); err != nil || body.ID != published.ID || string(body.Data) != `{"id":42}` {
		t.Fatalf("body %s (%v)", got.body, err)
	}
	var event *hookwire.EventDetail
	waitFor(t, func() bool {
		event = must[*hookwire.EventDetail](t)(hw.Events.Get(ctx, published.ID))
		return event.Deliveries[0].Status == hookwire.StatusDelivered
	})
	delivery := must[*hookwire.DeliveryDetail](t)(hw.Deliveries.Get(ctx, event.Deliveries[0].ID))
	if *delivery.Attempts[0].HTTPStatus != 200 {
		t.Fatalf("attempt: %+v", delivery.Attempts[0])
	}
}

func TestAnEd25519WebhookVerifiesWithItsPublicKey(t *testing.T) {
	hw, rx := newTenant(t, shared), newReceiver(t)
	webhook := must[*hookwire.Webhook](t)(hw.Webhooks.Create(ctx, hookwire.WebhookDraft{URL: rx.URL, Events: []string{"order.*"}, SignatureScheme: "ed25519"}))
	if webhook.SignatureScheme != "ed25519" || webhook.PublicKey == nil || !strings.HasPrefix(*webhook.PublicKey, "whpk_") {
		t.Fatalf("not an ed25519 webhook: %+v", webhook)
	}
	must[*hookwire.Published](t)(hw.Publish(ctx, "order.created", map[string]int{"id": 7}, nil))
	got := rx.next(t)
	if !strings.HasPrefix(got.header.Get("webhook-signature"), "v1a,") || got.header.Get("x-webhook-signature") != "" {
		t.Fatalf("headers: %v", got.header)
	}
	// Go's crypto/ed25519, not hookwire's code, checks the signature.
	if err := hookwire.Verify(got.body, got.header, *webhook.PublicKey); err != nil {
		t.Fatal(err)
	}
	if err := hookwire.Verify(append(got.body, ' '), got.header, *webhook.PublicKey); err == nil {
		t.Fatal("a tampered body verified")
	}
}

func TestAPublishRepeatedWithItsIdempotencyKeyIsOneEvent(t *testing.T) {
	hw := newTenant(t, shared)
	keyed := &hookwire.PublishOptions{IdempotencyKey: "order-7-paid"}
	first := must[*hookwire.Published](t)(hw.Publish(ctx, "order.paid", map[string]int{"n": 1}, keyed))
	again := must[*hookwire.Published](t)(hw.Publish(ctx, "order.paid", map[string]int{"n": 1}, keyed))
	other := must[*hookwire.Published](t)(hw.Publish(ctx, "order.paid", map[string]int{"n": 1}, nil))
	if first.ID != again.ID || first.ID == other.ID {
		t.Fatalf("%s %s %s", first.ID, again.ID, other.ID)
	}
}

func TestListsFollowEveryPage(t *testing.T) {
	hw, rx := newTenant(t, shared), newReceiver(t)
	var ids []string
	for n := 0; n < 7; n++ {
		ids = append(ids, must[*hookwire.Published](t)(hw.Publish(ctx, "invoice.sent", map[string]int{"n": n}, &hookwire.PublishOptions{Channel: "eu"})).ID)
	}
	must[*hookwire.Published](t)(hw.Publish(ctx, "invoice.sent", map[string]int{"n": 99}, &hookwire.PublishOptions{Channel: "us"}))
	events := must[[]hookwire.Event](t)(hw.Events.List(ctx, &hookwire.EventFilter{Type: "invoice.sent", Channel: "eu", Limit: 2}).All())
	var listed []string
	for _, e := range events {
		listed = append(listed, e.ID)
	}
	sort.Strings(ids)
	sort.Strings(listed)
	if fmt.Sprint(ids) != fmt.Sprint(listed) {
		t.Fatalf("listed %v, published %v", listed, ids)
	}
	for n := 0; n < 3; n++ {
		must[*hookwire.Webhook](t)(hw.Webhooks.Create(ctx, hookwire.WebhookDraft{URL: rx.URL, Events: []string{"invoice.sent"}}))
	}
	if all := must[[]hookwire.Webhook](t)(hw.Webhooks.List(ctx, &hookwire.WebhookFilter{Limit: 2}).All()); len(all) != 3 {
		t.Fatalf("%d webhooks", len(all))
	}
	if none := must[[]hookwire.Webhook](t)(hw.Webhooks.List(ctx, &hookwire.WebhookFilter{Event: "order.created"}).All()); len(none) != 0 {
		t.Fatalf("%d webhooks for order.created", len(none))
	}
}

func TestWebhookManagement(t *testing.T) {
	hw, rx := newTenant(t, shared), newReceiver(t)
	created := must[*hookwire.Webhook](t)(hw.Webhooks.Create(ctx, hookwire.WebhookDraft{
		URL: rx.URL, Events: []string{"order.created"}, Description: ptr("first"), Channels: []string{"eu"},
		TimeoutSeconds: ptr(5), Retry: fastRetry(2), Headers: map[string]string{"x-team": "billing"},
	}))
	fetched := must[*hookwire.Webhook](t)(hw.Webhooks.Get(ctx, created.ID))
	if fetched.Secret != nil || fmt.Sprint(fetched.Channels) != "[eu]" || fetched.Retry.MaxAttempts != 2 {
		t.Fatalf("fetched: %+v", fetched)
	}
	patched := must[*hookwire.Webhook](t)(hw.Webhooks.Update(ctx, created.ID, hookwire.WebhookPatch{IsActive: ptr(false), Clear: []string{"description"}}))
	if patched.Description != nil || patched.IsActive || fmt.Sprint(patched.Channels) != "[eu]" {
		t.Fatalf("patched: %+v", patched)
	}
	inactive := must[[]hookwire.Webhook](t)(hw.Webhooks.List(ctx, &hookwire.WebhookFilter{IsActive: ptr(false)}).All())
	if len(inactive) != 1 || inactive[0].ID != created.ID {
		t.Fatalf("inactive: %+v", inactive)
	}
	replaced := must[*hookwire.Webhook](t)(hw.Webhooks.Replace(ctx, created.ID, hookwire.WebhookDraft{URL: rx.URL, Events: []string{"order.paid"}}))
	if fmt.Sprint(replaced.Events) != "[order.paid]" || len(replaced.Channels) != 0 || !replaced.IsActive {
		t.Fatalf("replaced: %+v", replaced)
	}
	result := must[*hookwire.TestResult](t)(hw.Webhooks.Test(ctx, created.ID))
	if result.Status != hookwire.StatusDelivered || *result.HTTPStatus != 200 {
		t.Fatalf("test: %+v", result)
	}
	if got := rx.next(t); !strings.Contains(string(got.body), `"type":"webhook.test"`) {
		t.Fatalf("test delivery: %s", got.body)
	}
	if s := must[*hookwire.NewSecret](t)(hw.Webhooks.RotateSecret(ctx, created.ID, "")); !strings.HasPrefix(s.Secret, "whsec_") {
		t.Fatalf("rotated: %s", s.Secret)
	}
	given := "whsec_" + strings.Repeat("A", 43) + "="
	if s := must[*hookwire.NewSecret](t)(hw.Webhooks.RotateSecret(ctx, created.ID, given)); s.Secret != given {
		t.Fatalf("rotated to %s", s.Secret)
	}
	if stats := must[*hookwire.WebhookStats](t)(hw.Webhooks.Stats(ctx, created.ID, "24h")); stats.Total < 1 || stats.Delivered < 1 {
		t.Fatalf("stats: %+v", stats)
	}
	if err := hw.Webhooks.Delete(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := hw.Webhooks.Get(ctx, created.ID); !hookwire.IsNotFound(err) {
		t.Fatalf("after delete: %v", err)
	}
}

func TestFailedDeliveriesRetryRecoverBulkRetryAndReplay(t *testing.T) {
	hw, rx := newTenant(t, shared), newReceiver(t)
	webhook := must[*hookwire.Webhook](t)(hw.Webhooks.Create(ctx, hookwire.WebhookDraft{URL: rx.URL, Events: []string{"order.paid"}, Retry: fastRetry(1)}))
	failed := func() []hookwire.Delivery {
		return must[[]hookwire.Delivery](t)(hw.Webhooks.Deliveries(ctx, webhook.ID, &hookwire.DeliveryFilter{Status: hookwire.StatusFailed}).All())
	}
	failOnce := func(n int) *hookwire.Published {
		rx.answer(500)
		event := must[*hookwire.Published](t)(hw.Publish(ctx, "order.paid", map[string]int{"n": n}, nil))
		rx.next(t)
		waitFor(t, func() bool { return len(failed()) > 0 })
		return event
	}
	first := failOnce(1)
	if f := failed(); len(f) != 1 || f[0].ID != first.Deliveries[0].ID {
		t.Fatalf("failed: %+v", f)
	}
	if err := hw.Deliveries.Retry(ctx, first.Deliveries[0].ID); err != nil {
		t.Fatal(err)
	}
	rx.next(t)
	waitFor(t, func() bool { return len(failed()) == 0 })

	hourAgo := time.Now().Add(-time.Hour)
	second := failOnce(2)
	if r := must[*hookwire.Requeued](t)(hw.Webhooks.Recover(ctx, webhook.ID, hourAgo)); r.Requeued != 1 {
		t.Fatalf("recovered %d", r.Requeued)
	}
	if got := rx.next(t); got.header.Get("webhook-id") != second.ID {
		t.Fatalf("recovered delivery of %s", got.header.Get("webhook-id"))
	}
	waitFor(t, func() bool { return len(failed()) == 0 })

	third := failOnce(3)
	status := hookwire.StatusFailed
	if r := must[*hookwire.Requeued](t)(hw.Deliveries.RetryMany(ctx, hookwire.BulkRetry{Since: hourAgo, Status: &status, WebhookID: &webhook.ID})); r.Requeued != 1 {
		t.Fatalf("requeued %d", r.Requeued)
	}
	if got := rx.next(t); got.header.Get("webhook-id") != third.ID {
		t.Fatalf("retried delivery of %s", got.header.Get("webhook-id"))
	}

	replayed := must[*hookwire.Replayed](t)(hw.Events.Replay(ctx, first.ID, webhook.ID))
	if len(replayed.Deliveries) != 1 {
		t.Fatalf("replayed: %+v", replayed)
	}
	if got := rx.next(t); got.header.Get("webhook-id") != first.ID {
		t.Fatalf("replayed delivery of %s", got.header.Get("webhook-id"))
	}
	waitFor(t, func() bool { return must[*hookwire.TenantStats](t)(hw.Stats.Get(ctx, "24h")).Delivered >= 4 })
}

func TestKeysOfATenantAndOfTheAdmin(t *testing.T) {
	hw := newTenant(t, shared)
	readOnly := must[*hookwire.CreatedKey](t)(hw.Keys.Create(ctx, hookwire.KeyDraft{Name: ptr("reader"), Scopes: []hookwire.Scope{hookwire.ScopeRead}}))
	keys := must[[]hookwire.Key](t)(hw.Keys.List(ctx).All())
	found := false
	for _, k := range keys {
		found = found || (k.ID == readOnly.ID && *k.Name == "reader")
	}
	if !found {
		t.Fatalf("key not listed: %+v", keys)
	}
	reader := hookwire.NewClient(shared.baseURL, readOnly.APIKey, hookwire.WithMaxRetries(0))
	if _, err := reader.Webhooks.List(ctx, nil).All(); err != nil {
		t.Fatal(err)
	}
	_, err := reader.Publish(ctx, "order.paid", map[string]int{}, nil)
	if e, ok := err.(*hookwire.Error); !hookwire.IsForbidden(err) || !ok || e.Code != "insufficient_scope" {
		t.Fatalf("publish with a read key: %v", err)
	}
	if err := hw.Keys.Revoke(ctx, readOnly.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		_, err := reader.Webhooks.List(ctx, nil).All()
		return hookwire.IsUnauthorized(err)
	})

	admin := shared.admin()
	later := time.Now().Add(24 * time.Hour)
	made := must[*hookwire.CreatedKey](t)(admin.Tenants.CreateKey(ctx, hw.id, hookwire.KeyDraft{Name: ptr("ci"), Scopes: []hookwire.Scope{hookwire.ScopePublish}, ExpiresAt: &later}))
	if made.ExpiresAt == nil {
		t.Fatalf("made: %+v", made)
	}
	listed := func() bool {
		for _, k := range must[[]hookwire.Key](t)(admin.Tenants.ListKeys(ctx, hw.id).All()) {
			if k.ID == made.ID {
				return true
			}
		}
		return false
	}
	if !listed() {
		t.Fatal("the admin's key is not listed")
	}
	if err := admin.Tenants.RevokeKey(ctx, hw.id, made.ID); err != nil || listed() {
		t.Fatalf("revoke: %v, still listed: %v", err, listed())
	}
}

func TestTenantsAndEventTypes(t *testing.T) {
	admin := shared.admin()
	created := must[*hookwire.CreatedTenant](t)(admin.Tenants.Create(ctx, "short-lived"))
	if got := must[*hookwire.Tenant](t)(admin.Tenants.Get(ctx, created.ID)); got.Name != "short-lived" {
		t.Fatalf("got %+v", got)
	}
	found := false
	for _, tn := range must[[]hookwire.Tenant](t)(admin.Tenants.List(ctx, 1).All()) {
		found = found || tn.ID == created.ID
	}
	if !found {
		t.Fatal("the tenant is not listed")
	}
	if err := admin.Tenants.Delete(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Tenants.Get(ctx, created.ID); !hookwire.IsNotFound(err) {
		t.Fatalf("after delete: %v", err)
	}
	names := map[string]bool{}
	for _, et := range must[[]hookwire.EventType](t)(admin.EventTypes.List(ctx)) {
		names[et.Name] = true
	}
	if !names["order.created"] || !names["webhook.test"] {
		t.Fatalf("catalog: %v", names)
	}
}

func TestPortalLinksForATenant(t *testing.T) {
	hw := newTenant(t, shared)
	own := must[*hookwire.PortalLink](t)(hw.PortalSessions.Create(ctx, hookwire.PortalDraft{ExpiresInSeconds: ptr(600), ReadOnly: ptr(true)}))
	if !strings.Contains(own.URL, "/ui/portal/hws_") || own.ExpiresAt.IsZero() {
		t.Fatalf("own link: %+v", own)
	}
	admin := shared.admin()
	made := must[*hookwire.PortalLink](t)(admin.Tenants.CreatePortalSession(ctx, hw.id, hookwire.PortalDraft{}))
	if !strings.HasPrefix(made.URL, shared.baseURL+"/ui/portal/") {
		t.Fatalf("admin's link: %+v", made)
	}
	_, err := admin.Tenants.CreatePortalSession(ctx, hw.id, hookwire.PortalDraft{ExpiresInSeconds: ptr(5)})
	if e, ok := err.(*hookwire.Error); !ok || !hookwire.IsInvalid(err) || e.Field != "expires_in_seconds" {
		t.Fatalf("too short: %v", err)
	}
}

func TestTheAuditLogNamesWhoChangedWhat(t *testing.T) {
	hw, rx := newTenant(t, shared), newReceiver(t)
	hook := must[*hookwire.Webhook](t)(hw.Webhooks.Create(ctx, hookwire.WebhookDraft{URL: rx.URL, Events: []string{"order.created"}}))
	must[*hookwire.Webhook](t)(hw.Webhooks.Update(ctx, hook.ID, hookwire.WebhookPatch{Name: ptr("renamed")}))
	mine := must[[]hookwire.AuditEntry](t)(hw.AuditLog.List(ctx, &hookwire.AuditFilter{Action: "webhook.update"}).All())
	if len(mine) != 1 || mine[0].Action != "webhook.update" || *mine[0].TargetID != hook.ID || mine[0].Actor.Type != "api_key" {
		t.Fatalf("audit log: %+v", mine)
	}
	everything := must[[]hookwire.AuditEntry](t)(shared.admin().AuditLog.List(ctx, &hookwire.AuditFilter{Limit: 2}).All())
	own := must[[]hookwire.AuditEntry](t)(hw.AuditLog.List(ctx, nil).All())
	if len(everything) < len(own) {
		t.Fatalf("the admin sees %d entries, the tenant %d", len(everything), len(own))
	}
}

func TestOperationalWebhooksHearOfACreatedWebhook(t *testing.T) {
	admin, rx := shared.admin(), newReceiver(t)
	op := must[*hookwire.Webhook](t)(admin.OperationalWebhooks.Create(ctx, hookwire.WebhookDraft{URL: rx.URL, Events: []string{"hookwire.webhook.created"}}))
	listed := must[[]hookwire.Webhook](t)(admin.OperationalWebhooks.List(ctx, 0).All())
	if len(listed) == 0 {
		t.Fatal("not listed")
	}
	hw := newTenant(t, shared)
	hook := must[*hookwire.Webhook](t)(hw.Webhooks.Create(ctx, hookwire.WebhookDraft{URL: rx.URL, Events: []string{"order.created"}}))
	got := rx.next(t)
	if err := hookwire.Verify(got.body, got.header, *op.Secret); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got.body), `"type":"hookwire.webhook.created"`) || !strings.Contains(string(got.body), hook.ID) {
		t.Fatalf("operational event: %s", got.body)
	}
	if err := admin.OperationalWebhooks.Delete(ctx, op.ID); err != nil {
		t.Fatal(err)
	}
}

// clientCertificate is a self-signed certificate and its key, PEM, made with
// Go's crypto/x509.
func clientCertificate(t *testing.T, commonName string) *hookwire.ClientCertificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(30 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &hookwire.ClientCertificate{
		CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		KeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
	}
}

func TestAClientCertificateIsWriteOnlyAndChecked(t *testing.T) {
	hw, rx := newTenant(t, shared), newReceiver(t)
	pair := clientCertificate(t, "sdk")
	webhook := must[*hookwire.Webhook](t)(hw.Webhooks.Create(ctx, hookwire.WebhookDraft{URL: rx.URL, Events: []string{"order.*"}, ClientCertificate: pair}))
	if !webhook.HasClientCertificate {
		t.Fatalf("no certificate: %+v", webhook)
	}
	mismatched := &hookwire.ClientCertificate{CertPEM: pair.CertPEM, KeyPEM: clientCertificate(t, "other").KeyPEM}
	_, err := hw.Webhooks.Update(ctx, webhook.ID, hookwire.WebhookPatch{ClientCertificate: mismatched})
	var apiErr *hookwire.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 422 || apiErr.Field != "client_certificate" {
		t.Fatalf("want 422 naming client_certificate, got %v", err)
	}
	removed := must[*hookwire.Webhook](t)(hw.Webhooks.Update(ctx, webhook.ID, hookwire.WebhookPatch{Clear: []string{"client_certificate"}}))
	if removed.HasClientCertificate {
		t.Fatal("the certificate was not removed")
	}
}
