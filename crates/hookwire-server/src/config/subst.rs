//! `${VAR}` substitution in configuration strings.
//!
//! Applied to the parsed value tree, not the file text, so a substituted value can
//! never break the file's quoting, and an error can name the key it came from.
//! Forms: `${VAR}` (must be set), `${VAR:-default}` (default when unset or empty),
//! and `$$` for a literal `$`.

use figment::value::Value;

/// Replace every `${…}` in the strings of `value`; `path` is the key path so far,
/// `lookup` reads a variable.
pub(super) fn substitute(
    value: &mut Value,
    path: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), String> {
    match value {
        Value::String(_, s) if s.contains('$') => {
            *s = expand(s, lookup).map_err(|e| format!("config key `{path}`: {e}"))?;
        }
        Value::Dict(_, dict) => {
            for (k, v) in dict.iter_mut() {
                substitute(v, &format!("{path}.{k}"), lookup)?;
            }
        }
        Value::Array(_, items) => {
            for (i, v) in items.iter_mut().enumerate() {
                substitute(v, &format!("{path}[{i}]"), lookup)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Expand one string.
pub(super) fn expand(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(after) = rest.strip_prefix("$$") {
            out.push('$');
            rest = after;
        } else if let Some(after) = rest.strip_prefix("${") {
            let end = after
                .find('}')
                .ok_or_else(|| format!("unterminated ${{ in {s:?}"))?;
            let inner = &after[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            let valid = !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !name.as_bytes()[0].is_ascii_digit();
            if !valid {
                return Err(format!("${{{inner}}} is not a valid variable reference"));
            }
            match (lookup(name).filter(|v| !v.is_empty()), default) {
                (Some(v), _) => out.push_str(&v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => {
                    return Err(format!(
                        "environment variable {name} is not set (referenced as ${{{name}}})"
                    ))
                }
            }
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}
