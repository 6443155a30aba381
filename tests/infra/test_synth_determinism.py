"""Two synths of one config write byte-identical manifests, whatever the hash seed, so a
manifest can be diffed and committed."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def test_two_synths_in_fresh_processes_are_byte_identical(tmp_path):
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        subprocess.run([sys.executable, "-m", "infra.cli", "synth", "dev", "--out", str(out)],
                       cwd=ROOT, check=True, capture_output=True,
                       env={**os.environ, "PYTHONHASHSEED": seed})
        outputs.append((out / "manifest.json").read_bytes())
    assert outputs[0] == outputs[1]
