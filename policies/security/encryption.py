"""Encryption at rest with customer-managed keys, and TLS in transit."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .. import _aws
from .._aws import STORE_KEY_PATHS
from .._control import Control, Finding, Res, cannot_verify, fail, judge
from .._values import ABSENT, as_bool, as_list, get, is_unknown

__all__ = ["CONTROLS", "cmk_findings", "is_aws_managed_key"]

def is_aws_managed_key(key: str) -> bool:
    """An `alias/aws/*` key: AWS-managed, its policy cannot be changed."""
    return key.startswith("alias/aws/") or ":alias/aws/" in key


def cmk_findings(props: Mapping[str, Any], path: str, fallback: str) -> list[Finding]:
    key = get(props, path)
    if is_unknown(key):
        return [cannot_verify(path, what="key reference not resolved yet")]
    if key is ABSENT or key == "":
        return [fail(f"{path} is absent: data is encrypted with {fallback}, not a "
                     "customer-managed key")]
    if isinstance(key, str) and is_aws_managed_key(key):
        return [fail(f"{path} is the AWS-managed key {key!r}, not a customer-managed key")]
    return []


def _check_cmk(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    path, fallback = STORE_KEY_PATHS[res.type]
    props = res.props
    if res.type == "aws:ssm/parameter:Parameter":
        kind = props.get("type")
        if is_unknown(kind):
            return [cannot_verify("type")]
        if kind != "SecureString":
            return []
    if res.type == _aws.DYNAMO_TABLE:
        enabled = get(props, "serverSideEncryption.enabled")
        if is_unknown(enabled):
            return [cannot_verify("serverSideEncryption.enabled")]
        if as_bool(enabled) is not True:
            return [fail("serverSideEncryption.enabled is "
                         f"{'absent' if enabled is ABSENT else repr(enabled)}: the table is "
                         "encrypted with an AWS-owned key, not a customer-managed key")]
    return cmk_findings(props, path, fallback)


def _check_rds_storage(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    if res.type == _aws.RDS_CLUSTER and res.props.get("engineMode") == "serverless":
        return []  # Aurora Serverless v1 is always encrypted
    return judge(res.props, "storageEncrypted", lambda v: as_bool(v) is True, False,
                 "storageEncrypted is {value}: the database storage, backups and snapshots "
                 "are unencrypted")


def _check_sns(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return cmk_findings(res.props, "kmsMasterKeyId", "no encryption at rest")


def _check_log_group(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    return cmk_findings(res.props, "kmsKeyId", "CloudWatch Logs' service-owned key")


def _check_eks_secrets(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    configs = get(res.props, "encryptionConfig", default=None)
    if is_unknown(configs):
        return [cannot_verify("encryptionConfig")]
    for config in as_list(configs):
        resources = get(config, "resources", default=[])
        if is_unknown(resources):
            return [cannot_verify("encryptionConfig.resources")]
        if "secrets" in as_list(resources):
            return cmk_findings(config, "provider.keyArn", "no envelope encryption")
    return [fail("encryptionConfig does not cover \"secrets\": Kubernetes secrets are stored "
                 "without envelope encryption")]


def _check_launch_template_ebs(res: Res, cfg: Mapping[str, Any]) -> Iterable[Finding]:
    mappings = get(res.props, "blockDeviceMappings", default=[])
    if is_unknown(mappings):
        return [cannot_verify("blockDeviceMappings")]
    if not mappings:
        return [fail("blockDeviceMappings is absent: the root volume's encryption depends on "
                     "the AMI and the account default")]
    findings: list[Finding] = []
    for i, mapping in enumerate(as_list(mappings)):
        if get(mapping, "virtualName") is not ABSENT:
            continue  # instance-store volume, no EBS
        # pulumi-aws v7 declares `encrypted` as a string ("true"/"false").
        findings += judge(mapping, "ebs.encrypted", lambda v: as_bool(v) is True, "false",
                          f"blockDeviceMappings[{i}].ebs.encrypted is {{value}}")
        if cfg["requireCustomerManagedKey"]:
            findings += [Finding(f.message.replace("ebs.kmsKeyId", f"blockDeviceMappings[{i}]"
                                                   ".ebs.kmsKeyId"), f.urn, f.unknown)
                         for f in cmk_findings(mapping, "ebs.kmsKeyId", "aws/ebs")]
    return findings


def _check_msk_tls(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    base = "encryptionInfo.encryptionInTransit"
    return [
        *judge(res.props, f"{base}.clientBroker", lambda v: v == "TLS", "TLS",
               "{path} is {value}: clients may talk to brokers in plaintext"),
        *judge(res.props, f"{base}.inCluster", lambda v: as_bool(v) is True, True,
               "{path} is {value}: brokers replicate in plaintext"),
    ]


_PG_FAMILY = re.compile(r"^(aurora-)?postgres(?:ql)?(\d+)")


def _check_force_ssl(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    family = res.props.get("family")
    if is_unknown(family):
        return [cannot_verify("family")]
    match = _PG_FAMILY.match(str(family or ""))
    if match is None:
        return []
    params = get(res.props, "parameters", default=[])
    if is_unknown(params):
        return [cannot_verify("parameters")]
    for param in as_list(params):
        if get(param, "name") == "rds.force_ssl":
            value = get(param, "value")
            if is_unknown(value):
                return [cannot_verify("parameters[rds.force_ssl].value")]
            if str(value).split(".")[0] == "1":
                return []
            return [fail(f"rds.force_ssl is {value!r}: clients may connect without TLS")]
    # RDS for PostgreSQL 15+ defaults rds.force_ssl to 1; Aurora PostgreSQL defaults it to 0.
    if match.group(1) is None and int(match.group(2)) >= 15:
        return []
    return [fail(f"rds.force_ssl is absent (default 0 for family {family}): clients may "
                 "connect without TLS")]


def _check_timestream_rejected(res: Res, _cfg: Mapping[str, Any]) -> Iterable[Finding]:
    base = "magneticStoreWriteProperties.magneticStoreRejectedDataLocation.s3Configuration"
    location = get(res.props, base)
    if is_unknown(location):
        return [cannot_verify(base)]
    if location is ABSENT:
        return []  # no rejected records are written anywhere
    # Timestream's S3Configuration.EncryptionOption defaults to SSE_S3.
    findings = judge(location, "encryptionOption", lambda v: v == "SSE_KMS", "SSE_S3",
                     f"{base}.encryptionOption is {{value}}: rejected records land in S3 "
                     "without the customer-managed key")
    if not findings:
        findings = cmk_findings(location, "kmsKeyId", "the bucket's default key")
    return findings


_STORES_WITH_KEYS = tuple(sorted(STORE_KEY_PATHS))

CONTROLS = [
    Control(
        "strata-data-store-cmk-encryption",
        "Data stores are encrypted at rest with a customer-managed KMS key, so that access to "
        "the data is governed by a key policy you control and can be revoked or audited.",
        severity="high", enforcement="mandatory", check=_check_cmk, types=_STORES_WITH_KEYS,
        remediation="Set the store's key input (kmsKeyId / kmsKeyArn / "
                    "serverSideEncryption.kmsKeyArn / encryptionAtRestKmsKeyArn / keyId) to a "
                    "customer-managed KMS key; never an alias/aws/* key.",
        tags=("encryption",)),
    Control(
        "strata-rds-storage-encrypted",
        "RDS instances and clusters encrypt storage, automated backups and snapshots at rest.",
        severity="critical", enforcement="mandatory", check=_check_rds_storage,
        types=(_aws.RDS_INSTANCE, _aws.RDS_CLUSTER), fsbp="RDS.3, RDS.27",
        remediation="Set storageEncrypted=True with the owner's kmsKeyId; an existing "
                    "unencrypted database must be restored from an encrypted snapshot copy.",
        tags=("encryption",)),
    Control(
        "strata-sns-topic-cmk",
        "SNS topics encrypt messages at rest with a customer-managed key; alarm payloads name "
        "resources and data.",
        severity="medium", enforcement="mandatory", check=_check_sns, types=(_aws.SNS_TOPIC,),
        fsbp="SNS.1",
        remediation="Set kmsMasterKeyId to the platform key and grant cloudwatch.amazonaws.com "
                    "kms:GenerateDataKey* and kms:Decrypt on it.",
        tags=("encryption",)),
    Control(
        "strata-log-group-cmk",
        "CloudWatch log groups are encrypted with a customer-managed key; logs carry audit "
        "trails and sometimes data.",
        severity="medium", enforcement="mandatory", check=_check_log_group,
        types=("aws:cloudwatch/logGroup:LogGroup",),
        remediation="Set kmsKeyId to a key whose policy allows logs.<region>.amazonaws.com.",
        tags=("encryption", "logging")),
    Control(
        "strata-eks-secrets-encryption",
        "EKS clusters envelope-encrypt Kubernetes secrets with a customer-managed key.",
        severity="high", enforcement="mandatory", check=_check_eks_secrets,
        types=("aws:eks/cluster:Cluster",), fsbp="EKS.3",
        remediation="Set encryptionConfig={resources: [\"secrets\"], provider: {keyArn: key.arn}}.",
        tags=("encryption", "kubernetes")),
    Control(
        "strata-launch-template-ebs-encryption",
        "Launch templates encrypt every EBS volume, so node disks do not depend on the "
        "account's default encryption setting.",
        severity="high", enforcement="mandatory", check=_check_launch_template_ebs,
        types=("aws:ec2/launchTemplate:LaunchTemplate",),
        config={"requireCustomerManagedKey": {
            "type": "boolean", "default": False,
            "description": "Also require ebs.kmsKeyId (node disks hold no service data; "
                           "aws/ebs is accepted by default)."}},
        remediation="Declare blockDeviceMappings for the root device with ebs.encrypted=\"true\" "
                    "(and ebs.kmsKeyId when requireCustomerManagedKey is set).",
        tags=("encryption",)),
    Control(
        "strata-msk-tls-in-transit",
        "MSK clusters encrypt traffic between clients and brokers and among brokers with TLS.",
        severity="critical", enforcement="mandatory", check=_check_msk_tls,
        types=(_aws.MSK_CLUSTER,), fsbp="MSK.1",
        remediation="Set encryptionInfo.encryptionInTransit={clientBroker: \"TLS\", "
                    "inCluster: True}.",
        tags=("encryption", "tls")),
    Control(
        "strata-rds-force-ssl",
        "PostgreSQL parameter groups force TLS (rds.force_ssl=1), so no client connects in "
        "plaintext.",
        severity="high", enforcement="mandatory", check=_check_force_ssl,
        types=("aws:rds/parameterGroup:ParameterGroup",
               "aws:rds/clusterParameterGroup:ClusterParameterGroup"),
        remediation="Add parameter {name: \"rds.force_ssl\", value: \"1\"} to the parameter group.",
        tags=("encryption", "tls")),
    Control(
        "strata-timestream-rejected-data-cmk",
        "Timestream tables that write rejected magnetic-store records to S3 encrypt them with "
        "a customer-managed key, like the table itself.",
        severity="medium", enforcement="mandatory", check=_check_timestream_rejected,
        types=(_aws.TS_TABLE,),
        remediation="Set magneticStoreRejectedDataLocation.s3Configuration.encryptionOption "
                    "\"SSE_KMS\" and kmsKeyId to the table's customer-managed key.",
        tags=("encryption",)),
]
