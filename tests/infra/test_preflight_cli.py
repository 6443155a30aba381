"""`strata preflight` as a command (exit codes, messages, region) and the endpoint-reachability
check from a known vantage point, including the real host probes against local servers."""

from __future__ import annotations

import http.server
import io
import ipaddress
import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from infra._preflight_endpoint import HostVantage, check_endpoint_reachability  # noqa: E402
from infra._preflight_needs import ClusterNeed, EndpointNeed, StackNeeds  # noqa: E402
from infra._preflight_report import Severity  # noqa: E402
from infra.cli import main  # noqa: E402
from infra.preflight import CHECKS, run_preflight  # noqa: E402
from tests.infra.preflight_doubles import FixedVantage, factory, stubbed  # noqa: E402

SERVICES = ("ec2", "eks", "rds", "kafka", "timestream-influxdb", "timestream-write", "sso-admin",
            "service-quotas")
EMPTY = {"project": "strata", "stack": "dev", "resources": []}


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials anywhere in the default chain, and no way to reach instance metadata."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def _no_synth(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("synthesized although the run could not proceed")

    monkeypatch.setattr("infra.synth.synthesize", refuse)


def test_no_credentials_exits_2_before_synthesizing(no_aws: None, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _no_synth(monkeypatch)
    assert main(["preflight", "dev"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("strata preflight: no usable AWS credentials: Unable to locate "
                          "credentials.")
    assert "Traceback" not in err


def test_rejected_credentials_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    sts, stub = stubbed("sts")
    stub.add_client_error("get_caller_identity", "ExpiredToken",
                          "The security token included in the request is expired")
    code = run_preflight("dev", clients=factory({"sts": sts}), manifest=EMPTY)
    assert code == 2
    assert "AWS rejected the credentials: GetCallerIdentity: ExpiredToken" in \
        capsys.readouterr().err


def test_unknown_stack_exits_2_with_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preflight", "staging"]) == 2
    assert "no stack file for stack 'staging'" in capsys.readouterr().err


def test_no_region_anywhere_exits_2(no_aws: None, monkeypatch: pytest.MonkeyPatch,
                                    tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: strata\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    monkeypatch.chdir(tmp_path)
    assert run_preflight("dev", manifest=EMPTY) == 2
    assert "no region: set aws:region" in capsys.readouterr().err


def _identity() -> Any:
    sts, stub = stubbed("sts")
    stub.add_response("get_caller_identity", {"Account": "111122223333", "UserId": "X",
                                              "Arn": "arn:aws:iam::111122223333:user/ci"})
    return sts


def _clients(**extra: Any) -> Any:
    return factory({"sts": _identity(), **dict.fromkeys(SERVICES), **extra})


def test_internal_error_is_one_line_unless_debug(capsys: pytest.CaptureFixture[str]) -> None:
    class Broken:
        def describe_availability_zones(self) -> Any:
            raise KeyError("ZoneName")

    manifest = {**EMPTY, "resources": [{
        "urn": "u", "type": "aws:ec2/subnet:Subnet", "name": "s", "custom": True,
        "inputs": {"availabilityZone": "eu-west-1a"}}]}
    assert run_preflight("dev", clients=_clients(ec2=Broken()), manifest=manifest) == 3
    err = capsys.readouterr().err
    assert err == ("strata preflight: internal error: KeyError: 'ZoneName' "
                   "(--debug prints the traceback)\n")
    assert run_preflight("dev", clients=_clients(ec2=Broken()), manifest=manifest,
                         debug=True) == 3
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_region_other_than_the_stacks_is_a_warning() -> None:
    out = io.StringIO()
    code = run_preflight("dev", "json", "us-east-2", clients=_clients(), manifest=EMPTY, out=out)
    body = json.loads(out.getvalue())
    assert code == 0 and body["region"] == "us-east-2"
    [warning] = [f for f in body["findings"] if f["check"] == "region"]
    assert warning["found"].startswith("the stack deploys to eu-west-1 (aws:region)")


def test_cli_accepts_only_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preflight", "dev", "--format", "sarif"]) == 2
    assert "invalid choice: 'sarif'" in capsys.readouterr().err


def test_every_check_is_wired_to_a_client_the_factory_provides() -> None:
    asked: list[str] = []

    def recording(service: str) -> None:
        asked.append(service)

    for check in CHECKS:
        check.run(recording, FixedVantage(), StackNeeds("dev"))
    assert set(asked) == set(SERVICES)


# -- endpoint reachability --------------------------------------------------------------------


def _needs(public: bool, private: bool, public_cidrs: tuple[str, ...] = (),
           deployers: tuple[str, ...] = ()) -> StackNeeds:
    endpoint = EndpointNeed("strata-dev", public, public_cidrs, private, deployers,
                            ("10.20.0.0/16",))
    return StackNeeds("dev", clusters=(ClusterNeed("strata-dev", "1.33", "STANDARD", endpoint),))


@pytest.mark.parametrize(("needs", "vantage", "severity", "text"), [
    (_needs(True, False, ("203.0.113.0/24",)), FixedVantage(public="203.0.113.9"), "ok",
     "egress address 203.0.113.9 in 203.0.113.0/24"),
    (_needs(True, True, ("203.0.113.0/24",)), FixedVantage(public="198.51.100.1"), "blocker",
     "198.51.100.1 is not in publicAccessCidrs (203.0.113.0/24)"),
    (_needs(True, False), FixedVantage(public="198.51.100.1"), "ok", "in 0.0.0.0/0"),
    (_needs(True, False, ("203.0.113.0/24",)), FixedVantage(), "warning",
     "cannot learn this host's public address"),
    (_needs(False, True), FixedVantage(local=["10.99.0.5"]), "blocker",
     "declares no deployer network"),
    (_needs(False, True, deployers=("10.99.0.0/16",)), FixedVantage(local=["10.99.0.5"]), "ok",
     "deployer network (10.99.0.5 in 10.99.0.0/16)"),
    (_needs(False, True, deployers=("10.99.0.0/16",)), FixedVantage(local=["192.168.1.4"]),
     "blocker", "none of this host's addresses (192.168.1.4) is in the deployer CIDRs"),
    # Public path refused, but the host sits in a declared deployer network: reachable.
    (_needs(True, True, ("203.0.113.0/24",), ("10.99.0.0/16",)),
     FixedVantage(local=["10.99.0.5"], public="198.51.100.1"), "ok", "deployer network"),
])
def test_endpoint_reachability(needs: StackNeeds, vantage: FixedVantage, severity: str,
                               text: str) -> None:
    [finding] = check_endpoint_reachability(vantage, needs)
    assert finding.severity.value == severity
    assert text in finding.found


def test_private_check_asks_for_the_route_toward_the_cluster_vpc() -> None:
    vantage = FixedVantage(local=["10.99.0.5"])
    check_endpoint_reachability(vantage, _needs(False, True, deployers=("10.99.0.0/16",)))
    assert vantage.asked_toward == ["10.20.0.0/16"]


def test_both_paths_refused_reports_both() -> None:
    findings = check_endpoint_reachability(
        FixedVantage(local=["192.168.1.4"], public="198.51.100.1"),
        _needs(True, True, ("203.0.113.0/24",), ("10.99.0.0/16",)))
    assert [f.severity for f in findings] == [Severity.BLOCKER, Severity.BLOCKER]
    assert [f.subject for f in findings] == ["strata-dev: public endpoint",
                                             "strata-dev: private endpoint"]


@pytest.fixture
def checkip() -> Iterator[str]:
    """A local stand-in for checkip.amazonaws.com: same body format (address and newline)."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"203.0.113.77\n")

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_host_public_address_is_parsed_from_checkip(checkip: str) -> None:
    assert HostVantage(checkip_url=checkip).public_address() == \
        ipaddress.ip_address("203.0.113.77")


def test_host_public_address_failure_is_an_oserror() -> None:
    with pytest.raises(OSError):
        HostVantage(checkip_url="http://127.0.0.1:9/", timeout_s=1).public_address()


def test_host_local_addresses_include_the_route_source() -> None:
    # Toward the loopback network the kernel's source address is 127.0.0.1.
    assert ipaddress.ip_address("127.0.0.1") in HostVantage().local_addresses(["127.0.0.0/8"])
