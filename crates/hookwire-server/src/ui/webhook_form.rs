//! The webhook form as typed in the dashboard (create and edit), and its
//! reading into the API's draft: blank fields mean absent, lists are words,
//! and a bad field is named as the API would name it.
//!
//! Reading only; the pages that show the form and the handlers that store
//! it are `webhooks.rs`, `webhook_page.rs` and `webhook_actions.rs`.

use hookwire::model::{DeliveryOrder, Webhook, WebhookDraft};
use hookwire::secret::{ClientCertificateDraft, SignatureScheme};
use hookwire::ValidationError;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::Value;

/// The fields of the create and edit forms, as typed.
#[derive(Debug, Default, Deserialize)]
pub(super) struct WebhookForm {
    pub url: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Event-type filters separated by commas or spaces.
    #[serde(default)]
    pub events: String,
    /// Channels separated by commas or spaces.
    #[serde(default)]
    pub channels: String,
    /// Requests per second at most; blank for no limit.
    #[serde(default)]
    pub rate_limit: String,
    /// Payload filter as JSON text; blank for none.
    #[serde(default)]
    pub filter: String,
    /// `none` or `fifo`; blank is the default (`none`).
    #[serde(default)]
    pub ordering: String,
    /// `hmac-sha256` or `ed25519` (create form only); blank is HMAC.
    #[serde(default)]
    pub signature_scheme: String,
    /// A TLS client certificate, PEM; blank with a blank key keeps the
    /// current one (never shown back: it is write-only).
    #[serde(default)]
    pub client_cert_pem: String,
    /// The client certificate's private key, PEM.
    #[serde(default)]
    pub client_key_pem: String,
    /// Ticked on the edit form: remove the client certificate.
    #[serde(default)]
    pub remove_client_certificate: Option<String>,
    /// The webhook being edited (blank on the create form); the filter
    /// preview's `webhook_id`.
    #[serde(default)]
    pub webhook_id: String,
}

/// A payload filter typed into the form: blank is none, anything else must
/// be JSON (whether it is a valid filter is the engine's to say).
pub(super) fn parse_filter(typed: &str) -> Result<Option<Value>, ValidationError> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    serde_json::from_str(typed)
        .map(Some)
        .map_err(|e| ValidationError::field("filter", format!("is not JSON: {e}")))
}

/// The ordering chosen in the form: blank is the default.
pub(super) fn parse_ordering(chosen: &str) -> Result<Option<DeliveryOrder>, ValidationError> {
    match chosen.trim() {
        "" => Ok(None),
        name => DeliveryOrder::parse(name)
            .map(Some)
            .ok_or_else(|| ValidationError::field("ordering", "must be none or fifo")),
    }
}

/// The signature scheme chosen on the create form: blank is the default.
fn parse_scheme(chosen: &str) -> Result<Option<SignatureScheme>, ValidationError> {
    match chosen.trim() {
        "" | "hmac-sha256" => Ok(None),
        "ed25519" => Ok(Some(SignatureScheme::Ed25519)),
        _ => Err(ValidationError::field(
            "signature_scheme",
            "must be hmac-sha256 or ed25519",
        )),
    }
}

