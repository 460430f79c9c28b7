//! Command-line options of the bench harnesses (`-- --name value`).

use hookwire::testing::Backend;

/// The harness's arguments.
pub struct Args(Vec<String>);

impl Args {
    pub fn from_env() -> Self {
        Self(std::env::args().collect())
    }

    /// The value after `name`, parsed, or `default`.
    pub fn get<T: std::str::FromStr>(&self, name: &str, default: T) -> T {
        self.0
            .iter()
            .position(|a| a == name)
            .and_then(|i| self.0.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    /// `--backend postgres`, else SQLite.
    pub fn backend(&self) -> Backend {
        match self.get("--backend", String::new()).as_str() {
            "postgres" => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }
}
