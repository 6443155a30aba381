"""`strata check`: run the policy pack over a stack's resources exactly as the Pulumi engine does.

The pack in `<project>/policies/` is started as its own process (`python -u -m pulumi.policy
<engine> <pack dir>`) and every resource of the synthesized manifest goes through the Analyzer
gRPC protocol: Handshake, ConfigureStack, GetAnalyzerInfo, Configure, per resource Remediate +
Analyze, then AnalyzeStack. No in-process shortcut: what passes here is what the pack says
over the wire.

The project is the one `strata synth` uses: Pulumi.yaml in the current directory or its
nearest parent, never the checkout strata is installed from. Policy config (enforcement
levels, allowed tag values, thresholds) uses the Pulumi CLI's `--policy-pack-config` file
format and is read from, in order: the `policy_config` argument, `<project>/policy-config.
<stack>.json`, `<project>/policy-config.json`. The same file works with
`pulumi preview --policy-pack policies --policy-pack-config policy-config.<stack>.json`.

`run_check` returns 0 (no mandatory violation) or 1, and raises `InputError` (exit 2) for a
bad manifest, config or pack.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from infra._check_locations import artifact_uri, locate
from infra._check_protocol import (
    SECRET_PLACEHOLDER,
    PackError,
    PackProcess,
    analyzer_resources,
    configure_request,
    remediated_properties,
)
from infra._check_report import Finding, PolicyMeta, collect, render, summary
from infra._progress import Progress
from infra._stackfile import Project, find_project, read_stack_config
from infra.exits import InputError
from infra.manifest import load_manifest

__all__ = ["FORMATS", "CheckResult", "PackSession", "analyze_manifest", "load_policy_config",
           "pack_session", "run_check"]

FORMATS = ("table", "json", "sarif")


@dataclass
class CheckResult:
    findings: list[Finding]
    metas: dict[str, PolicyMeta]
    effective_config: dict[str, Any]
    pack_version: str
    timings: dict[str, float] = field(default_factory=dict)
    resources: int = 0
    pack_stderr: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if any(f.blocking for f in self.findings) else 0

    def by_policy(self, policy: str, status: str = "violation") -> list[Finding]:
        return [f for f in self.findings if f.policy == policy and f.status == status]


def load_policy_config(project_dir: Path, stack: str,
                       explicit: Path | None = None) -> tuple[dict[str, Any], Path | None]:
    candidates = [explicit] if explicit else [project_dir / f"policy-config.{stack}.json",
                                              project_dir / "policy-config.json"]
    for path in candidates:
        if path is not None and path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                raise PackError(f"{path}: cannot read the policy config: {exc}") from None
            except (ValueError, RecursionError) as exc:
                raise PackError(f"{path}: not valid JSON: {exc}") from None
            if not isinstance(data, dict):
                raise PackError(f"{path}: must be a JSON object keyed by policy name")
            return data, path
        if explicit is not None:
            raise PackError(f"{explicit}: policy config file not found")
    return {}, None


def _stack_config(project_dir: Path, project: str, stack: str) -> tuple[dict[str, str], list[str]]:
    """The stack file's config as the engine passes it (values as text, secrets masked); empty
    when the project has no file for the stack (a manifest judged away from its project)."""
    if not (project_dir / f"Pulumi.{stack}.yaml").is_file():
        return {}, []
    config = read_stack_config(Project(project_dir, project, project_dir), stack)
    values = {k: SECRET_PLACEHOLDER if k in config.secret_keys else v
              for k, v in config.values.items()}
    return values, list(config.secret_keys)


def _project_root() -> Path:
    return find_project().root


class PackSession:
    """One running pack that can judge several manifests (tests start it once per module)."""

    def __init__(self, pack: PackProcess, project_dir: Path, dry_run: bool) -> None:
        self.pack = pack
        self.project_dir = project_dir
        self.dry_run = dry_run

    def analyze(self, manifest: Mapping[str, Any],
                policy_config: Mapping[str, Any] | None = None) -> CheckResult:
        from pulumi.runtime.proto import analyzer_pb2

        pack = self.pack
        project, stack = str(manifest["project"]), str(manifest["stack"])
        organization = str(manifest.get("organization") or "organization")
        config, secret_keys = _stack_config(self.project_dir, project, stack)
        prepared = analyzer_resources(manifest)
        types = {p.urn: (str(p.entry["type"]), str(p.entry["name"])) for p in prepared}
        timings: dict[str, float] = {"start": pack.startup_seconds}
        began = time.perf_counter()
        try:
            pack.handshake()
            pack.configure_stack(project=project, stack=stack, organization=organization,
                                 dry_run=self.dry_run, config=config, secret_keys=secret_keys,
                                 tags={"pulumi:project": project, "pulumi:runtime": "python"})
            info = pack.info()
            request, effective = configure_request(info, policy_config or {})
            pack.stub.Configure(request)
            metas = PolicyMeta.from_info(info, effective)
            findings: list[Finding] = []
            for resource in prepared:
                remediation = pack.stub.Remediate(resource.remediate_request())
                findings += collect(remediation, resource.urn, metas, types)
                analysis = pack.stub.Analyze(resource.analyze_request(
                    remediated_properties(remediation)))
                findings += collect(analysis, resource.urn, metas, types)
            timings["analyze"] = time.perf_counter() - began
            t = time.perf_counter()
            stack_response = pack.stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(
                resources=[r.stack_resource() for r in prepared]))
            findings += collect(stack_response, "", metas, types)
            timings["analyze_stack"] = time.perf_counter() - t
        except grpc.RpcError as exc:
            tail = "\n".join(pack.stderr[-20:])
            raise PackError(f"the policy pack failed: {exc.details()}\n{tail}".rstrip()) from None
        timings["round_trip"] = time.perf_counter() - began
        return CheckResult(findings, metas, effective, str(info.version), timings,
                           len(prepared), list(pack.stderr))


@contextmanager
def pack_session(*, project: str = "strata", stack: str = "dev",
                 pack_dir: Path | None = None, project_dir: Path | None = None,
                 dry_run: bool = True) -> Iterator[PackSession]:
    project_dir = project_dir or _project_root()
    config, _ = _stack_config(project_dir, project, stack)
    with PackProcess.start(pack_dir or project_dir / "policies", project=project, stack=stack,
                           dry_run=dry_run, config=config) as pack:
        yield PackSession(pack, project_dir, dry_run)


def analyze_manifest(manifest: Mapping[str, Any], *, pack_dir: Path | None = None,
                     policy_config: Mapping[str, Any] | None = None,
                     project_dir: Path | None = None, dry_run: bool = True) -> CheckResult:
    """Start the pack, send every resource through the Analyzer protocol, collect findings."""
    began = time.perf_counter()
    with pack_session(project=str(manifest["project"]), stack=str(manifest["stack"]),
                      pack_dir=pack_dir, project_dir=project_dir, dry_run=dry_run) as session:
        result = session.analyze(manifest, policy_config)
    result.timings["total"] = time.perf_counter() - began
    return result


def run_check(*, stack: str | None, manifest_path: Path | None, fmt: str = "table",
              out: Path | None = None, project_dir: Path | None = None,
              policy_config: Path | None = None, progress: Progress | None = None) -> int:
    """Synthesize STACK (or read --manifest), run the pack, print/write the report.

    The project (pack, policy config, stack file) is `project_dir`, else the one around the
    current directory. Returns 0 (no mandatory violation) or 1 (mandatory violations); raises
    InputError (a PackError or ManifestError) or ConfigError for input that cannot be judged.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if (stack is None) == (manifest_path is None):
        raise InputError("give a STACK or --manifest FILE (one of them)")
    root = (project_dir or _project_root()).resolve()
    if manifest_path is not None:
        manifest = load_manifest(manifest_path)
        artifact = Path(manifest_path)
    else:
        from infra.synth import synthesize

        manifest = synthesize(str(stack), root, progress=progress)
        if progress is not None:
            progress.done()
        artifact = root / f"Pulumi.{stack}.yaml"
    config, config_path = load_policy_config(root, str(manifest["stack"]), policy_config)
    result = analyze_manifest(manifest, project_dir=root, policy_config=config)
    stack_file = root / f"Pulumi.{manifest['stack']}.yaml"
    context = {
        "project": manifest["project"], "stack": manifest["stack"], "pack": f"strata@"
        f"{result.pack_version}", "version": result.pack_version,
        "resources": result.resources, "policies": len(result.metas),
        "artifact": str(artifact if manifest_path is not None else artifact.name),
        "artifactUri": artifact_uri(artifact),
        "policyConfig": str(config_path) if config_path else None,
        "effectiveConfig": result.effective_config,
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
    }
    locations = locate(manifest, stack_file) if stack_file.is_file() else {}
    text = render(fmt, result.findings, metas=result.metas, context=context,
                  locations=locations)
    if out is not None:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write the report to {out}: {exc.strerror or exc}") \
                from None
        counts = summary(result.findings)
        print(f"strata check: wrote {fmt} report to {out} "
              f"({counts['mandatory']} mandatory, {counts['advisory']} advisory)")
    else:
        sys.stdout.write(text)
    return result.exit_code
