"""The published shard map of a PostgreSQL shard set: which shard serves which tenant or region.

One Standard-tier SSM parameter holds the whole map while its size bound fits (format 1: the
shards inline); beyond that the shards go to page parameters `<name>-page-<n>` and the main
parameter names them (format 2). Pages are sized from each entry's upper bound
(`_postgres_plan.shard_map_layout`), so a map never outgrows the Standard tier at apply time.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components._postgres_plan import (
    SSM_STANDARD_VALUE_MAX_CHARS,
    shard_entry,
    shard_map_document,
    shard_map_layout,
    shard_page_document,
)
from components._postgres_shards import Shard

__all__ = ["publish_shard_map"]


def publish_shard_map(parent: pulumi.Resource, name: str, parameter_name: str,
                      header: dict[str, Any], shards: Sequence[Shard], identifiers: list[str],
                      *, by_region: bool, port: int,
                      tags: Mapping[str, str]) -> list[aws.ssm.Parameter]:
    """The map's parameters, main parameter first (it waits for its pages, so a reader never
    finds a page missing)."""
    regions = [list(s.regions) if by_region else None for s in shards]
    layout = shard_map_layout(parameter_name, header, identifiers, regions)
    entries = [pulumi.Output.all(s.endpoint, s.port, s.secret_arn).apply(
        functools.partial(_entry, s.index, regions[n], port)) for n, s in enumerate(shards)]
    child = pulumi.ResourceOptions(parent=parent)
    if not layout.pages:
        value = pulumi.Output.all(*entries).apply(
            lambda found: _fits(parameter_name, shard_map_document(header, found)))
        return [_parameter(f"{name}-shard-map", parameter_name, value, "", tags, child)]
    pages = []
    for page, (page_name, members) in enumerate(zip(layout.page_names(parameter_name),
                                                    layout.pages, strict=True)):
        value = pulumi.Output.all(*[entries[i] for i in members]).apply(
            functools.partial(_page, page_name))
        pages.append(_parameter(f"{name}-shard-map-page-{page}", page_name, value,
                                f" (page {page}: shards {members[0]}-{members[-1]})", tags,
                                child))
    main = shard_map_document(header, None, layout.page_names(parameter_name))
    return [_parameter(f"{name}-shard-map", parameter_name, _fits(parameter_name, main), "",
                       tags, pulumi.ResourceOptions(parent=parent, depends_on=pages)), *pages]


def _entry(index: int, regions: list[str] | None, default_port: int,
           values: list[Any]) -> dict[str, object]:
    endpoint, port, secret_arn = values
    return shard_entry(index, endpoint, int(port or default_port), secret_arn, regions)


def _page(parameter_name: str, entries: list[dict[str, object]]) -> str:
    return _fits(parameter_name, shard_page_document(entries))


def _parameter(resource_name: str, parameter_name: str, value: pulumi.Input[str], what: str,
               tags: Mapping[str, str], opts: pulumi.ResourceOptions) -> aws.ssm.Parameter:
    return aws.ssm.Parameter(
        resource_name, name=parameter_name, type="String", tier="Standard",
        description=f"Shard map: which shard serves which tenant or region{what}",
        # `insecure_value`: the map holds endpoints and secret ARNs (references), no secret;
        # `value` would be marked secret and hide it from reviews and policy checks.
        insecure_value=value, tags=dict(tags), opts=opts)


def _fits(parameter_name: str, value: str) -> str:
    """The plan-time bound is conservative; this guards it at apply time with a clear error."""
    if len(value) > SSM_STANDARD_VALUE_MAX_CHARS:
        raise ValueError(f"shard map {parameter_name} has {len(value)} characters; a Standard "
                         f"SSM parameter holds {SSM_STANDARD_VALUE_MAX_CHARS}")
    return value
