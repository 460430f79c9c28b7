//! `hookwire verify`: check a delivery's headers and body (from stdin).

use std::io::Read;
use std::process::ExitCode;

use hookwire::secret::WebhookSecret;

/// Verify; exit 0 and print the event if valid, exit 1 with the reason if not.
pub fn run(secret: &str, headers: &[String]) -> anyhow::Result<ExitCode> {
    let secret = WebhookSecret::parse(secret)?;
    let mut parsed = Vec::new();
    for h in headers {
        let (name, value) = h
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("--header {h:?} must look like 'name: value'"))?;
        parsed.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut body = Vec::new();
    std::io::stdin().read_to_end(&mut body)?;
    let lookup = |name: &str| {
        parsed
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    match hookwire::verify::verify(&secret, lookup, &body, hookwire::clock::now()) {
        Ok(v) => {
            let pretty = serde_json::from_slice::<serde_json::Value>(&body)
                .and_then(|b| serde_json::to_string_pretty(&b))
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).into_owned());
            eprintln!(
                "valid: webhook-id {} signed at {}{}",
                v.msg_id,
                v.timestamp,
                if v.sha256_checked {
                    " (sha256 header checked too)"
                } else {
                    ""
                }
            );
            println!("{pretty}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("invalid: {e}");
            Ok(ExitCode::from(1))
        }
    }
}
