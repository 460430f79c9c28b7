package hookwire_test

// The client against the server's OpenAPI document (docs/openapi.json, which
// the Rust suite keeps equal to what the server serves): every operation has
// one method, and every struct has the fields of its schema, required ones as
// plain values and optional ones with omitempty.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"hookwire"
)

type schema struct {
	Ref        string            `json:"$ref"`
	AllOf      []schema          `json:"allOf"`
	Required   []string          `json:"required"`
	Properties map[string]schema `json:"properties"`
}

type document struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]schema `json:"schemas"`
	} `json:"components"`
}

func loadDocument(t *testing.T) document {
	raw, err := os.ReadFile(filepath.Join(repo, "docs/openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc document
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// fields of a schema (allOf merged): name → required.
func (d document) fields(s schema) map[string]bool {
	if s.Ref != "" {
		return d.fields(d.Components.Schemas[s.Ref[strings.LastIndex(s.Ref, "/")+1:]])
	}
	out := map[string]bool{}
	for _, part := range s.AllOf {
		for k, v := range d.fields(part) {
			out[k] = v
		}
	}
	required := map[string]bool{}
	for _, name := range s.Required {
		required[name] = true
	}
	for name := range s.Properties {
		out[name] = required[name]
	}
	return out
}

// structFields of a Go type (embedded structs merged): json name → required.
func structFields(typ reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if f.Anonymous {
			for k, v := range structFields(f.Type) {
				out[k] = v
			}
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" || tag == "" {
			continue
		}
		name, options, _ := strings.Cut(tag, ",")
		out[name] = !strings.Contains(options, "omitempty")
	}
	return out
}

func TestEveryOperationOfTheDocumentHasExactlyOneMethod(t *testing.T) {
	doc := loadDocument(t)
	var documented []string
	for path, item := range doc.Paths {
		if !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		for method, raw := range item {
			if !strings.Contains("get post put patch delete", method) {
				continue
			}
			var op struct {
				OperationID string `json:"operationId"`
			}
			_ = json.Unmarshal(raw, &op)
			documented = append(documented, op.OperationID)
		}
	}
	var mapped []string
	methods := map[string]bool{}
	client := reflect.ValueOf(hookwire.NewClient("http://127.0.0.1:1", "k")).Elem()
	for op, method := range hookwire.Operations {
		mapped = append(mapped, op)
		if methods[method] {
			t.Errorf("%s implements two operations", method)
		}
		methods[method] = true
		resource, name, _ := strings.Cut(method, ".")
		if !client.FieldByName(resource).IsValid() || !client.FieldByName(resource).MethodByName(name).IsValid() {
			t.Errorf("%s (%s) does not exist", method, op)
		}
	}
	sort.Strings(documented)
	sort.Strings(mapped)
	if strings.Join(documented, " ") != strings.Join(mapped, " ") {
		t.Fatalf("document: %v\nclient:   %v", documented, mapped)
	}
}

func TestEveryStructHasTheFieldsOfItsSchema(t *testing.T) {
	doc := loadDocument(t)
	for name, value := range map[string]any{
		"Tenant": hookwire.Tenant{}, "CreatedTenant": hookwire.CreatedTenant{},
		"KeyView": hookwire.Key{}, "CreatedKey": hookwire.CreatedKey{}, "KeyDraft": hookwire.KeyDraft{},
		"EventType": hookwire.EventType{}, "RetryPolicy": hookwire.RetryPolicy{},
		"RetryPolicyDraft": hookwire.RetryPolicyDraft{}, "WebhookView": hookwire.Webhook{},
		"WebhookDraft": hookwire.WebhookDraft{}, "WebhookPatch": hookwire.WebhookPatch{},
		"DeliveryView": hookwire.Delivery{}, "AttemptView": hookwire.Attempt{},
		"DeliveryDetailView": hookwire.DeliveryDetail{}, "EventView": hookwire.Event{},
		"EventDetailView": hookwire.EventDetail{}, "Published": hookwire.Published{},
		"Replayed": hookwire.Replayed{}, "Requeued": hookwire.Requeued{}, "Recovered": hookwire.Requeued{},
		"BulkRetry": hookwire.BulkRetry{}, "TestResult": hookwire.TestResult{}, "NewSecret": hookwire.NewSecret{},
		"WebhookStatsView": hookwire.WebhookStats{}, "FailingWebhook": hookwire.FailingWebhook{},
		"TenantStatsView": hookwire.TenantStats{},
		"PortalDraft":     hookwire.PortalDraft{}, "PortalLink": hookwire.PortalLink{},
		"AuditEntryView": hookwire.AuditEntry{}, "Actor": hookwire.Actor{},
		"ClientCertificateDraft": hookwire.ClientCertificate{}, "CircuitView": hookwire.Circuit{},
	} {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s is not in the document", name)
			continue
		}
		want, got := doc.fields(s), structFields(reflect.TypeOf(value))
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: document %v, struct %v", name, want, got)
		}
	}
}

func TestTheVersionFollowsTheServers(t *testing.T) {
	cargo, err := os.ReadFile(filepath.Join(repo, "Cargo.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "\nversion = \"" + hookwire.Version + "\"\n"; !strings.Contains(string(cargo), want) {
		t.Fatalf("Cargo.toml's version is not %s", hookwire.Version)
	}
}
