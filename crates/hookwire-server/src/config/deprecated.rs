//! Config keys that were renamed: their old names keep working, moved to the
//! new name before the configuration is read, and `serve` warns about each.

/// Server keys renamed, old name first. The old names keep working.
const RENAMED: [(&str, &str); 2] = [
    ("rate_limit_per_second", "api_rate_limit_per_second"),
    ("rate_limit_burst", "api_rate_limit_burst"),
];

/// Move values set under an old key name to the new one (the new name wins
/// when both are set); returns the renamings made.
pub(super) fn rename(dict: &mut figment::value::Dict) -> Vec<(&'static str, &'static str)> {
    let mut renamed = Vec::new();
    for (old, new) in RENAMED {
        if let Some(value) = dict.remove(old) {
            dict.entry(new.to_owned()).or_insert(value);
            renamed.push((old, new));
        }
    }
    renamed
}
