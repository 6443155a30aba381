"""EncryptionKey: rotation, lifecycle, and a key policy that lets each principal use the key the
way AWS calls it (directly, through a service as the caller, or as a service principal)."""

from __future__ import annotations

import json

import pytest

from components._args import ComponentArgsError
from components.kms import CALLER_ACTIONS, EncryptionKey, key_policy

ROLE = "arn:aws:iam::123456789012:role/r"


def _key(tags, **extra):
    return EncryptionKey("orders-key", {"description": "orders data", "alias": "test/orders",
                                        "tags": tags, **extra})


def _statements(policy: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in policy["Statement"]}


def test_key_rotates_carries_tags_and_follows_its_lifecycle(mocked, tags):
    registered = mocked(lambda: _key(tags, lifecycle={"protect": True, "retain_on_delete": True}))
    key = registered.one("aws:kms/key:Key")
    assert key["inputs"]["enableKeyRotation"] is True
    assert key["inputs"]["rotationPeriodInDays"] == 365
    assert key["inputs"]["deletionWindowInDays"] == 30
    assert key["inputs"]["isEnabled"] is True
    assert key["inputs"]["tags"] == tags
    assert key["protect"] and key["retainOnDelete"]
    assert registered.one("aws:kms/alias:Alias")["inputs"]["name"] == "alias/test/orders"


def test_key_without_lifecycle_is_neither_protected_nor_retained(mocked, tags):
    key = mocked(lambda: _key(tags)).one("aws:kms/key:Key")
    assert not key["protect"] and not key["retainOnDelete"]


def test_admins_manage_but_cannot_use_the_key(mocked, tags):
    registered = mocked(lambda: _key(tags, user_arns=[ROLE]))
    by_sid = _statements(json.loads(registered.one("aws:kms/key:Key")["inputs"]["policy"]))
    admin = by_sid["AccountAdministration"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert not {"kms:Decrypt", "kms:*", "kms:Encrypt", "kms:GenerateDataKey*"} & set(
        admin["Action"])
    assert by_sid["KeyUsers"]["Principal"] == {"AWS": [ROLE]}
    assert "kms:Decrypt" in by_sid["KeyUsers"]["Action"]
    assert not {"UseThroughServices", "CloudWatchLogs", "AwsServicePrincipals"} & set(by_sid)


def test_callers_use_the_key_only_through_the_named_services():
    by_sid = _statements(key_policy(account_id="111122223333", region="eu-west-1",
                                    caller_services=["rds", "dynamodb"]))
    use = by_sid["UseThroughServices"]
    assert use["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert set(use["Action"]) == set(CALLER_ACTIONS)
    assert use["Condition"] == {"StringEquals": {
        "kms:CallerAccount": "111122223333",
        "kms:ViaService": ["dynamodb.eu-west-1.amazonaws.com", "rds.eu-west-1.amazonaws.com"]}}


def test_cloudwatch_logs_may_encrypt_only_the_named_log_groups():
    logs = _statements(key_policy(account_id="111122223333", region="eu-west-1",
                                  log_group_names=["/app/prod/*"]))["CloudWatchLogs"]
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"] == {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": [
        "arn:aws:logs:eu-west-1:111122223333:log-group:/app/prod/*"]}}


def test_service_principals_get_publish_use_limited_to_the_account():
    stmt = _statements(key_policy(account_id="111122223333", region="eu-west-1",
                                  service_principals=["cloudwatch.amazonaws.com"])
                       )["AwsServicePrincipals"]
    assert set(stmt["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert stmt["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}


def test_misspelt_argument_is_refused_with_a_suggestion(tags):
    with pytest.raises(ComponentArgsError, match=r"'user_role_arns' \(did you mean 'user_arns'"):
        EncryptionKey("k", {"description": "d", "user_role_arns": [ROLE]})  # type: ignore[typeddict-unknown-key]


def test_wrong_shape_names_the_argument_and_the_expected_shape():
    with pytest.raises(ComponentArgsError, match=r"'user_arns' expects list of str"):
        EncryptionKey("k", {"description": "d", "user_arns": ROLE})  # type: ignore[typeddict-item]
