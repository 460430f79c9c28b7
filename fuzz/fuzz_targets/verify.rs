//! The receiver-side signature check on arbitrary headers and bodies: it never
//! panics, accepts only what was signed with the secret, and always accepts what
//! was.
#![no_main]

use hookwire::secret::WebhookSecret;
use hookwire::signer::Signer;
use hookwire::verify::verify;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(secret) = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") else {
        return;
    };
    let now = chrono::Utc::now();
    // Input: id \n timestamp \n signature(s) \n x-webhook-signature \n body.
    let mut parts = data.splitn(5, |b| *b == b'\n');
    let mut field = || parts.next().map(|p| String::from_utf8_lossy(p).into_owned());
    let (id, ts, sig, sha, body) = (field(), field(), field(), field(), field());
    let body = body.unwrap_or_default();
    let lookup = |name: &str| match name {
        "webhook-id" => id.clone(),
        "webhook-timestamp" => ts.clone(),
        "webhook-signature" => sig.clone(),
        "x-webhook-signature" => sha.clone().filter(|s| !s.is_empty()),
        _ => None,
    };
    if let Ok(v) = verify(&secret, lookup, body.as_bytes(), now) {
        // Accepted: the signature really is ours for these bytes.
        let expected = Signer::new(&secret, None).standard(&v.msg_id, v.timestamp, body.as_bytes());
        assert!(sig.unwrap_or_default().split_whitespace().any(|s| s == expected));
    }
    // What we sign always verifies.
    let msg_id = id.unwrap_or_default();
    let signed = Signer::new(&secret, None).standard(&msg_id, now.timestamp(), body.as_bytes());
    let ts_now = now.timestamp().to_string();
    let good = |name: &str| match name {
        "webhook-id" => Some(msg_id.clone()),
        "webhook-timestamp" => Some(ts_now.clone()),
        "webhook-signature" => Some(signed.clone()),
        _ => None,
    };
    assert!(verify(&secret, good, body.as_bytes(), now).is_ok());
});
