"""The package type-checks under ``mypy --strict``, and both clients give their
calls the documented types (``typed_usage.py``): answers typed by
``hookwire.models``, awaitables and async iterators on ``AsyncHookwire``."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

SDK = Path(__file__).resolve().parents[1]


def test_mypy_strict_accepts_the_package_and_the_typed_usage() -> None:
    with tempfile.TemporaryDirectory() as cache:
        run = subprocess.run(
            [
                sys.executable, "-m", "mypy",
                "--config-file", str(SDK / "pyproject.toml"),
                "--cache-dir", cache,
                str(SDK / "src" / "hookwire"),
                str(SDK / "tests" / "typed_usage.py"),
            ],
            env={**os.environ, "MYPYPATH": str(SDK / "src")},
            capture_output=True,
            text=True,
        )
    assert run.returncode == 0, run.stdout + run.stderr
