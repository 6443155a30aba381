"""Test doubles for `strata preflight`: moto's server for the APIs moto implements, botocore's
Stubber for the rest, and a fixed network vantage point.

Which API goes where was measured against moto 5.2 (see docs/preflight.md): moto answers STS,
EC2 (AZs, instance type offerings, VPCs, addresses, NAT/internet gateways, subnets), RDS
orderable options (aurora-postgresql and neptune data only, us-east-1 AZs), DescribeDBClusters /
DescribeDBInstances, Service Quotas for `vpc` codes only, Kafka ListClustersV2, SSO Admin
ListInstances, Timestream Write ListDatabases. It does not implement RDS DescribeDBEngineVersions,
Kafka ListKafkaVersions, EKS DescribeAddonVersions / DescribeClusterVersions, nor quotas outside
`vpc`: those go through Stubber, which still validates every request and response against the
botocore model.
"""

from __future__ import annotations

import copy
import functools
import ipaddress
import json
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
import yaml
from botocore.config import Config
from botocore.stub import Stubber

from infra.synth import synthesize
from tests.conftest import ROOT

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
# One attempt: a test that reaches an unimplemented moto route should fail fast, not back off.
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


@contextmanager
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


# Fixtures for the modules that use moto (import them; pytest registers them by `name`): one
# server per module, reset on demand.
@pytest.fixture(scope="module", name="moto_url")
def moto_url_fixture() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(name="moto")
def moto_fixture(moto_url: str) -> Any:
    """A client maker on the module's moto account, for tests that only read."""
    return lambda service, region="eu-west-1": moto_client(moto_url, service, region)


@pytest.fixture(name="fresh")
def fresh_fixture(moto_url: str, moto: Any) -> Any:
    """The same, on a freshly reset account, for tests that create resources or count them."""
    reset_moto(moto_url)
    return moto


def reset_moto(url: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"),
                           timeout=10).close()


def moto_client(url: str, service: str, region: str = "eu-west-1") -> Any:
    return boto3.client(service, endpoint_url=url, region_name=region, config=NO_RETRIES,
                        **CREDENTIALS)  # type: ignore[call-overload]


def stubbed(service: str, region: str = "eu-west-1") -> tuple[Any, Stubber]:
    """A real client whose calls are answered by a queue of responses, checked against the
    service model. No network."""
    client = boto3.client(service, region_name=region, config=NO_RETRIES,  # type: ignore[call-overload]
                          **CREDENTIALS)
    stub = Stubber(client)
    stub.activate()
    return client, stub


def factory(clients: Mapping[str, Any]) -> Callable[[str], Any]:
    def client(service: str) -> Any:
        if service not in clients:
            raise AssertionError(f"the test gave no client for {service}")
        return clients[service]

    return client


class FixedVantage:
    """A deployer host with known addresses."""

    def __init__(self, local: Iterable[str] = (), public: str | None = None) -> None:
        self.local = {ipaddress.ip_address(a) for a in local}
        self.public = public
        self.asked_toward: list[str] = []

    def local_addresses(self, toward: Iterable[str]) -> set[Any]:
        self.asked_toward += list(toward)
        return set(self.local)

    def public_address(self) -> Any:
        if self.public is None:
            raise OSError("no route to checkip.amazonaws.com")
        return ipaddress.ip_address(self.public)


@functools.cache
def dev_with_liveanalytics() -> dict[str, Any]:
    """The dev stack with its analytics service on Timestream for LiveAnalytics (the engine
    accounts that already have it keep using), so the LiveAnalytics checks have something to
    judge; the sample stacks themselves use InfluxDB."""
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    services = copy.deepcopy(config["strata:services"])
    services["analytics"]["timeseries"] = {
        "engine": "liveanalytics",
        "tables": {"order-metrics": {"memoryRetentionHours": 24, "magneticRetentionDays": 90}}}
    return synthesize("dev", ROOT, overrides={"strata:services": json.dumps(services)})
