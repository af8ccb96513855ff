"""Shared test settings.

Hypothesis profiles: "ci" (the default: enough examples to matter, small
enough for 2 cores) and "thorough" (HYPOTHESIS_PROFILE=thorough) for longer
local runs.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.register_profile(
    "thorough", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


import subprocess
import sys
from dataclasses import dataclass

import pytest


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args, cwd=None, timeout=600) -> CliResult:
    """Run the installed ``gatecc`` command (``python -m gatecc``) in ``cwd``."""
    proc = subprocess.run(
        [sys.executable, "-m", "gatecc", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=timeout,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli(tmp_path):
    """``cli(*args)`` runs gatecc with the test's tmp_path as working directory."""
    return lambda *args, **kw: run_cli(*args, cwd=kw.pop("cwd", tmp_path), **kw)


def assert_one_line_error(result: CliResult, *needles: str) -> None:
    """Exit status 2, nothing on stdout, one stderr line that names the problem."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
