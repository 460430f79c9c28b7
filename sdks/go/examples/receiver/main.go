// A net/http receiver that accepts only deliveries signed with the webhook's secret.
package main

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"os"

	"hookwire"
)

func main() {
	secret := os.Getenv("HOOKWIRE_WEBHOOK_SECRET")
	http.HandleFunc("/webhooks/hookwire", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || hookwire.Verify(body, r.Header, secret) != nil {
			http.Error(w, "invalid signature", http.StatusBadRequest)
			return
		}
		var event struct {
			Type string
			Data json.RawMessage
		}
		_ = json.Unmarshal(body, &event)
		log.Println(event.Type, string(event.Data))
		w.WriteHeader(http.StatusNoContent)
	})
	log.Fatal(http.ListenAndServe(os.Getenv("LISTEN"), nil))
}
