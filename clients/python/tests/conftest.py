"""The Python client's tests run against the running stack (``fstore test`` brings it up first):
a fixture script of the repository creates a reader user, a viewer API key and known values."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ["node", "-r", "./bin/register", "test/support/python-client-fixture.ts"]


@pytest.fixture(scope="session")
def stack() -> dict:
    out = subprocess.run(FIXTURE, cwd=ROOT, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        pytest.fail(f"{' '.join(FIXTURE)} failed: {out.stderr[-2000:]}")
    data = json.loads(out.stdout.strip().splitlines()[-1])
    yield data
    subprocess.run([*FIXTURE, "--remove", data["email"]], cwd=ROOT, check=True, timeout=120)
