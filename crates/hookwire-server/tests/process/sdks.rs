//! The client SDKs' own test suites (`sdks/python`, `sdks/typescript`, `sdks/go`),
//! each run against this build's `hookwire` binary (`HOOKWIRE_BIN`), so that
//! README's one test command covers them and a server change that breaks a
//! client fails here.
//!
//! Each suite needs its language's tools (`.ci/run` installs them). Without them
//! the suite is skipped with a loud message — unless `CI` is set, where a
//! missing tool fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether `probe` runs successfully; if not, skip (or fail under CI) naming `what`.
fn available(probe: &mut Command, what: &str) -> bool {
    let ok = probe.output().map(|o| o.status.success()).unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {what} is missing (.ci/run installs it)"
        );
        eprintln!("\n*** SKIPPED: {what} is not installed ***\n");
    }
    ok
}

/// Run `command` in `dir` with the binary under test; fail with its output.
fn run_suite(mut command: Command, dir: &Path) {
    let output = command
        .current_dir(dir)
        .env("HOOKWIRE_BIN", env!("CARGO_BIN_EXE_hookwire"))
        .output()
        .expect("start the SDK's test runner");
    assert!(
        output.status.success(),
        "{:?} failed in {}:\n{}\n{}",
        command,
        dir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn python_sdk_suite_passes() {
    let dir = repo().join("sdks/python");
    let mut probe = Command::new("python3");
    probe.args([
        "-c",
        "import httpx, pytest, standardwebhooks, fastapi, wheel, mypy",
    ]);
    if !available(
        &mut probe,
        "python3 with httpx, pytest, standardwebhooks, fastapi, wheel and mypy",
    ) {
        return;
    }
    let mut pytest = Command::new("python3");
    pytest
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .env("PYTHONPATH", dir.join("src"))
        .env("PYTHONDONTWRITEBYTECODE", "1");
    run_suite(pytest, &dir);
}

#[test]
fn typescript_sdk_suite_passes() {
    let dir = repo().join("sdks/typescript");
    let mut probe = Command::new(dir.join("node_modules/.bin/tsc"));
    probe.arg("--version");
    if !available(
        &mut probe,
        "Node with sdks/typescript's dev dependencies (npm ci in sdks/typescript)",
    ) {
        return;
    }
    let mut npm = Command::new("npm");
    npm.args(["test", "--silent"]);
    run_suite(npm, &dir);
}

#[test]
fn go_sdk_suite_passes() {
    let dir = repo().join("sdks/go");
    let mut probe = Command::new("go");
    probe.arg("version");
    if !available(&mut probe, "Go (Debian's golang-go)") {
        return;
    }
    let mut go = Command::new("go");
    go.args(["test", "-count=1", "./..."]);
    run_suite(go, &dir);
}
