"""pulumi_policy's Analyzer servicer, with each resource converted once per request.

pulumi_policy (1.21) deserializes a resource's properties (protobuf Struct -> dict -> proxy),
its options and its provider again for every policy that runs on it, and AnalyzeStack rebuilds
the whole stack once per stack policy: with ~80 policies that conversion is most of the pack's
time. This subclass runs the same loop over the same policies with the same enforcement,
diagnostics and not-applicable handling, but converts once and shares the result; it also skips
resource policies whose control does not judge the resource type (the control would return at
once). Everything else (GetAnalyzerInfo, Configure, Remediate) is pulumi_policy's own.

tests/policies/test_servicer.py proves the responses equal the stock servicer's, so an
incompatible pulumi_policy release fails there first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from inspect import isawaitable
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError, _PolicyAnalyzerServicer
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

__all__ = ["JUDGED_TYPES", "PackServicer"]

JUDGED_TYPES = "_judged_types"
"""Attribute a policy may carry: the resource types its validation looks at (empty: all)."""


class PackServicer(_PolicyAnalyzerServicer):
    def _private(self, name: str) -> Any:
        return getattr(self, f"_PolicyAnalyzerServicer__{name}")

    def _run(self, response: Any, policy: Policy, validate: Callable[[], Any]) -> None:
        """pulumi_policy's handling of one validation: await, unknowns, not-applicable."""
        try:
            result = validate()
            if isawaitable(result):
                loop = asyncio.new_event_loop()
                loop.run_until_complete(asyncio.Task(result, loop=loop))  # type: ignore[arg-type]
                loop.close()
        except UnknownValueError as e:
            name, version = self._private("policy_pack_name"), self._private(
                "policy_pack_version")
            response.diagnostics.append(proto.AnalyzeDiagnostic(
                policyName=policy.name, policyPackName=name, policyPackVersion=version,
                message=(f"can't run policy '{policy.name}' from policy pack "
                         f"'{name}@v{version}' during preview: {e.message}"),
                urn="", description=policy.description,
                enforcementLevel=self._map_enforcement_level(EnforcementLevel.ADVISORY)))
        except _NotApplicableError as e:
            response.not_applicable.append(proto.PolicyNotApplicable(
                policy_name=policy.name, reason=e.reason or ""))

    def _level(self, policy: Policy, kind: type) -> EnforcementLevel | None:
        level = self._get_enforcement_level(policy)
        if level == EnforcementLevel.DISABLED or not isinstance(policy, kind):
            return None
        # Neither remediation nor a stack policy can remediate here: report as mandatory.
        return EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level

    def Analyze(self, request: Any, _context: Any) -> Any:
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        shared: tuple[Any, Any, Any] | None = None
        for policy in self._private("policies"):
            types = getattr(policy, JUDGED_TYPES, ())
            if types and request.type not in types:
                continue  # checked first: cheaper than the level, same outcome (nothing)
            level = self._level(policy, ResourceValidationPolicy)
            if level is None:
                continue
            if not policy.has_validation():
                response.not_applicable.append(proto.PolicyNotApplicable(
                    policy_name=policy.name, reason="Policy does not implement validate"))
                continue
            report = self._create_report_violation(response, policy.name, policy.description,
                                                   level, policy.severity)
            if shared is None:
                shared = (unknown_checking_proxy(deserialize_properties(
                    json_format.MessageToDict(request.properties))),
                    self._get_resource_options(request), self._get_provider_resource(request))
            props, opts, provider = shared
            args = ResourceValidationArgs(request.type, props, request.urn, request.name, opts,
                                          provider, self._get_policy_config(policy.name),
                                          self._private("stack_tags"))
            self._run(response, policy, partial(policy.validate, args, report))
        return response

    def AnalyzeStack(self, request: Any, _context: Any) -> Any:
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        resources: list[PolicyResource] | None = None
        for policy in self._private("policies"):
            level = self._level(policy, StackValidationPolicy)
            if level is None:
                continue
            report = self._create_report_violation(response, policy.name, policy.description,
                                                   level, policy.severity)
            if resources is None:
                resources = self._stack_resources(request)
            args = StackValidationArgs(resources, self._get_policy_config(policy.name),
                                       self._private("stack_tags"))
            self._run(response, policy, partial(policy.validate, args, report))
        return response

    def _stack_resources(self, request: Any) -> list[PolicyResource]:
        """The stack as pulumi_policy builds it: parents and dependencies as objects."""
        built: list[tuple[PolicyResource, str, list[str], dict[str, list[str]]]] = []
        for r in request.resources:
            props = unknown_checking_proxy(deserialize_properties(
                json_format.MessageToDict(r.properties)))
            resource = PolicyResource(r.type, props, r.urn, r.name,
                                      self._get_resource_options(r),
                                      self._get_provider_resource(r), None, [], {})
            built.append((resource, r.parent, list(r.dependencies),
                          {k: list(v.urns) for k, v in r.propertyDependencies.items()}))
        by_urn = {resource.urn: resource for resource, *_ in built}
        for resource, parent, dependencies, property_dependencies in built:
            if parent in by_urn:
                resource.parent = by_urn[parent]
            resource.dependencies.extend(by_urn[d] for d in dependencies if d in by_urn)
            for key, urns in property_dependencies.items():
                resource.property_dependencies[key] = [by_urn[u] for u in urns if u in by_urn]
        return [resource for resource, *_ in built]
