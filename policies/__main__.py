"""The Strata policy pack: assembles the controls, nothing else.

The engine starts a Python pack as `python -u -m pulumi.policy <engine> <pack dir>` with the
pack dir as working directory, and `runpy.run_path(<pack dir>)` puts that directory first on
sys.path. The controls import each other as `policies.*` (the same names tests use), so the
pack's parent goes on sys.path instead, and the pack dir comes off it: its modules
(`kubernetes.py`, ...) must not shadow top-level packages.
"""

import os
import sys

_PACK_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _PACK_DIR]
sys.path.insert(0, os.path.dirname(_PACK_DIR))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policies._catalog import PACK_NAME, all_controls  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[control.to_policy() for control in all_controls()],
    description="Strata data platform guardrails: encryption, private networking, least "
                "privilege, ownership, resilience and tenancy.",
)
