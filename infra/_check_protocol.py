"""Speak the Pulumi engine's side of the Analyzer protocol to a policy pack process.

What the engine does for `pulumi preview --policy-pack DIR` (pulumi/pkg/resource/plugin/
analyzer_plugin.go, language host `python -u -m pulumi.policy <engine> <pack dir>`):

1. serve an Engine gRPC endpoint (the pack may `Log` through it), start the pack with the pack
   dir as working directory and PULUMI_{PROJECT,STACK,DRY_RUN,CONFIG,ORGANIZATION} set, read
   the port from the first stdout line;
2. Handshake (pulumi_policy leaves it unimplemented), ConfigureStack, GetAnalyzerInfo,
   Configure (schema defaults merged with the user's policy config);
3. per resource in registration order: Remediate, then Analyze with the remediated inputs;
4. AnalyzeStack with every resource, its parent, dependencies and property dependencies,
   including the Stack and provider resources.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc

from infra.exits import InputError
from infra.plugin_process import drain, read_port, stop

__all__ = ["PackError", "PackProcess", "analyzer_resources", "configure_request",
           "load_pack_settings"]

SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
SECRET_PLACEHOLDER = "[secret]"
_MAX_MESSAGE = 400 * 1024 * 1024
_CHANNEL_OPTIONS = [("grpc.max_receive_message_length", _MAX_MESSAGE),
                    ("grpc.max_send_message_length", _MAX_MESSAGE)]
LEVELS = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY,
          "remediate": analyzer_pb2.REMEDIATE, "disabled": analyzer_pb2.DISABLED}


class PackError(InputError):
    """The policy pack or its config could not be loaded, or the pack failed: exit 2."""


# -- pack settings ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PackSettings:
    directory: Path
    python: str


def load_pack_settings(pack_dir: Path) -> PackSettings:
    """Read PulumiPolicy.yaml the way the CLI does: runtime python, optional virtualenv."""
    pack_dir = pack_dir.resolve()
    manifest = pack_dir / "PulumiPolicy.yaml"
    if not manifest.is_file():
        raise PackError(f"{manifest}: not found; a policy pack needs a PulumiPolicy.yaml")
    try:
        data = yaml.safe_load(manifest.read_text()) or {}
    except yaml.YAMLError as exc:
        raise PackError(f"{manifest}: not valid YAML: {exc}") from None
    runtime = data.get("runtime")
    name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if name != "python":
        raise PackError(f"{manifest}: runtime is {name!r}; strata check runs Python packs only")
    options = runtime.get("options", {}) if isinstance(runtime, dict) else {}
    python = os.environ.get("PULUMI_PYTHON_CMD") or sys.executable
    if options.get("virtualenv"):
        venv = (pack_dir / options["virtualenv"]).resolve()
        python = str(venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))
        if not Path(python).exists():
            raise PackError(f"{manifest}: virtualenv {venv} has no {python}")
    return PackSettings(pack_dir, python)


# -- the engine side -------------------------------------------------------------------------

class _Engine(engine_pb2_grpc.EngineServicer):
    """The minimal Engine service a pack may call: Log, and the root resource."""

    def __init__(self) -> None:
        self.logs: list[tuple[int, str, str]] = []
        self._root = ""

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:
        self.logs.append((request.severity, request.message, request.urn))
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.GetRootResourceResponse(urn=self._root)

    def SetRootResource(self, request: Any, context: Any) -> Any:
        self._root = request.urn
        return engine_pb2.SetRootResourceResponse()


@dataclass
class PackProcess:
    """A running pack and a stub to it; use `start()` as a context manager."""

    settings: PackSettings
    stub: analyzer_pb2_grpc.AnalyzerStub
    process: subprocess.Popen[bytes]
    engine: _Engine
    engine_address: str
    stderr: list[str] = field(default_factory=list)
    startup_seconds: float = 0.0

    @classmethod
    @contextmanager
    def start(cls, pack_dir: Path, *, project: str, stack: str, organization: str = "organization",
              dry_run: bool = True, config: Mapping[str, str] | None = None,
              timeout: float = 60.0) -> Iterator[PackProcess]:
        settings = load_pack_settings(pack_dir)
        began = time.perf_counter()
        engine = _Engine()
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), options=_CHANNEL_OPTIONS)
        engine_pb2_grpc.add_EngineServicer_to_server(engine, server)
        engine_port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        engine_address = f"127.0.0.1:{engine_port}"
        env = {**os.environ,
               "PULUMI_PROJECT": project, "PULUMI_STACK": stack,
               "PULUMI_ORGANIZATION": organization,
               "PULUMI_DRY_RUN": "true" if dry_run else "false",
               "PULUMI_CONFIG": json.dumps(dict(config or {}))}
        try:
            process = subprocess.Popen(
                [settings.python, "-u", "-m", "pulumi.policy", engine_address,
                 str(settings.directory)],
                cwd=settings.directory, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            server.stop(0)
            raise PackError(f"cannot run {settings.python}: {exc}") from None
        stderr: list[str] = []
        threading.Thread(target=drain, args=(process.stderr, stderr), daemon=True).start()
        channel = None
        try:
            port = read_port(process, timeout, stderr, PackError, "the policy pack")
            channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=_CHANNEL_OPTIONS)
            grpc.channel_ready_future(channel).result(timeout=timeout)
            pack = cls(settings, analyzer_pb2_grpc.AnalyzerStub(channel), process, engine,
                       engine_address, stderr, time.perf_counter() - began)
            yield pack
        finally:
            stop(process, channel, server)

    # -- RPCs in the engine's order --

    def handshake(self) -> None:
        request = analyzer_pb2.AnalyzerHandshakeRequest(
            engine_address=self.engine_address, root_directory=str(self.settings.directory),
            program_directory=str(self.settings.directory))
        try:
            self.stub.Handshake(request)
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:  # pulumi_policy: not implemented
                raise

    def configure_stack(self, *, project: str, stack: str, organization: str, dry_run: bool,
                        config: Mapping[str, str], secret_keys: Sequence[str],
                        tags: Mapping[str, str]) -> None:
        self.stub.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=stack, project=project, organization=organization, dry_run=dry_run,
            config=dict(config), config_secret_keys=list(secret_keys), tags=dict(tags)))

    def info(self) -> Any:
        return self.stub.GetAnalyzerInfo(empty_pb2.Empty())


# -- configuration ---------------------------------------------------------------------------

def configure_request(info: Any, user_config: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Schema defaults merged with the user's config, validated like the CLI does.

    `user_config` has the Pulumi CLI's --policy-pack-config shape:
    `{"all": "advisory", "<policy>": "mandatory" | {"enforcementLevel": ..., "<prop>": ...}}`.
    Returns the ConfigureAnalyzerRequest and the effective config per policy.
    """
    import jsonschema

    names = {p.name for p in info.policies}
    unknown = sorted(set(user_config) - names - {"all"})
    if unknown:
        raise PackError(f"policy config names unknown policies: {', '.join(unknown)}; known: "
                        f"{', '.join(sorted(names))}")
    all_level = user_config.get("all")
    if all_level is not None and all_level not in LEVELS:
        raise PackError(f"policy config 'all' is {all_level!r}; allowed: {', '.join(LEVELS)}")
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    effective: dict[str, Any] = {}
    for policy in info.policies:
        schema = json_format.MessageToDict(policy.configSchema.properties)
        level = _level_name(policy.enforcementLevel)
        if all_level is not None:
            level = all_level
        properties = {k: v["default"] for k, v in schema.items() if "default" in v}
        given = user_config.get(policy.name)
        if isinstance(given, str):
            level = given
        elif isinstance(given, dict):
            level = given.get("enforcementLevel", level)
            properties.update({k: v for k, v in given.items() if k != "enforcementLevel"})
        elif given is not None:
            raise PackError(f"policy config {policy.name!r} must be an enforcement level or an "
                            "object")
        if level not in LEVELS:
            raise PackError(f"policy config {policy.name}.enforcementLevel is {level!r}; "
                            f"allowed: {', '.join(LEVELS)}")
        if schema:
            try:
                jsonschema.validate(properties, {"type": "object", "properties": schema,
                                                 "required": list(policy.configSchema.required)})
            except jsonschema.ValidationError as exc:
                where = ".".join(str(p) for p in exc.absolute_path)
                raise PackError(f"policy config {policy.name}.{where}: {exc.message}") from None
        config = analyzer_pb2.PolicyConfig(enforcementLevel=LEVELS[level])
        config.properties.update(properties)
        request.policyConfig[policy.name].CopyFrom(config)
        effective[policy.name] = {"enforcementLevel": level, **properties}
    return request, effective


