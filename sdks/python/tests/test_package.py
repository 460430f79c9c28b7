"""``pip install ./sdks/python`` works: the package builds into a wheel holding the
modules and the ``py.typed`` marker."""

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

SDK = Path(__file__).resolve().parents[1]


def test_the_package_builds_into_a_typed_wheel() -> None:
    with tempfile.TemporaryDirectory() as out:
        # Built from a copy: setuptools writes build/ and *.egg-info beside the sources.
        source = Path(out) / "sdk"
        shutil.copytree(SDK, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", out, str(source)],
            check=True,
            capture_output=True,
        )
        (wheel,) = Path(out).glob("hookwire-0.1.0-*.whl")
        names = set(zipfile.ZipFile(wheel).namelist())
    for module in ("__init__", "client", "resources", "_transport", "errors", "models", "signature"):
        assert f"hookwire/{module}.py" in names
    assert "hookwire/py.typed" in names
    assert not any(name.startswith("tests/") for name in names)
