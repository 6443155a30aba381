from __future__ import annotations

import subprocess
import sys

import pulumi

import components


def test_every_export_is_a_component_or_its_args():
    for name in components.__all__:
        exported = getattr(components, name)
        if name.endswith("Args"):
            assert hasattr(exported, "__annotations__"), name
        else:
            assert issubclass(exported, pulumi.ComponentResource), name


def test_pure_modules_import_without_pulumi():
    code = ("import sys, components._plan, components.sharding; "
            "sys.exit('pulumi' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