def _level_name(value: int) -> str:
    names: dict[int, str] = {int(v): k for k, v in LEVELS.items()}
    return names.get(value, "advisory")


# -- resources -------------------------------------------------------------------------------

def to_struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(_wire(dict(value)))
    return struct


def _wire(value: Any) -> Any:
    """Manifest value -> engine wire value: "[secret]" becomes a secret-signature object."""
    if value == SECRET_PLACEHOLDER:
        return {**SECRET_SIG, "value": SECRET_PLACEHOLDER}
    if isinstance(value, dict):
        return {str(k): _wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_wire(v) for v in value]
    return value


@dataclass
class Prepared:
    """One manifest resource as the engine would describe it."""

    entry: dict[str, Any]
    options: Any
    provider: Any | None

    @property
    def urn(self) -> str:
        return str(self.entry["urn"])

    def analyze_request(self, properties: struct_pb2.Struct | None = None) -> Any:
        request = analyzer_pb2.AnalyzeRequest(
            type=self.entry["type"], properties=properties or to_struct(self.entry["inputs"]),
            urn=self.urn, name=self.entry["name"], options=self.options)
        if self.provider is not None:
            request.provider.CopyFrom(self.provider)
        return request

    def remediate_request(self) -> Any:
        return self.analyze_request()

    def stack_resource(self) -> Any:
        entry = self.entry
        resource = analyzer_pb2.AnalyzerResource(
            type=entry["type"], properties=to_struct(entry["inputs"]), urn=self.urn,
            name=entry["name"], options=self.options, parent=entry.get("parent") or "",
            dependencies=list(entry.get("dependencies") or []))
        for prop, urns in (entry.get("propertyDependencies") or {}).items():
            resource.propertyDependencies[prop].urns.extend(urns)
        if self.provider is not None:
            resource.provider.CopyFrom(self.provider)
        return resource


