//! The one line a failed command prints: its error and each cause once.
//!
//! Many errors repeat their cause in their own message as well as returning it
//! as `source()` (thiserror's `#[error("…: {0}")]` on a `#[source]`, and several
//! of sqlx's and std's errors do the same), so printing the chain as is says the
//! same thing two or three times. A cause whose text the line already holds is
//! left out; the root cause always ends the line.

use std::error::Error;

/// `error: cause: root cause`, without repeats.
pub fn report(error: &(dyn Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let text = e.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = e.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::report;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read config file x.toml: {0}")]
    struct Repeats(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("cannot open database")]
    struct Wraps(#[source] Repeats);

    #[test]
    fn each_cause_is_said_once_and_the_root_cause_last() {
        let io = || std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        assert_eq!(
            report(&Repeats(io())),
            "cannot read config file x.toml: No such file or directory"
        );
        assert_eq!(
            report(&Wraps(Repeats(io()))),
            "cannot open database: cannot read config file x.toml: No such file or directory"
        );
        let any = anyhow::Error::from(Wraps(Repeats(io()))).context("hookwire migrate");
        let boxed: &(dyn std::error::Error + 'static) = any.as_ref();
        assert_eq!(
            report(boxed),
            "hookwire migrate: cannot open database: cannot read config file x.toml: No such file or directory"
        );
    }
}
