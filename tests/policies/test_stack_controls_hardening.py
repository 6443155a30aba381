"""Stack controls added for issue 12 through pulumi_policy's own AnalyzeStack: key policies,
key admission of the services that use a key, secret rotation, DynamoDB auto scaling, MSK ACL
defaults, S3 access logging."""

from __future__ import annotations

import json
from typing import Any

from policies._control import StackView
from policies.security.key_grants import key_admission_gaps
from tests.policies.fixture_manifest import Builder, compliant_manifest
from tests.policies.harness import UNKNOWN, analyze_stack

ROOT = "arn:aws:iam::123:root"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _res(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in manifest["resources"] if r["name"] == name)


ADMIN_ONLY = {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": ROOT},
              "Action": ["kms:Create*", "kms:Describe*", "kms:Put*", "kms:Enable*"],
              "Resource": "*"}


def _via(service: str, region: str = "eu-west-1", **extra: Any) -> dict[str, Any]:
    return {"Sid": "ViaService", "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                       "kms:DescribeKey", "kms:CreateGrant"], "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com",
                                           "kms:CallerAccount": "123", **extra}}}


def _with_key_policy(name: str, *statements: dict[str, Any]) -> dict[str, Any]:
    manifest = compliant_manifest()
    _res(manifest, name)["inputs"]["policy"] = _doc(*statements)
    return manifest


# -- key policies -----------------------------------------------------------------------------

def test_rejects_key_without_a_written_policy() -> None:
    manifest = compliant_manifest()
    del _res(manifest, "orders-key")["inputs"]["policy"]
    verdict = analyze_stack("strata-kms-key-explicit-policy", manifest)
    assert [u.rsplit("::", 1)[-1] for u in verdict.urns] == ["orders-key"]
    assert verdict.violations[0].startswith("no key policy (policy input or")


def test_key_policy_resource_counts_as_explicit_and_unknown_target_cannot_be_verified() -> None:
    b = Builder()
    b.add("aws:kms/key:Key", "k", {"enableKeyRotation": True})
    b.add("aws:kms/keyPolicy:KeyPolicy", "k-policy", {"keyId": "k-id", "policy": _doc(ADMIN_ONLY)},
          deps={"keyId": ["k"]})
    assert analyze_stack("strata-kms-key-explicit-policy", b.manifest()).passed
    b = Builder()
    b.add("aws:kms/key:Key", "k", {"enableKeyRotation": True})
    b.add("aws:kms/keyPolicy:KeyPolicy", "k-policy", {"keyId": UNKNOWN, "policy": "{}"})
    verdict = analyze_stack("strata-kms-key-explicit-policy", b.manifest())
    assert verdict.cannot_verify and not verdict.violations


def test_compliant_keys_admit_every_service_that_uses_them() -> None:
    assert analyze_stack("strata-kms-key-admits-its-users", compliant_manifest()).passed


def test_rejects_dynamodb_key_that_admits_only_administrators() -> None:
    manifest = _with_key_policy("payments-key", ADMIN_ONLY)
    verdict = analyze_stack("strata-kms-key-admits-its-users", manifest)
    assert len(verdict.violations) == 1, verdict
    message = verdict.violations[0]
    assert message.startswith("key policy does not let the account's principals through "
                              "dynamodb use the key, which payments-table use(s) through "
                              "serverSideEncryption.kmsKeyArn: no qualifying Allow for "
                              "kms:Encrypt, kms:Decrypt, kms:ReEncryptFrom, kms:ReEncryptTo, "
                              "kms:GenerateDataKey (see https://docs.aws.amazon.com/kms/")
    assert verdict.urns[0].endswith("::payments-key")


def test_accepts_the_documented_via_service_statement() -> None:
    manifest = _with_key_policy("payments-key", ADMIN_ONLY, _via("dynamodb"))
    assert analyze_stack("strata-kms-key-admits-its-users", manifest).passed


