//! `hookwire verify`: check a delivery's headers and body (from stdin).

use std::io::Read;
use std::process::ExitCode;

use hookwire::verify::ReceiverKey;

/// Verify with a secret or an Ed25519 public key; exit 0 and print the event
/// if valid, exit 1 with the reason if not.
pub fn run(
    secret: Option<&str>,
    public_key: Option<&str>,
    headers: &[String],
) -> anyhow::Result<ExitCode> {
    let key = ReceiverKey::from_settings(secret, public_key)?
        .ok_or_else(|| anyhow::anyhow!("give --secret or --public-key"))?;
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
    match hookwire::verify::verify_with(&key, lookup, &body, hookwire::clock::now()) {
        Ok(v) => {
            let pretty = serde_json::from_slice::<serde_json::Value>(&body)
                .and_then(|b| serde_json::to_string_pretty(&b))
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).into_owned());
            eprintln!(
                "valid: webhook-id {} signed {}{}",
                v.msg_id,
                signed_at(v.timestamp, hookwire::clock::now()),
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

/// `at 2026-12-06 21:10:05 UTC (12 s ago)` for a `webhook-timestamp`.
fn signed_at(timestamp: i64, now: chrono::DateTime<chrono::Utc>) -> String {
    let Some(at) = chrono::DateTime::from_timestamp(timestamp, 0) else {
        return format!("at {timestamp}");
    };
    let age = (now - at).num_seconds();
    let age = match age {
        0 => "just now".to_owned(),
        a if a > 0 => format!(
            "{} ago",
            humantime::format_duration(std::time::Duration::from_secs(a as u64))
        ),
        a => format!(
            "{} in the future",
            humantime::format_duration(std::time::Duration::from_secs(a.unsigned_abs()))
        ),
    };
    format!("at {} ({age})", at.format("%Y-%m-%d %H:%M:%S UTC"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_signing_time_reads_as_a_date_and_an_age() {
        let now = chrono::DateTime::from_timestamp(1_614_265_342, 0).unwrap();
        assert_eq!(
            super::signed_at(1_614_265_330, now),
            "at 2021-02-25 15:02:10 UTC (12s ago)"
        );
        assert_eq!(
            super::signed_at(1_614_265_342, now),
            "at 2021-02-25 15:02:22 UTC (just now)"
        );
        assert!(super::signed_at(1_614_265_402, now).ends_with("(1m in the future)"));
    }
}
