//! `${VAR}` / `${VAR:-default}` expansion in config values on arbitrary text: it
//! never panics, and text without `$` comes back unchanged.
#![no_main]

use hookwire_server::config::expand_vars;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lookup = |name: &str| (name.len() % 2 == 0).then(|| format!("<{name}>"));
    let out = expand_vars(text, &lookup);
    if !text.contains('$') {
        assert_eq!(out.as_deref(), Ok(text));
    }
});
