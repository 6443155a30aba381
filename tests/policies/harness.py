"""Run controls the way the engine does, in process: real pulumi_policy servicer, real protobuf.

`Analyze` receives a protobuf Struct, so inputs go through pulumi_policy's own deserialisation
and proxies (floats, Mapping proxies, unknown sentinels) exactly as in a preview.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy.policy import _PolicyAnalyzerServicer

from infra._check_protocol import analyzer_resources, to_struct
from policies._catalog import all_controls
from policies._serve import servicer as pack_servicer
from policies.exemptions import Exemption

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
URN_PREFIX = "urn:pulumi:dev::strata::"


@dataclass
class Verdict:
    violations: list[str]
    cannot_verify: list[str]
    exempted: list[str]
    urns: list[str]

    @property
    def passed(self) -> bool:
        return not self.violations and not self.cannot_verify


def servicer(exemptions: Sequence[Exemption] = (), today: _dt.date | None = None,
             names: Sequence[str] | None = None) -> _PolicyAnalyzerServicer:
    """The servicer the pack serves, limited to `names` and given these exemptions."""
    controls = [c for c in all_controls() if names is None or c.name in names]
    return pack_servicer([c.to_policy(tuple(exemptions), today) for c in controls])


def _configure(svc: _PolicyAnalyzerServicer, config: Mapping[str, Mapping[str, Any]]) -> None:
    from pulumi.runtime.proto import analyzer_pb2

    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, props in config.items():
        pc = analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.MANDATORY)
        pc.properties.update(dict(props))
        request.policyConfig[name].CopyFrom(pc)
    svc.Configure(request, None)


def _verdict(response: Any, policy: str) -> Verdict:
    prefix = ""
    violations, unknown, urns = [], [], []
    for d in response.diagnostics:
        if d.policyName != policy:
            continue
        prefix = d.description
        text = d.message[len(prefix):].strip() if d.message.startswith(prefix) else d.message
        if d.message.startswith("can't run policy"):
            unknown.append(text)
        else:
            violations.append(text)
            urns.append(d.urn)
    exempted = [n.reason for n in response.not_applicable if n.policy_name == policy]
    return Verdict(violations, unknown, exempted, urns)


def analyze(policy: str, resource_type: str, inputs: Mapping[str, Any], *,
            config: Mapping[str, Any] | None = None, name: str = "r",
            exemptions: Sequence[Exemption] = (), today: _dt.date | None = None) -> Verdict:
    """One resource through `Analyze`; the verdict of `policy` only."""
    svc = servicer(exemptions, today, names=[policy])
    if config:
        _configure(svc, {policy: config})
    manifest = {"project": "strata", "stack": "dev", "resources": [
        {"urn": f"{URN_PREFIX}{resource_type}::{name}", "type": resource_type, "name": name,
         "custom": True, "parent": "", "provider": "", "inputs": dict(inputs)}]}
    prepared = analyzer_resources(manifest)[-1]
    response = svc.Analyze(prepared.analyze_request(to_struct(inputs)), None)
    return _verdict(response, policy)


def analyze_stack(policy: str, manifest: Mapping[str, Any], *,
                  config: Mapping[str, Any] | None = None,
                  exemptions: Sequence[Exemption] = ()) -> Verdict:
    svc = servicer(exemptions, names=[policy])
    if config:
        _configure(svc, {policy: config})
    from pulumi.runtime.proto import analyzer_pb2

    request = analyzer_pb2.AnalyzeStackRequest(
        resources=[r.stack_resource() for r in analyzer_resources(manifest)])
    return _verdict(svc.AnalyzeStack(request, None), policy)
