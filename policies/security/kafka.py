"""MSK access and broker configuration: every client authenticates, authorization denies by
default, and brokers never trade data for availability."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import _aws
from .._control import Control, Finding, Node, Res, StackView, cannot_verify, fail
from .._values import ABSENT, as_bool, get, is_unknown

__all__ = ["CONTROLS", "server_properties"]

MSK_CONFIGURATION = "aws:msk/configuration:Configuration"


def server_properties(text: Any) -> dict[str, str] | None:
    """`key=value` lines of a broker configuration; None when the text is unknown."""
    if is_unknown(text):
        return None
    found: dict[str, str] = {}
    for line in str(text or "").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


def _check_unauthenticated(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    auth = res.props.get("clientAuthentication", ABSENT)
    if is_unknown(auth):
        return [cannot_verify("clientAuthentication")]
    if auth is ABSENT or auth is None:
        return [fail("clientAuthentication is absent: MSK allows unauthenticated clients")]
    unauthenticated = get(auth, "unauthenticated")
    if is_unknown(unauthenticated):
        return [cannot_verify("clientAuthentication.unauthenticated")]
    if as_bool(unauthenticated) is True:
        return [fail("clientAuthentication.unauthenticated is True: any client that reaches a "
                     "broker can read and write every topic")]
    return []


def _setting_check(key: str, bad: str, message: str) -> Any:
    def check(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
        properties = server_properties(res.props.get("serverProperties"))
        if properties is None:
            return [cannot_verify("serverProperties")]
        if properties.get(key, "").lower() == bad:
            return [fail(f"serverProperties sets {key}={properties[key]}: {message}")]
        return []
    return check


def _acl_enforcing(cluster: Node) -> bool | None:
    """Whether the cluster authenticates clients whose access Kafka ACLs decide (SASL/SCRAM,
    mutual TLS); IAM access control ignores ACLs."""
    auth = cluster.props.get("clientAuthentication")
    if is_unknown(auth):
        return None
    scram, tls = get(auth, "sasl.scram"), get(auth, "tls")
    if is_unknown(scram) or is_unknown(tls):
        return None
    return as_bool(scram) is True or tls not in (ABSENT, None)


def _check_acl_default(stack: StackView, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    for cluster in stack.of_type(_aws.MSK_CLUSTER):
        enforcing = _acl_enforcing(cluster)
        if enforcing is None:
            yield cannot_verify("clientAuthentication", cluster.urn)
            continue
        if not enforcing:
            continue
        configurations = [n for n in stack.deps_of(cluster, "configurationInfo")
                          if n.type == MSK_CONFIGURATION]
        if not configurations:
            yield fail("SASL/SCRAM or TLS clients are authorized by Kafka ACLs, and the cluster "
                       "runs MSK's default configuration, where allow.everyone.if.no.acl.found "
                       "is true", cluster.urn)
            continue
        for configuration in configurations:
            properties = server_properties(configuration.props.get("serverProperties"))
            if properties is None:
                yield cannot_verify("serverProperties", cluster.urn)
            elif properties.get("allow.everyone.if.no.acl.found", "true").lower() != "false":
                yield fail(f"configuration {configuration.name} leaves "
                           "allow.everyone.if.no.acl.found true: a topic without ACLs is open "
                           "to every authenticated client", cluster.urn)


CONTROLS = [
    Control(
        "strata-msk-no-unauthenticated-access",
        "MSK clusters require client authentication (IAM, SASL/SCRAM or mutual TLS).",
        severity="medium", enforcement="mandatory", check=_check_unauthenticated,
        types=(_aws.MSK_CLUSTER,), fsbp="MSK.6",
        remediation="Set clientAuthentication={sasl: {iam: True}} (or scram/tls) and "
                    "unauthenticated=False.",
        tags=("iam",)),
    Control(
        "strata-msk-acl-deny-by-default",
        "MSK clusters whose clients are authorized by Kafka ACLs (SASL/SCRAM, mutual TLS) run a "
        "configuration with allow.everyone.if.no.acl.found=false.",
        severity="high", enforcement="mandatory", check=_check_acl_default, scope="stack",
        remediation="Create an aws.msk.Configuration with allow.everyone.if.no.acl.found=false "
                    "and reference it in the cluster's configurationInfo.",
        tags=("iam",)),
    Control(
        "strata-msk-no-unclean-leader-election",
        "MSK broker configurations do not enable unclean leader election, which elects an "
        "out-of-sync replica and silently drops acknowledged messages.",
        severity="medium", enforcement="mandatory",
        check=_setting_check("unclean.leader.election.enable", "true",
                             "an out-of-sync replica can become leader and acknowledged "
                             "messages are lost"),
        types=(MSK_CONFIGURATION,),
        remediation="Remove unclean.leader.election.enable or set it to false.",
        tags=("resilience",)),
    Control(
        "strata-msk-no-auto-create-topics",
        "MSK broker configurations do not create topics on first use: a typo in a client "
        "creates a topic with default partitions, replication and no owner.",
        severity="low", enforcement="advisory",
        check=_setting_check("auto.create.topics.enable", "true",
                             "clients create topics by naming them"),
        types=(MSK_CONFIGURATION,),
        remediation="Set auto.create.topics.enable=false and declare topics in code.",
        tags=("governance",)),
]
