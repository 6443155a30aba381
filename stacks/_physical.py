"""Every physical name the program will create, checked at config time with the key path that
produced it: against AWS's and Kubernetes' naming rules, against each other (two names of one
kind that are equal would be one resource), and against namespaces a cluster reserves.

The names come from where they are decided: Strata's conventions (`stacks.conventions.Names`)
and each component's pure `physical_names(...)`, called with the arguments the blueprint passes
(`stacks/platform.py`, `stacks/service.py`, `stacks/_stores.py`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from components import _eks_plan, alarms, dynamodb, kafka, network, observability, postgres
from components._names import name_problem
from components.timeseries import influx_physical_names, live_analytics_physical_names
from stacks.catalog import Catalog, Problem, Service, format_path
from stacks.conventions import PLATFORM_SERVICE, Names

__all__ = [
    "RESERVED_NAMESPACES",
    "RESERVED_NAMESPACE_PREFIXES",
    "physical_name_problems",
    "planned_names",
]

Path = tuple[str | int, ...]

RESERVED_NAMESPACES = frozenset({
    # Created by Kubernetes itself:
    # https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
    "default", "kube-system", "kube-public", "kube-node-lease",
    # EKS on Fargate reads its log router configuration from this namespace only:
    # https://docs.aws.amazon.com/eks/latest/userguide/fargate-logging.html
    "aws-observability",
})
RESERVED_NAMESPACE_PREFIXES = (
    # "Avoid creating namespaces with the prefix kube-, since it is reserved for Kubernetes
    # system namespaces" (same Kubernetes page).
    "kube-",
    # EKS add-ons install into amazon-* namespaces (amazon-cloudwatch, amazon-guardduty,
    # amazon-network-flow-monitor): a service there would share them with AWS's agents.
    "amazon-",
)


def planned_names(catalog: Catalog) -> list[tuple[str, str, Path]]:
    """(kind, physical name, key path that decided it) of everything the stack names."""
    env = catalog.environment
    names = Names(env.name)
    at_env: Path = ("environment", "name")
    found: list[tuple[str, str, Path]] = [("kms-alias", names.key_alias(PLATFORM_SERVICE),
                                           at_env)]

    def add(pairs: Iterable[tuple[str, str]], path: Path) -> None:
        found.extend((kind, name, path) for kind, name in pairs)

    add(network.physical_names("network", names.log_group("vpc-flow-logs")), at_env)
    add(_eks_plan.physical_names(names.stack,
                                 creates_admin_role=catalog.cluster.admin_role_arn is None),
        at_env)
    add(kafka.physical_names(names.stack, catalog.kafka.kafka_version,
                             names.log_group("msk-brokers"), catalog.kafka.mode == "serverless"),
        ("kafka", "kafkaVersion"))
    add(observability.physical_names(names.stack, names.log_group("prometheus"),
                                     f"grafana-{names.stack}"), at_env)
    add(alarms.physical_names(f"{names.stack}-alarms"), at_env)
    for service_name, service in catalog.services.items():
        found += _service_names(names, service_name, service)
    return found


def _service_names(names: Names, service_name: str,
                   service: Service) -> list[tuple[str, str, Path]]:
    at: Path = ("services", service_name)
    found = [("iam-role", names.service_role(service_name), at),
             ("kms-alias", names.key_alias(service_name), at),
             ("k8s-namespace", service_name, at)]
    pg = service.postgres
    if pg is not None:
        found += [(kind, name, (*at, "postgres")) for kind, name in postgres.physical_names(
            names.store(service_name, "postgres"), shards=pg.shards, engine=pg.engine,
            engine_version=pg.engine_version, readers=pg.readers if pg.engine == "aurora" else 0,
            shard_map_parameter_name=names.shard_map(service_name))]
    for table in service.keyvalue:
        found += [(kind, name, (*at, "keyvalue", table)) for kind, name in
                  dynamodb.physical_names(f"{names.store(service_name, table)}")]
    ts = service.timeseries
    if ts is not None:
        pairs = (influx_physical_names(names.store(service_name, "influx"))
                 if ts.engine == "influxdb" else
                 live_analytics_physical_names(f"{names.environment}-{service_name}",
                                               list(ts.tables)))
        found += [(kind, name, (*at, "timeseries")) for kind, name in pairs]
    return found


def physical_name_problems(catalog: Catalog) -> list[Problem]:
    """Names AWS would refuse (once per key path and kind: shard names differ only in their
    suffix), namespaces a cluster reserves, and collisions, every side of a collision reported
    with its own key path (STRATA-E107)."""
    invalid: dict[tuple[Path, str], tuple[str, str]] = {}
    problems: list[Problem] = []
    by_name: dict[tuple[str, str], list[Path]] = defaultdict(list)
    for kind, name, path in planned_names(catalog):
        if path not in by_name[(kind, name)]:
            by_name[(kind, name)].append(path)
        problem = name_problem(kind, name)
        if problem and len(name) >= len(invalid.get((path, kind), ("", ""))[0]):
            invalid[(path, kind)] = (name, problem)
        if kind == "k8s-namespace" and _reserved(name):
            problems.append(Problem(path, f"namespace {name!r} is reserved by Kubernetes or EKS",
                                    "a service name other than default, aws-observability, "
                                    "kube-* and amazon-*", "STRATA-E107"))
    problems += [Problem(path, problem, "shorter names: the environment, service and store "
                         "names are all part of it", "STRATA-E107")
                 for (path, _), (_, problem) in invalid.items()]
    for (kind, name), paths in by_name.items():
        for path in paths if len(paths) > 1 else []:
            others = ", ".join(format_path(p) for p in paths if p != path)
            problems.append(Problem(path, f"{kind} name {name!r} is also what {others} names: "
                                    "two resources cannot share it", "rename one of them",
                                    "STRATA-E107"))
    return problems


def _reserved(namespace: str) -> bool:
    return namespace in RESERVED_NAMESPACES or namespace.startswith(RESERVED_NAMESPACE_PREFIXES)
