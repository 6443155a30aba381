"""The curated tables `strata diff` relies on name real properties.

Replace-on-change properties, policy-document inputs and attachment inputs are checked against
the installed pulumi-aws / pulumi-kubernetes SDK signatures (a misspelt or renamed property
would silently never match), and every replace-on-change entry that cites a CloudFormation
property is checked against AWS's published registry schema (`createOnlyProperties`, shipped
offline with cfn-lint).
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from functools import cache
from types import ModuleType
from typing import Any

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from infra._diff_iam import POLICY_DOCUMENTS
from infra._diff_markdown import replace_rules_markdown
from infra._ownership import ATTACHED_THROUGH
from infra.stateful import REPLACE_ON_CHANGE, STATEFUL_TYPES
from tests.conftest import ROOT

_ARGS = re.compile(r"'([\w.]*Args)'")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _module(type_token: str) -> ModuleType:
    package, module_path, _ = type_token.split(":")
    root = {"aws": "pulumi_aws", "kubernetes": "pulumi_kubernetes"}[package]
    return importlib.import_module(f"{root}.{module_path.replace('/', '.')}"
                                   if package == "kubernetes"
                                   else f"{root}.{module_path.split('/')[0]}")


def _params(callable_: Any) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(callable_).parameters)


def _resource_class(type_token: str) -> Any:
    return getattr(_module(type_token), type_token.rsplit(":", 1)[1])


@cache
def _resource_params(type_token: str) -> dict[str, inspect.Parameter]:
    return _params(_resource_class(type_token)._internal_init)


def _nested_args(annotation: Any, module: ModuleType) -> Any:
    """The `...Args` input class a parameter annotation names."""
    match = _ARGS.search(str(annotation))
    assert match, f"no Args class in {annotation}"
    found: Any = module
    for part in match.group(1).split("."):  # pulumi-kubernetes: '_meta.v1.ObjectMetaArgs'
        found = getattr(found, part)
    return found


def property_exists(type_token: str, path: str) -> bool:
    # Annotations name input classes relative to the module defining the resource class.
    module = sys.modules[_resource_class(type_token).__module__]
    params = _resource_params(type_token)
    for segment in path.split("."):
        param = params.get(_snake(segment))
        if param is None:
            return False
        if segment != path.split(".")[-1]:
            params = _params(_nested_args(param.annotation, module).__init__)
    return True


REPLACE_PATHS = [(type_, prop.path) for type_, rules in REPLACE_ON_CHANGE.items()
                 for prop in rules.properties]


@pytest.mark.parametrize(("type_", "path"), REPLACE_PATHS)
def test_replace_on_change_property_exists_in_the_sdk(type_: str, path: str) -> None:
    assert property_exists(type_, path), f"{type_} has no input {path}"


def test_the_property_check_rejects_names_the_sdk_lacks() -> None:
    assert not property_exists("aws:rds/cluster:Cluster", "clusterIdentifer")
    assert not property_exists("aws:msk/cluster:Cluster", "brokerNodeGroupInfo.clientSubnet")
    assert property_exists("kubernetes:core/v1:Namespace", "metadata.name")


def test_every_replace_rule_is_for_a_stateful_type_and_cites_its_source() -> None:
    for type_, rules in REPLACE_ON_CHANGE.items():
        assert type_ in STATEFUL_TYPES, type_
        assert re.search(r"^(hashicorp/terraform-provider-aws|pulumi/pulumi-kubernetes) \S+\.go",
                         rules.source), rules.source
        assert rules.properties, type_


@cache
def _create_only(cfn_type: str) -> frozenset[str]:
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", cfn_type).schema
    return frozenset(schema.get("createOnlyProperties", []))


def _is_create_only(cfn_type: str, pointer: str) -> bool:
    """The pointer itself or an enclosing object is create-only."""
    parts = pointer.split("/")
    return any("/".join(parts[:n]) in _create_only(cfn_type) for n in range(3, len(parts) + 1))


CFN_POINTERS = [(rules.cfn_type, prop.cfn) for rules in REPLACE_ON_CHANGE.values()
                for prop in rules.properties if prop.cfn]


@pytest.mark.parametrize(("cfn_type", "pointer"), CFN_POINTERS)
def test_cited_cloudformation_property_is_create_only(cfn_type: str, pointer: str) -> None:
    assert _is_create_only(cfn_type, pointer), f"{cfn_type} {pointer} is updatable in CFN"


def test_the_cloudformation_check_rejects_updatable_properties() -> None:
    assert not _is_create_only("AWS::RDS::DBCluster", "/properties/BackupRetentionPeriod")
    assert _is_create_only("AWS::EKS::Cluster",
                           "/properties/OutpostConfig/ControlPlaneInstanceType")


@pytest.mark.parametrize(("type_", "key"), sorted(POLICY_DOCUMENTS.items()))
def test_policy_document_input_exists(type_: str, key: str) -> None:
    assert property_exists(type_, key)


@pytest.mark.parametrize(("type_", "key"), sorted(ATTACHED_THROUGH.items()))
def test_attachment_input_exists_and_the_type_takes_no_tags(type_: str, key: str) -> None:
    assert property_exists(type_, key)
    assert "tags" not in _resource_params(type_), f"{type_} takes tags: use its own tag"


def test_docs_show_the_replace_on_change_table_as_the_code_has_it() -> None:
    doc = (ROOT / "docs" / "diff.md").read_text()
    start = doc.index("\n", doc.index("<!-- replace-on-change:start")) + 1
    end = doc.index("<!-- replace-on-change:end -->")
    assert doc[start:end] == replace_rules_markdown(), \
        "regenerate the table in docs/diff.md with: python -m infra._diff_markdown"
