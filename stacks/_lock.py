"""The deployed-state lock: what the last `pulumi up` built that a config change could destroy.

`locks/deployed.<stack>.json` at the project root (committed; written by `strata lock STACK`
after a successful `pulumi up`) records:
- `region`, and the network's `cidr`, `azCount` and `availabilityZones` (null: the region's
  first `azCount` AZs from the provider). Any change replaces the subnets, and with them the
  MSK cluster and every InfluxDB instance (their subnets are create-only) and the RDS subnet
  groups: refused unless `network.acknowledgeReplacement: true`.
- every managed topic's `replicationFactor` and `partitions`. A replication change replaces
  the topic and deletes its data: refused unless the topic says
  `acknowledgeReplicationChange: true`. Fewer partitions: Kafka cannot remove partitions,
  refused outright.
No lock means nothing deployed yet. A version-1 topic lock (`stacks/topics.<stack>.lock.json`,
the previous place) is still read when the new file is absent. Pure: no Pulumi calls.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stacks._events import replication_factor, topic_args
from stacks.catalog import Catalog, Problem

__all__ = ["LOCK_VERSION", "LockError", "deployed_state", "legacy_lock_file", "lock_file",
           "lock_problems", "read_lock", "write_lock"]

LOCK_VERSION = 2


class LockError(ValueError):
    """A lock file that cannot be read or has the wrong shape; the message names the file."""


def lock_file(root: Path, stack: str) -> Path:
    return root / "locks" / f"deployed.{stack}.json"


def legacy_lock_file(root: Path, stack: str) -> Path:
    """Where version 1 kept the topic lock (inside the package folder)."""
    return root / "stacks" / f"topics.{stack}.lock.json"


def deployed_state(catalog: Catalog) -> dict[str, Any]:
    """The lock content for the catalog as it stands (MSK Serverless topics are not managed)."""
    net = catalog.network
    topics = {} if catalog.kafka.mode == "serverless" else {
        name: {"replicationFactor": args["replication_factor"], "partitions": args["partitions"]}
        for name, args in sorted(topic_args(catalog).items())}
    return {"version": LOCK_VERSION, "region": catalog.environment.region,
            "network": {"cidr": net.cidr, "azCount": net.az_count,
                        "availabilityZones": net.availability_zones},
            "topics": topics}


def write_lock(catalog: Catalog, root: Path, stack: str) -> Path:
    """Record the catalog as deployed; run after a successful `pulumi up`."""
    path = lock_file(root, stack)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(deployed_state(catalog), indent=2, sort_keys=True) + "\n")
    return path


def read_lock(root: Path, stack: str) -> tuple[dict[str, Any] | None, Path | None]:
    """(content, file) of the stack's lock, the legacy topic lock when only it exists, or
    (None, None) when the stack was never locked. Raises LockError for a broken file."""
    for path in (lock_file(root, stack), legacy_lock_file(root, stack)):
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise LockError(f"{path}: cannot read the deployed-state lock ({exc})") from None
        _check_shape(data, path)
        return data, path
    return None, None


def _check_shape(data: Any, path: Path) -> None:
    def wrong(where: str, expected: str) -> LockError:
        return LockError(f"{path}: {where} must be {expected}; rewrite it with "
                         "`strata lock STACK` from the config that is deployed")

    if not isinstance(data, dict):
        raise wrong("the file", "a JSON object")
    topics = data.get("topics", {})
    if not isinstance(topics, dict):
        raise wrong("topics", "an object keyed by topic name")
    for name, topic in topics.items():
        if not isinstance(topic, dict) or not all(
                type(topic.get(k)) is int for k in ("replicationFactor", "partitions")):
            raise wrong(f"topics.{name}", "{replicationFactor: <int>, partitions: <int>}")
    network = data.get("network")
    if network is None:
        return
    zones = network.get("availabilityZones") if isinstance(network, dict) else None
    if not isinstance(network, dict) or not isinstance(network.get("cidr"), str) \
            or type(network.get("azCount")) is not int \
            or not (zones is None or (isinstance(zones, list)
                                      and all(isinstance(z, str) for z in zones))):
        raise wrong("network", "{cidr: <str>, azCount: <int>, availabilityZones: [<str>] | null}")
    if not isinstance(data.get("region"), str):
        raise wrong("region", "a region name")


def lock_problems(catalog: Catalog, lock: Mapping[str, Any] | None,
                  lock_file_name: str) -> list[Problem]:
    """Refuse unacknowledged replacements against the lock (STRATA-E106); `lock_file_name` is
    the real file, named in every message."""
    if not lock:
        return []
    return _network_problems(catalog, lock, lock_file_name) + \
        _topic_problems(catalog, lock, lock_file_name)


def _network_problems(catalog: Catalog, lock: Mapping[str, Any], source: str) -> list[Problem]:
    locked = lock.get("network")
    if not locked or catalog.network.acknowledge_replacement:
        return []
    net, region = catalog.network, catalog.environment.region
    ack = "network.acknowledgeReplacement: true to accept the replacement"
    consequence = ("replaces the subnets and everything in them: the MSK cluster, every "
                   "InfluxDB instance (their subnets are create-only) and the RDS subnet groups")

    def refuse(path: tuple[str, ...], what: str, was: Any, now: Any, result: str) -> Problem:
        return Problem(path, f"{what} {was} -> {now} {result} (deployed value from {source})",
                       f"{was}, or {ack}", "STRATA-E106")

    problems: list[Problem] = []
    if lock.get("region") != region:
        problems.append(refuse(("aws:region",), "region", lock.get("region"), region,
                               "moves the stack: every resource is replaced"))
    if locked["cidr"] != net.cidr:
        problems.append(refuse(("network", "cidr"), "VPC CIDR", locked["cidr"], net.cidr,
                               f"replaces the VPC, {consequence}"))
    was_zones, now_zones = locked["availabilityZones"], net.availability_zones
    if locked["azCount"] != net.az_count:
        problems.append(refuse(("network", "azCount"), "azCount", locked["azCount"],
                               net.az_count, consequence))
    elif was_zones != now_zones:
        def shown(zones: list[str] | None) -> str:
            return (f"[{', '.join(zones)}]" if zones is not None
                    else f"(the region's first {locked['azCount']} AZs)")
        problems.append(refuse(("network", "availabilityZones"), "availabilityZones",
                               shown(was_zones), shown(now_zones),
                               f"may move subnets to other AZs, which {consequence}"))
    return problems


def _topic_problems(catalog: Catalog, lock: Mapping[str, Any], source: str) -> list[Problem]:
    if catalog.kafka.mode == "serverless":
        return []
    locked: Mapping[str, Any] = lock.get("topics", {})
    problems: list[Problem] = []
    for service_name, service in catalog.services.items():
        for topic, spec in service.produces.items():
            deployed = locked.get(f"{service_name}.{topic}")
            if deployed is None:
                continue
            at = ("services", service_name, "produces", topic)
            was_rf, now_rf = deployed["replicationFactor"], replication_factor(catalog, spec)
            if was_rf != now_rf and not spec.acknowledge_replication_change:
                problems.append(Problem(
                    (*at, "replicationFactor"),
                    f"replication {was_rf} -> {now_rf} replaces topic {service_name}.{topic} "
                    f"and deletes its data (deployed value from {source})",
                    f"{was_rf}, or add acknowledgeReplicationChange: true to accept the loss",
                    "STRATA-E106"))
            was_p = deployed["partitions"]
            if spec.partitions < was_p:
                problems.append(Problem(
                    (*at, "partitions"),
                    f"partitions {was_p} -> {spec.partitions}: Kafka cannot remove partitions "
                    f"(deployed value from {source})", f">= {was_p}", "STRATA-E106"))
    return problems