def _package(resource_type: str) -> str:
    return resource_type.split(":", 1)[0]


def analyzer_resources(manifest: Mapping[str, Any]) -> list[Prepared]:
    """Manifest resources in registration order, with the engine's default providers added.

    The SDK never registers default providers (the engine creates `pulumi:providers:<pkg>`
    named `default_<version>` before the first resource that needs one), so a synthesized
    manifest lacks them; they are added here, named `default`, just before first use.
    """
    project, stack = manifest["project"], manifest["stack"]
    entries = [dict(r) for r in manifest["resources"]]
    by_urn = {e["urn"]: e for e in entries}
    ordered: list[dict[str, Any]] = []
    for entry in entries:
        entry.setdefault("inputs", {})
        package = _package(entry["type"])
        if entry.get("custom", True) and not entry.get("provider") and package != "pulumi":
            urn = f"urn:pulumi:{stack}::{project}::pulumi:providers:{package}::default"
            if urn not in by_urn:
                by_urn[urn] = {"urn": urn, "type": f"pulumi:providers:{package}",
                               "name": "default", "custom": True, "parent": "", "provider": "",
                               "inputs": {}, "dependencies": [], "propertyDependencies": {},
                               "protect": False, "aliases": []}
                ordered.append(by_urn[urn])
            entry["provider"] = f"{urn}::04da6b54-80e4-46f7-96ec-b56ff0331ba9"
        ordered.append(entry)
    prepared = []
    for entry in ordered:
        options = analyzer_pb2.AnalyzerResourceOptions(
            protect=bool(entry.get("protect")),
            aliases=[a for a in entry.get("aliases") or [] if isinstance(a, str)],
            parent=entry.get("parent") or "",
            customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts())
        provider = None
        reference = entry.get("provider") or ""
        if reference:
            provider_urn = reference.rpartition("::")[0] if "::" in reference else reference
            p = by_urn.get(provider_urn)
            provider = analyzer_pb2.AnalyzerProviderResource(
                type=p["type"] if p else "pulumi:providers:" + _package(entry["type"]),
                properties=to_struct(p.get("inputs") or {} if p else {}),
                urn=provider_urn, name=p["name"] if p else provider_urn.rsplit("::", 1)[-1])
        prepared.append(Prepared(entry, options, provider))
    return prepared


def remediated_properties(response: Any) -> struct_pb2.Struct | None:
    """The last remediation that returned properties, as the engine applies them in order."""
    latest = None
    for remediation in response.remediations:
        if remediation.HasField("properties") and len(remediation.properties.fields):
            latest = remediation.properties
    return latest

