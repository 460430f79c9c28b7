//! A failed attempt's transport error in words a person reads at a glance
//! ("connection refused by 127.0.0.1:9001"), from the error kind and the raw
//! error chain the attempt recorded. The raw chain stays on the page behind a
//! disclosure; this only chooses the headline.

/// The headline for an attempt that got no HTTP response.
pub(super) fn in_words(kind: Option<&str>, raw: &str) -> String {
    let peer = peer(raw);
    let at = |what: &str| match &peer {
        Some(p) => format!("{what} {p}"),
        None => what.to_owned(),
    };
    let lower = raw.to_ascii_lowercase();
    match kind {
        Some("timeout") => format!("timed out: {raw}"),
        Some("connect") if lower.contains("connection refused") => at("connection refused by"),
        Some("connect") if lower.contains("connection reset") => at("connection reset by"),
        Some("connect") if lower.contains("dns") || lower.contains("lookup") => {
            at("could not resolve the host of")
        }
        Some("connect")
            if lower.contains("certificate") || lower.contains("tls") || lower.contains("ssl") =>
        {
            at("TLS handshake failed with")
        }
        Some("connect") if lower.contains("timed out") => at("connecting timed out to"),
        Some("connect") => at("could not connect to"),
        Some("request") => at("the connection broke before a complete response from"),
        // Already a sentence of ours ("… is an internal address, which is not
        // allowed"; URL rule messages).
        _ => raw.to_owned(),
    }
}

/// `host:port` of the URL the client names in its error ("error sending request
/// for url (http://127.0.0.1:9001/hook)"), with the scheme's default port.
fn peer(raw: &str) -> Option<String> {
    let start = raw.find("url (")? + "url (".len();
    let end = raw[start..].find(')')? + start;
    let url = url::Url::parse(&raw[start..end]).ok()?;
    let host = url.host_str()?;
    Some(match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::in_words;

    const REFUSED: &str = "error sending request for url (http://127.0.0.1:9001/hook): client \
                           error (Connect): tcp connect error: Connection refused (os error 111)";

    #[test]
    fn transport_errors_read_as_sentences() {
        assert_eq!(
            in_words(Some("connect"), REFUSED),
            "connection refused by 127.0.0.1:9001"
        );
        let dns =
            "error sending request for url (https://nope.invalid/x): client error (Connect): \
                   dns error: failed to lookup address information";
        assert_eq!(
            in_words(Some("connect"), dns),
            "could not resolve the host of nope.invalid:443"
        );
        assert_eq!(
            in_words(Some("timeout"), "no response within 10s"),
            "timed out: no response within 10s"
        );
        let forbidden = "127.0.0.1 is an internal address, which is not allowed";
        assert_eq!(in_words(Some("forbidden_address"), forbidden), forbidden);
    }
}
