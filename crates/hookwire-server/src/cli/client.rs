//! `hookwire send`, `replay`, `retry` and `webhooks …`: talk to a running
//! server.

use std::path::Path;

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

/// Where the server is and who we are.
#[derive(Debug, Clone, clap::Args)]
pub struct ApiArgs {
    /// Server base URL.
    #[arg(long, env = "HOOKWIRE_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// A tenant API key.
    #[arg(long, env = "HOOKWIRE_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Print the raw JSON response instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl ApiArgs {
    /// One API call: the response's JSON, or an error with its code and message.
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        Ok(self.call_with_headers(method, path, body).await?.0)
    }

    /// [`call`](Self::call), with the response's headers.
    async fn call_with_headers(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(Value, reqwest::header::HeaderMap)> {
        let url = format!("{}/api/v1{path}", self.url.trim_end_matches('/'));
        let mut req = reqwest::Client::new()
            .request(method, &url)
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await?;
        let value: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if !status.is_success() {
            let msg = value["message"]
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            bail!(
                "{} {}: {msg}",
                status.as_u16(),
                value["error"].as_str().unwrap_or("error")
            );
        }
        Ok((value, headers))
    }
}

/// The optional keys of `hookwire send`.
pub struct EventKeys {
    /// `--idempotency-key`.
    pub idempotency_key: Option<String>,
    /// `--ordering-key`.
    pub ordering_key: Option<String>,
}

/// `hookwire send TYPE JSON`.
pub async fn send(
    api: &ApiArgs,
    event_type: &str,
    data: &str,
    channel: Option<String>,
    keys: EventKeys,
) -> anyhow::Result<()> {
    let data: Value = serde_json::from_str(data).context("the event data must be JSON")?;
    let mut body = json!({ "type": event_type, "data": data });
    if let Some(c) = channel {
        body["channel"] = json!(c);
    }
    if let Some(k) = keys.idempotency_key {
        body["id"] = json!(k);
    }
    if let Some(k) = keys.ordering_key {
        body["ordering_key"] = json!(k);
    }
    let (v, headers) = api
        .call_with_headers(reqwest::Method::POST, "/events", Some(body))
        .await?;
    if api.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let deliveries = v["deliveries"].as_array().cloned().unwrap_or_default();
    let replayed = headers
        .get("idempotent-replayed")
        .is_some_and(|v| v.as_bytes() == b"true");
    let what = if replayed {
        "already published (same idempotency key; nothing new stored):"
    } else {
        "published"
    };
    println!(
        "{what} {} ({}) → {}",
        s(&v["id"]),
        s(&v["type"]),
        plural(deliveries.len(), "delivery", "deliveries")
    );
    table(
        &["DELIVERY", "WEBHOOK", "STATUS"],
        deliveries
            .iter()
            .map(|d| vec![s(&d["id"]), s(&d["webhook_id"]), s(&d["status"])]),
    );
    Ok(())
}

/// `hookwire webhooks list`.
pub async fn list(api: &ApiArgs) -> anyhow::Result<()> {
    let v = api
        .call(reqwest::Method::GET, "/webhooks?limit=250", None)
        .await?;
    if api.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let rows = v["data"].as_array().cloned().unwrap_or_default();
    table(
        &["ID", "NAME", "URL", "EVENTS", "ACTIVE", "CIRCUIT"],
        rows.iter().map(|w| {
            let events: Vec<String> = w["events"]
                .as_array()
                .into_iter()
                .flatten()
                .map(s)
                .collect();
            vec![
                s(&w["id"]),
                w["name"].as_str().unwrap_or("-").to_owned(),
                s(&w["url"]),
                events.join(","),
                w["is_active"].to_string(),
                w["circuit"]["state"].as_str().unwrap_or("-").to_owned(),
            ]
        }),
    );
    Ok(())
}

/// The optional settings of `hookwire webhooks create`.
#[derive(Debug, Default)]
pub struct NewWebhook {
    /// `--name`.
    pub name: Option<String>,
    /// `--rate-limit`.
    pub rate_limit: Option<u32>,
    /// `--filter`, a JSON object.
    pub filter: Option<Value>,
    /// `--ordering` (`none` or `fifo`).
    pub ordering: Option<String>,
    /// `--client-cert` and `--client-key`, read.
    pub client_certificate: Option<Value>,
}

