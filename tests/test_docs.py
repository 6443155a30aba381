"""The README and docs stand alone and say what the project does: its first two commands are the
main job and the tests, CI runs the README's test command, and every link resolves inside the
repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _commands(markdown: str) -> list[str]:
    """The commands of the first fenced shell block, comments stripped."""
    block = re.search(r"```bash\n(.*?)```", markdown, re.S)
    assert block, "no ```bash block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines()
            if line.split("#")[0].strip()]


def test_readme_first_two_commands_are_the_main_job_and_the_tests():
    assert _commands((ROOT / "README.md").read_text())[:2] == ["./dev check", "./dev test"]


def test_ci_runs_the_readme_test_command_and_the_main_job():
    steps = [line.split("#")[0].strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert "./dev test" in steps and "./dev check dev" in steps


def test_dev_check_defaults_to_the_dev_stack():
    assert re.search(r"check\)\s.*stack=\$\{1:-dev\}", (ROOT / "dev").read_text())


def test_every_relative_link_resolves_inside_the_repository():
    broken = []
    for doc in DOCS:
        for target in LINK.findall(doc.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            resolved = (doc.parent / target).resolve()
            if not resolved.exists() or ROOT not in resolved.parents:
                broken.append(f"{doc.relative_to(ROOT)}: {target}")
    assert not broken


def test_docs_never_point_outside_the_repository():
    outside = [str(doc.relative_to(ROOT)) for doc in DOCS if "../shared" in doc.read_text()]
    assert not outside


def test_the_link_pattern_reads_targets_without_anchors():
    assert LINK.findall("see [x](docs/nope.md#part) and [y](https://example.com)") == [
        "docs/nope.md", "https://example.com"]
