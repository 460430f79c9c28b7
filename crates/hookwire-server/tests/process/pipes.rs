//! A command whose reader goes away (`| head -1`) ends quietly, never panics.

use std::process::Stdio;

use crate::cli::hookwire;

#[test]
fn a_closed_stdout_ends_a_command_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..5 {
        let mut child = hookwire()
            .current_dir(dir.path())
            .args(["config", "check"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs");
        // The reader is gone before the command prints anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("exits");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{err}");
        assert_ne!(out.status.code(), Some(101), "{err}");
    }
}