/// The `client_certificate` field from the PEM files `cert` and `key`; the
/// server checks them (and names the field if they are wrong).
pub fn read_client_certificate(cert: &Path, key: &Path) -> anyhow::Result<Value> {
    let read = |path: &Path, flag: &str| {
        std::fs::read_to_string(path)
            .with_context(|| format!("{flag}: cannot read {}", path.display()))
    };
    Ok(json!({
        "cert_pem": read(cert, "--client-cert")?,
        "key_pem": read(key, "--client-key")?,
    }))
}

/// `hookwire webhooks create`.
pub async fn create(
    api: &ApiArgs,
    url: &str,
    events: &[String],
    options: NewWebhook,
) -> anyhow::Result<()> {
    let mut body = json!({ "url": url, "events": events });
    if let Some(n) = options.name {
        body["name"] = json!(n);
    }
    if let Some(r) = options.rate_limit {
        body["rate_limit_per_second"] = json!(r);
    }
    if let Some(f) = options.filter {
        body["filter"] = f;
    }
    if let Some(o) = options.ordering {
        body["ordering"] = json!(o);
    }
    if let Some(c) = options.client_certificate {
        body["client_certificate"] = c;
    }
    let v = api
        .call(reqwest::Method::POST, "/webhooks", Some(body))
        .await?;
    if api.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "created {}\nsigning secret (shown once): {}",
            s(&v["id"]),
            s(&v["secret"])
        );
    }
    Ok(())
}

/// `hookwire webhooks delete ID`.
pub async fn delete(api: &ApiArgs, id: &str) -> anyhow::Result<()> {
    api.call(reqwest::Method::DELETE, &format!("/webhooks/{id}"), None)
        .await?;
    if !api.json {
        println!("deleted {id}");
    }
    Ok(())
}

/// `hookwire replay EVENT_ID [--webhook ID]`.
pub async fn replay(api: &ApiArgs, event_id: &str, webhook: Option<String>) -> anyhow::Result<()> {
    let body = json!({ "webhook_id": webhook });
    let answer = api
        .call(
            reqwest::Method::POST,
            &format!("/events/{event_id}/replay"),
            Some(body),
        )
        .await?;
    if api.json {
        println!("{answer}");
        return Ok(());
    }
    let deliveries = answer["deliveries"].as_array().cloned().unwrap_or_default();
    println!(
        "replaying {event_id}: {}",
        plural(deliveries.len(), "new delivery", "new deliveries")
    );
    for d in &deliveries {
        println!("  {}  to {}", s(&d["id"]), s(&d["webhook_id"]));
    }
    Ok(())
}

/// `hookwire retry --since T …`: the body of `POST /deliveries/retry`.
pub async fn retry(api: &ApiArgs, body: Value) -> anyhow::Result<()> {
    let answer = api
        .call(reqwest::Method::POST, "/deliveries/retry", Some(body))
        .await?;
    if api.json {
        println!("{answer}");
    } else {
        let n = answer["requeued"].as_u64().unwrap_or(0);
        println!(
            "requeued {}",
            plural(
                usize::try_from(n).unwrap_or(usize::MAX),
                "delivery",
                "deliveries"
            )
        );
    }
    Ok(())
}

/// `1 delivery`, `2 deliveries`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn s(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// Print rows under headers in aligned columns.
pub fn table(headers: &[&str], rows: impl Iterator<Item = Vec<String>>) {
    let rows: Vec<Vec<String>> = rows.collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    println!("{}", line(headers.iter().map(|h| h.to_string()).collect()));
    for r in rows {
        println!("{}", line(r));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_are_pluralised() {
        assert_eq!(super::plural(1, "delivery", "deliveries"), "1 delivery");
        assert_eq!(super::plural(0, "delivery", "deliveries"), "0 deliveries");
        assert_eq!(super::plural(2, "delivery", "deliveries"), "2 deliveries");
    }
}
