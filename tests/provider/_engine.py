"""The Pulumi engine's side of a component provider plugin, offline, over the real gRPC protocols.

What the engine does for a program that uses `strata:index:*` (pulumi/sdk/go/common/resource/
plugin/plugin.go and provider_plugin.go; the Python language host's `RunPlugin` in
pulumi/sdk/python/cmd/pulumi-language-python/main.go):

1. serve an Engine endpoint and start the plugin with PulumiPlugin.yaml's runtime: for a Python
   plugin directory holding `__main__.py`, `<virtualenv>/bin/python <plugin dir> <engine address>`
   in the consuming program's working directory; read the gRPC port from its first stdout line;
2. Handshake (the Python SDK leaves it unimplemented), GetPluginInfo, GetSchema (what
   `pulumi package add` turns into an SDK), Configure;
3. per component in the consuming program: Construct, with the address of a ResourceMonitor the
   engine serves. The provider registers the component and its children there (RegisterResource,
   RegisterResourceOutputs), asks which features the engine supports (GetDeploymentInfo, or
   SupportsFeature on older engines) and invokes data sources (Invoke).

`RecordingMonitor` answers like the engine plus the mock providers Strata synthesizes with
(`infra._mocks.StrataMocks`: deterministic IDs and ARNs), and records every request in the
manifest's shape (`infra._mocks.RecordingMonitor.record`).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs
from pulumi.runtime.proto import (
    engine_pb2_grpc,
    provider_pb2,
    provider_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)

from infra._check_protocol import _Engine
from infra._mocks import RecordingMonitor as ManifestRecorder
from infra._mocks import StrataMocks, plain_inputs
from infra.plugin_process import drain, read_port, stop
from infra.urns import child_urn

__all__ = ["ENGINE_FEATURES", "PluginProcess", "RecordingMonitor", "plugin_command"]

ENGINE_FEATURES = {
    "secrets": resource_pb2.RESOURCE_MONITOR_FEATURE_SECRETS,
    "resourceReferences": resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES,
    "outputValues": resource_pb2.RESOURCE_MONITOR_FEATURE_OUTPUT_VALUES,
    "aliasSpecs": resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS,
    "replacementTrigger": resource_pb2.RESOURCE_MONITOR_FEATURE_REPLACEMENT_TRIGGER,
    "deletedWith": resource_pb2.RESOURCE_MONITOR_FEATURE_DELETED_WITH,
    "replaceWith": resource_pb2.RESOURCE_MONITOR_FEATURE_REPLACE_WITH,
    "transforms": resource_pb2.RESOURCE_MONITOR_FEATURE_TRANSFORMS,
    "invokeTransforms": resource_pb2.RESOURCE_MONITOR_FEATURE_INVOKE_TRANSFORMS,
    "parameterization": resource_pb2.RESOURCE_MONITOR_FEATURE_PARAMETERIZATION,
    "resourceHooks": resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_HOOKS,
    "errorHooks": resource_pb2.RESOURCE_MONITOR_FEATURE_ERROR_HOOKS,
    "sendsOptionsToHooks": resource_pb2.RESOURCE_MONITOR_FEATURE_SENDS_OPTIONS_TO_HOOKS,
}
"""The engine's answers (pulumi/pkg/resource/deploy/source_eval.go, `supportsFeatureID` and
`supportedMonitorFeatures`), which also lists these three unconditionally:"""
_ALWAYS = (resource_pb2.RESOURCE_MONITOR_FEATURE_BYTE_STRING,
           resource_pb2.RESOURCE_MONITOR_FEATURE_INVOKE_DEPENDS_ON,
           resource_pb2.RESOURCE_MONITOR_FEATURE_INVOKE_PARENT)


_UNMOCKED_OUTPUTS: dict[str, dict[str, Any]] = {
    "aws:amp/workspace:Workspace": {
        "prometheusEndpoint": "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-mock/"},
    "aws:grafana/workspace:Workspace": {
        "endpoint": "g-mock.grafana-workspace.eu-west-1.amazonaws.com"},
}
"""Provider-computed outputs `StrataMocks` does not give (a synth never reads them) but which
components return as their own outputs."""


_RPC_SECONDS = 60.0
"""Every call to the plugin has a deadline: a plugin that stops answering fails the test."""


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(value)
    return struct


class RecordingMonitor(resource_pb2_grpc.ResourceMonitorServicer):
    """A ResourceMonitor that records registrations and answers with mock provider state."""

    def __init__(self, project: str, stack: str, region: str) -> None:
        self.project, self.stack, self.region = project, stack, region
        self._mocks = StrataMocks(region)
        self._recorder = ManifestRecorder(self._mocks)
        self._lock = threading.Lock()
        self.records: list[dict[str, Any]] = []
        self.outputs: dict[str, dict[str, Any]] = {}
        self.invokes: list[str] = []
        self.calls: list[str] = []
        self.program_resources: dict[str, dict[str, Any]] = {}
        """Resources the consuming program registered itself (its providers, say), by URN."""

    @property
    def stack_urn(self) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::pulumi:pulumi:Stack::" \
               f"{self.project}-{self.stack}"

    def clear(self) -> None:
        with self._lock:
            self.records.clear()
            self.outputs.clear()
            self.invokes.clear()
            self.calls.clear()

    def _called(self, rpc: str) -> None:
        with self._lock:
            self.calls.append(rpc)

    def GetDeploymentInfo(self, request: Any, context: Any) -> Any:
        self._called("GetDeploymentInfo")
        return resource_pb2.DeploymentInfo(
            project=self.project, stack=self.stack, organization="organization", dryRun=False,
            parallel=8, supportedFeatures=[*ENGINE_FEATURES.values(), *_ALWAYS])

    def SupportsFeature(self, request: Any, context: Any) -> Any:
        self._called("SupportsFeature")
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id in ENGINE_FEATURES)

    def RegisterResource(self, request: Any, context: Any) -> Any:
        urn = child_urn(self.stack, self.project, request.parent, request.type, request.name)
        record = self._recorder.record(urn, request)
        resource_id, state = "", dict[str, Any]()
        if request.custom:
            resource_id, state = self._mocks.new_resource(MockResourceArgs(
                typ=request.type, name=request.name, inputs=record["inputs"],
                provider=request.provider, resource_id=request.importId, custom=True))
            state = {**state, **_UNMOCKED_OUTPUTS.get(request.type, {})}
        with self._lock:
            self.records.append(record)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id,
                                                     object=_struct(state))

    def RegisterResourceOutputs(self, request: Any, context: Any) -> Any:
        with self._lock:
            self.outputs[request.urn] = plain_inputs(json_format.MessageToDict(request.outputs))
        return empty_pb2.Empty()

    def Invoke(self, request: Any, context: Any) -> Any:
        """The data sources components call (account, region, partition), and the engine's
        `pulumi:pulumi:getResource` that rehydrates a resource of the consuming program, such
        as a provider passed in `providers` (pulumi/pkg/resource/deploy/builtins.go); any other
        is an error, so a component that starts calling something new shows up here."""
        with self._lock:
            self.invokes.append(request.tok)
        if request.tok == "pulumi:pulumi:getResource":
            urn = json_format.MessageToDict(request.args).get("urn", "")
            if urn not in self.program_resources:
                context.abort(grpc.StatusCode.UNKNOWN, f"unknown resource {urn}")
            return resource_pb2.ResourceInvokeResponse(
                **{"return": _struct({"urn": urn, **self.program_resources[urn]})})
        result = self._mocks.call(MockCallArgs(
            token=request.tok, args=json_format.MessageToDict(request.args),
            provider=request.provider))
        if not result:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"no answer for invoke {request.tok}")
        return resource_pb2.ResourceInvokeResponse(**{"return": _struct(result)})


# -- the plugin process --------------------------------------------------------------------------

def plugin_command(plugin_dir: Path, engine_address: str) -> list[str]:
    """The command the Python language host runs for this plugin directory (`RunPlugin`)."""
    manifest = plugin_dir / "PulumiPlugin.yaml"
    runtime = (yaml.safe_load(manifest.read_text()) or {}).get("runtime")
    name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if name != "python":
        raise ValueError(f"{manifest}: runtime {name!r}; this harness runs Python plugins")
    options = runtime.get("options", {}) if isinstance(runtime, dict) else {}
    # parseOptions: a plugin on pip (or no toolchain) without `virtualenv` gets `venv`.
    python = plugin_dir / options.get("virtualenv", "venv") / "bin" / "python"
    if not (plugin_dir / "__main__.py").is_file():
        raise ValueError(f"{plugin_dir}: no __main__.py; the language host would run "
                         "`python -m pulumi.run.plugin <distribution>` instead")
    return [str(python), str(plugin_dir), engine_address]


@dataclass
class PluginProcess:
    """A running plugin, a provider stub to it, and the engine services it talks to."""

    stub: provider_pb2_grpc.ResourceProviderStub
    monitor: RecordingMonitor
    monitor_address: str
    engine: _Engine
    engine_address: str
    command: list[str]
    stderr: list[str] = field(default_factory=list)
    _schema: dict[str, Any] | None = None

    @classmethod
    @contextmanager
    def start(cls, plugin_dir: Path, program_dir: Path, *, project: str = "consumer",
              stack: str = "dev", region: str = "eu-west-1",
              timeout: float = 60.0) -> Iterator[PluginProcess]:
        engine, monitor = _Engine(), RecordingMonitor(project, stack, region)
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        engine_pb2_grpc.add_EngineServicer_to_server(engine, server)
        resource_pb2_grpc.add_ResourceMonitorServicer_to_server(monitor, server)
        address = f"127.0.0.1:{server.add_insecure_port('127.0.0.1:0')}"
        server.start()
        command = plugin_command(plugin_dir, address)
        venv = Path(command[0]).parent.parent
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env.update(VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
        process = subprocess.Popen(command, cwd=program_dir, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        stderr: list[str] = []
        threading.Thread(target=drain, args=(process.stderr, stderr), daemon=True).start()
        channel = None
        try:
            port = read_port(process, timeout, stderr, RuntimeError, "the plugin")
            channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            grpc.channel_ready_future(channel).result(timeout=timeout)
            yield cls(provider_pb2_grpc.ResourceProviderStub(channel), monitor, address, engine,
                      address, command, stderr)
        finally:
            stop(process, channel, server)

    def handshake(self, plugin_dir: Path) -> None:
        request = provider_pb2.ProviderHandshakeRequest(
            engine_address=self.engine_address, root_directory=str(plugin_dir),
            program_directory=str(plugin_dir))
        try:
            self.stub.Handshake(request, timeout=_RPC_SECONDS)
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:  # the Python SDK: not implemented
                raise

    def served_schema(self) -> dict[str, Any]:
        """The package schema from GetSchema (what `pulumi package add` reads), fetched once."""
        if self._schema is None:
            response = self.stub.GetSchema(provider_pb2.GetSchemaRequest(version=0),
                                           timeout=_RPC_SECONDS)
            self._schema = json.loads(response.schema)
        return self._schema

    def construct(self, type_: str, name: str, inputs: dict[str, Any],
                  providers: dict[str, str] | None = None,
                  timeout: float = _RPC_SECONDS) -> Any:
        """Construct a component as a program in another language would ask for it;
        `providers` maps a package to a provider reference `<urn>::<id>` (the `providers`
        resource option)."""
        monitor = self.monitor
        request = provider_pb2.ConstructRequest(
            project=monitor.project, stack=monitor.stack, organization="organization",
            dryRun=False, parallel=8, monitorEndpoint=self.monitor_address, type=type_,
            name=name, parent=monitor.stack_urn, inputs=_struct(inputs),
            config={"aws:region": monitor.region},
            providers=providers or {}, accepts_output_values=True)
        return self.stub.Construct(request, timeout=timeout)
