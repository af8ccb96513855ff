"""gatecc's own packaging builds without setuptools warnings (issue: data folders left out of ``packages``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["pyproject.toml", "README.md", "gatecc", "ir", "backends", "examples"]

BUILD = """
import sys, warnings
warnings.simplefilter("always")
import setuptools.build_meta as backend
getattr(backend, sys.argv[1])(sys.argv[2])
"""


def test_wheel_and_sdist_build_without_warnings(tmp_path):
    pytest.importorskip("setuptools")
    tree = tmp_path / "src"
    tree.mkdir()
    for name in SOURCES:   # a copy, so the build leaves no build/ or egg-info behind in the checkout
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, tree / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(src, tree / name)
    out = tmp_path / "dist"
    out.mkdir()
    log = ""
    for hook in ("build_sdist", "build_wheel"):   # one process each: setuptools keeps state between them
        run = subprocess.run([sys.executable, "-c", BUILD, hook, str(out)], cwd=tree, capture_output=True, text=True)
        log += run.stdout + run.stderr
        assert run.returncode == 0, log
    bad = [line for line in log.splitlines() if "Warning" in line or "absent from" in line]
    assert not bad, "\n".join(bad)
    wheels = list(out.glob("*.whl"))
    assert wheels, log[-3000:]
    wheel = wheels[0]
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    # The data the package reads at run time is in the wheel.
    for needed in ("gatecc/life/web/index.html", "gatecc/ir/logic/data/npn4.txt", "gatecc/backends/runtime.c"):
        assert needed in names
