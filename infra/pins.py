"""Pinned stateful URNs per stack (`locks/urns.<stack>.json`, committed).

A rename that changes a stateful resource's URN makes `pulumi up` delete the old resource and
create an empty new one. The pin records the stateful URNs as they stand; `pin_problems` says
which pinned URNs a new manifest neither keeps nor claims through an alias (as the engine would
resolve it), and which stateful URNs are new and unpinned. Refresh the pin on purpose with
`strata pin STACK`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from infra.stateful import is_stateful
from infra.urns import resolve_aliases

__all__ = ["PIN_VERSION", "pin_path", "pin_problems", "read_pin", "stateful_urns", "write_pin"]

PIN_VERSION = 1


def pin_path(project_root: Path, stack: str) -> Path:
    return project_root / "locks" / f"urns.{stack}.json"


def stateful_urns(manifest: Mapping[str, Any]) -> list[str]:
    return sorted(r["urn"] for r in manifest["resources"] if is_stateful(r["type"]))


def read_pin(project_root: Path, stack: str) -> list[str] | None:
    path = pin_path(project_root, stack)
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return [str(urn) for urn in data["urns"]]


def write_pin(manifest: Mapping[str, Any], project_root: Path) -> Path:
    path = pin_path(project_root, str(manifest["stack"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"version": PIN_VERSION, "stack": manifest["stack"], "urns": stateful_urns(manifest)}
    path.write_text(json.dumps(body, indent=2) + "\n")
    return path


def pin_problems(manifest: Mapping[str, Any], pinned: list[str]) -> list[str]:
    """What a reviewer must acknowledge: pinned URNs lost, and stateful URNs not yet pinned."""
    resources = manifest["resources"]
    current = {r["urn"] for r in resources}
    # The pin holds stateful URNs, not the components above them: let a renamed component's
    # alias stand for its old place, so its children's inherited aliases are replayed.
    matches = resolve_aliases(resources, pinned, stack=str(manifest["stack"]),
                              project=str(manifest["project"]), assume_ancestors=True)
    claimed = {m.old_urn for m in matches.values()}
    problems = [f"lost: {urn} is neither registered nor claimed by an alias; pulumi up would "
                "delete it" for urn in pinned if urn not in current and urn not in claimed]
    pinned_set = set(pinned)
    problems += [f"unpinned: {urn} is stateful and not in the pin; run `strata pin "
                 f"{manifest['stack']}` if it is new on purpose"
                 for urn in stateful_urns(manifest) if urn not in pinned_set and urn not in matches]
    return problems