def test_rejects_via_service_for_another_region_or_an_unprovable_condition() -> None:
    for statement in (_via("dynamodb", "us-east-1"), _via("rds"),
                      _via("dynamodb", **{"aws:PrincipalArn": "arn:aws:iam::123:role/x"})):
        manifest = _with_key_policy("payments-key", ADMIN_ONLY, statement)
        assert analyze_stack("strata-kms-key-admits-its-users", manifest).violations, statement


def test_unknown_key_policy_cannot_be_verified() -> None:
    manifest = compliant_manifest()
    _res(manifest, "payments-key")["inputs"]["policy"] = UNKNOWN
    verdict = analyze_stack("strata-kms-key-admits-its-users", manifest)
    assert verdict.cannot_verify and not verdict.violations


def _platform_statements() -> list[dict[str, Any]]:
    return json.loads(_res(compliant_manifest(), "platform-key")["inputs"]["policy"])["Statement"]


def test_rejects_log_group_key_without_the_logs_service_principal() -> None:
    statements = [s for s in _platform_statements() if s["Sid"] != "Logs"]
    manifest = _with_key_policy("platform-key", *statements)
    verdict = analyze_stack("strata-kms-key-admits-its-users", manifest)
    assert any("the logs service principal" in v and "flow-logs" in v
               for v in verdict.violations), verdict


