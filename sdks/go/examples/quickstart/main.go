// Quickstart: register a webhook, publish, verify what arrives.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"hookwire"
)

func main() {
	ctx, got := context.Background(), make(chan func(secret string) error, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- func(secret string) error { fmt.Println(string(body)); return hookwire.Verify(body, r.Header, secret) }
	}))
	client := hookwire.NewClient(os.Getenv("HOOKWIRE_URL"), os.Getenv("HOOKWIRE_API_KEY"))
	hook, err := client.Webhooks.Create(ctx, hookwire.WebhookDraft{URL: receiver.URL, Events: []string{"order.created"}})
	if err == nil {
		_, err = client.Publish(ctx, "order.created", map[string]int{"id": 42}, nil)
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verified:", (<-got)(*hook.Secret) == nil)
}