/// Split a list typed into a text field.
pub(super) fn words(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `None` for a blank field.
pub(super) fn text(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

impl WebhookForm {
    pub(super) fn draft(&self) -> Result<WebhookDraft, ValidationError> {
        Ok(WebhookDraft {
            url: self.url.trim().to_owned(),
            events: words(&self.events),
            name: text(&self.name),
            description: text(&self.description),
            channels: Some(words(&self.channels)),
            rate_limit_per_second: self.rate_limit(),
            filter: parse_filter(&self.filter)?,
            ordering: parse_ordering(&self.ordering)?,
            signature_scheme: parse_scheme(&self.signature_scheme)?,
            client_certificate: self.client_certificate(),
            ..WebhookDraft::default()
        })
    }

    /// The client certificate change the form asks for: a new one when
    /// either box is filled (the engine names the one left blank), removal
    /// when ticked, otherwise none.
    pub(super) fn client_certificate(&self) -> Option<Option<ClientCertificateDraft>> {
        if !self.client_cert_pem.trim().is_empty() || !self.client_key_pem.trim().is_empty() {
            return Some(Some(ClientCertificateDraft {
                cert_pem: self.client_cert_pem.clone(),
                key_pem: self.client_key_pem.clone(),
            }));
        }
        self.remove_client_certificate.as_ref().map(|_| None)
    }

    /// The typed rate limit: blank is none; what is not a whole number becomes
    /// 0, which validation refuses with the allowed range.
    pub(super) fn rate_limit(&self) -> Option<u32> {
        let typed = self.rate_limit.trim();
        (!typed.is_empty()).then(|| typed.parse().unwrap_or(0))
    }

    /// The form's values for an existing webhook.
    pub(super) fn of(w: &Webhook) -> Self {
        Self {
            url: w.url.clone(),
            name: w.name.clone().unwrap_or_default(),
            description: w.description.clone().unwrap_or_default(),
            events: w.events.join(", "),
            channels: w.channels.join(", "),
            rate_limit: w
                .rate_limit_per_second
                .map(|r| r.to_string())
                .unwrap_or_default(),
            filter: w
                .filter
                .as_ref()
                .map(|f| f.as_json().to_string())
                .unwrap_or_default(),
            ordering: w.ordering.as_str().to_owned(),
            signature_scheme: w.secret.scheme().as_str().to_owned(),
            webhook_id: w.id.to_string(),
            ..Self::default()
        }
    }

    /// The inputs, filled with these values.
    pub(super) fn fields(&self) -> Markup {
        html! {
            div class="grid" {
                div {
                    label for="url" { "Endpoint URL" }
                    input id="url" name="url" type="url" required value=(self.url) placeholder="https://example.com/webhooks";
                }
                div {
                    label for="name" { "Name (optional)" }
                    input id="name" name="name" value=(self.name) maxlength="200";
                }
                div {
                    label for="events" { "Event types" }
                    input id="events" name="events" value=(self.events) required aria-describedby="events-help";
                    small id="events-help" class="muted" { "Comma-separated: exact (order.paid), prefix (order.*) or *." }
                }
                div {
                    label for="channels" { "Channels (optional)" }
                    input id="channels" name="channels" value=(self.channels);
                }
                div {
                    label for="rate_limit" { "Rate limit, requests/s (optional)" }
                    input id="rate_limit" name="rate_limit" type="number" min="1" max="10000" value=(self.rate_limit);
                }
                div {
                    label for="ordering" { "Ordering" }
                    select id="ordering" name="ordering" aria-describedby="ordering-help" {
                        option value="none" selected[self.ordering != "fifo"] { "none" }
                        option value="fifo" selected[self.ordering == "fifo"] { "fifo" }
                    }
                    small id="ordering-help" class="muted" {
                        "fifo: events with the same ordering_key one at a time, in publish order."
                    }
                }
                @if self.webhook_id.is_empty() {
                    div {
                        label for="signature_scheme" { "Signatures" }
                        select id="signature_scheme" name="signature_scheme" aria-describedby="scheme-help" {
                            option value="hmac-sha256" { "hmac-sha256" }
                            option value="ed25519" { "ed25519" }
                        }
                        small id="scheme-help" class="muted" {
                            "ed25519: receivers verify with the webhook's public key, no shared secret."
                        }
                    }
                }
            }
            label for="description" { "Description (optional)" }
            input id="description" name="description" value=(self.description) maxlength="1000";
            label for="filter" { "Payload filter (optional JSON)" }
            textarea id="filter" name="filter" rows="3" spellcheck="false" aria-describedby="filter-help"
                placeholder=r#"{"data.amount": {"$gte": 100}}"# { (self.filter) }
            small id="filter-help" class="muted" {
                "Only events whose body matches are delivered: dotted paths (data.amount) with a value, or "
                "$eq $ne $in $nin $gt $gte $lt $lte $exists $startsWith; combine with $and $or $not. "
            }
            details {
                summary { "Client certificate for mutual TLS (optional)" }
                label for="client_cert_pem" { "Certificate (PEM, leaf first)" }
                textarea id="client_cert_pem" name="client_cert_pem" rows="3" spellcheck="false"
                    placeholder="-----BEGIN CERTIFICATE-----" {}
                label for="client_key_pem" { "Private key (PEM)" }
                textarea id="client_key_pem" name="client_key_pem" rows="3" spellcheck="false"
                    aria-describedby="client-cert-help" placeholder="-----BEGIN PRIVATE KEY-----" {}
                small id="client-cert-help" class="muted" {
                    "Presented when the receiver asks for a client certificate. Stored like the "
                    "signing secret and never shown again; leave blank to keep the current one."
                }
                @if !self.webhook_id.is_empty() {
                    label {
                        input type="checkbox" name="remove_client_certificate" value="on";
                        " Remove the client certificate"
                    }
                }
            }
            input type="hidden" name="webhook_id" value=(self.webhook_id);
            p {
                button type="submit" class="secondary" formaction="/ui/filter-preview" formmethod="get" formnovalidate {
                    "Preview against the last 50 events"
                }
            }
        }
    }
}