def test_logs_statement_accepts_documented_conditions_only() -> None:
    statements = _platform_statements()
    logs = next(s for s in statements if s["Sid"] == "Logs")
    logs["Condition"] = {"StringEquals": {"aws:SourceAccount": "123"}}
    assert analyze_stack("strata-kms-key-admits-its-users",
                         _with_key_policy("platform-key", *statements)).passed
    logs["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}
    assert analyze_stack("strata-kms-key-admits-its-users",
                         _with_key_policy("platform-key", *statements)).violations


def test_rejects_alarm_topic_key_without_cloudwatch() -> None:
    statements = [s for s in _platform_statements() if s["Sid"] != "Alarms"]
    verdict = analyze_stack("strata-kms-key-admits-its-users",
                            _with_key_policy("platform-key", *statements))
    assert [v for v in verdict.violations if "cloudwatch service principal" in v
            and "alerts" in v and "kms:Decrypt, kms:GenerateDataKey" in v], verdict


def test_key_admission_gaps_are_callable_on_a_whole_manifest() -> None:
    manifest = _with_key_policy("payments-key", ADMIN_ONLY)
    gaps = key_admission_gaps(StackView.from_manifest(manifest))
    assert [(g.key.rsplit("::", 1)[-1], g.use.via) for g in gaps] == [("payments-key",
                                                                       "dynamodb")]
    assert key_admission_gaps(StackView.from_manifest(compliant_manifest())) == []


# -- secrets, DynamoDB, MSK, S3 ---------------------------------------------------------------

def _secret_stack(rotation: dict[str, Any] | None, deps: bool = True) -> dict[str, Any]:
    b = Builder()
    b.add("aws:secretsmanager/secret:Secret", "db-secret", {"kmsKeyId": "arn:aws:kms:x"})
    if rotation is not None:
        b.add("aws:secretsmanager/secretRotation:SecretRotation", "db-secret-rotation",
              {"secretId": "db-secret-id" if deps else UNKNOWN, "rotationLambdaArn": "arn:l",
               **rotation}, deps={"secretId": ["db-secret"]} if deps else None)
    return b.manifest()


def test_secret_rotation() -> None:
    policy = "strata-secret-rotation"
    assert analyze_stack(policy, _secret_stack({"rotationRules": {
        "automaticallyAfterDays": 30}})).passed
    assert analyze_stack(policy, _secret_stack(None)).violations == [
        "no aws:secretsmanager/secretRotation:SecretRotation takes this secret as secretId: "
        "the secret is never rotated"]
    assert analyze_stack(policy, _secret_stack({"rotationRules": {
        "automaticallyAfterDays": 120}})).violations == ["rotated every 120 days, more than 90"]
    assert analyze_stack(policy, _secret_stack({"rotationRules": {
        "automaticallyAfterDays": 120}}), config={"maxRotationDays": 180}).passed
    verdict = analyze_stack(policy, _secret_stack({}, deps=False))
    assert verdict.cannot_verify and not verdict.violations


def _table_stack(mode: Any = "PROVISIONED", scale: tuple[str, ...] = ("Read", "Write"),
                 gsi: bool = False) -> dict[str, Any]:
    b = Builder()
    inputs: dict[str, Any] = {"name": "orders", "billingMode": mode, "hashKey": "pk"}
    if gsi:
        inputs["globalSecondaryIndexes"] = [{"name": "by-customer", "hashKey": "c"}]
    b.add("aws:dynamodb/table:Table", "orders-table", inputs)
    for kind in scale:
        dimension = f"dynamodb:table:{kind}CapacityUnits"
        b.add("aws:appautoscaling/target:Target", f"t-{kind}", {
            "resourceId": "table/orders", "scalableDimension": dimension,
            "serviceNamespace": "dynamodb"}, deps={"resourceId": ["orders-table"]})
        b.add("aws:appautoscaling/policy:Policy", f"p-{kind}", {
            "resourceId": "table/orders", "scalableDimension": dimension,
            "policyType": "TargetTrackingScaling"}, deps={"resourceId": [f"t-{kind}"]})
    return b.manifest()


def test_dynamodb_provisioned_capacity_scales() -> None:
    policy = "strata-dynamodb-autoscaling"
    assert analyze_stack(policy, _table_stack()).passed
    assert analyze_stack(policy, _table_stack("PAY_PER_REQUEST", scale=())).passed
    verdict = analyze_stack(policy, _table_stack(scale=("Read",)))
    assert verdict.violations == [
        "provisioned capacity without auto scaling of dynamodb:table:WriteCapacityUnits: an "
        "aws:appautoscaling Target and Policy (or billingMode PAY_PER_REQUEST) are missing"]
    verdict = analyze_stack(policy, _table_stack(gsi=True))
    assert len(verdict.violations) == 2 and all("dynamodb:index:" in v
                                                for v in verdict.violations)
    assert analyze_stack(policy, _table_stack(UNKNOWN, scale=())).cannot_verify


def test_msk_acl_default_deny_for_scram_clusters() -> None:
    policy = "strata-msk-acl-deny-by-default"
    manifest = compliant_manifest()
    assert analyze_stack(policy, manifest).passed  # IAM access control ignores ACLs
    _res(manifest, "kafka")["inputs"]["clientAuthentication"] = {"sasl": {"scram": True}}
    verdict = analyze_stack(policy, manifest)
    assert "runs MSK's default configuration" in verdict.violations[0]
    b = Builder()
    b.add("aws:msk/configuration:Configuration", "brokers", {
        "serverProperties": "allow.everyone.if.no.acl.found=false\n"})
    b.add("aws:msk/cluster:Cluster", "kafka", {
        "clientAuthentication": {"tls": {"certificateAuthorityArns": ["arn:ca"]}},
        "configurationInfo": {"arn": "arn:cfg", "revision": 1}},
        deps={"configurationInfo": ["brokers"]})
    manifest = b.manifest()
    assert analyze_stack(policy, manifest).passed
    _res(manifest, "brokers")["inputs"]["serverProperties"] = "num.partitions=3"
    assert "leaves allow.everyone.if.no.acl.found true" in analyze_stack(
        policy, manifest).violations[0]


def test_s3_access_logging() -> None:
    policy = "strata-s3-access-logging"
    b = Builder()
    b.add("aws:s3/bucket:Bucket", "data", {})
    b.add("aws:s3/bucket:Bucket", "access-logs", {})
    unlogged = analyze_stack(policy, b.manifest())
    assert len(unlogged.violations) == 2
    b.add("aws:s3/bucketLogging:BucketLogging", "data-logging",
          {"bucket": "data-id", "targetBucket": "access-logs-id", "targetPrefix": "data/"},
          deps={"bucket": ["data"], "targetBucket": ["access-logs"]})
    assert analyze_stack(policy, b.manifest()).passed
