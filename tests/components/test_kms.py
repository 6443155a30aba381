from __future__ import annotations

import json

from components.kms import EncryptionKey


def _key(tags, **extra):
    return EncryptionKey("orders-key", {"description": "orders data", "alias": "strata/test/orders",
                                        "tags": tags, **extra})


def test_key_rotates_and_carries_tags(mocked, tags):
    registered = mocked(lambda: _key(tags, protect=True))
    key = registered.one("aws:kms/key:Key")
    assert key["inputs"]["enableKeyRotation"] is True
    assert key["inputs"]["rotationPeriodInDays"] == 365
    assert key["inputs"]["deletionWindowInDays"] == 30
    assert key["inputs"]["tags"] == tags
    assert key["protect"] and key["retainOnDelete"]
    alias = registered.one("aws:kms/alias:Alias")
    assert alias["inputs"]["name"] == "alias/strata/test/orders"


def test_key_policy_lets_admins_manage_but_not_decrypt(mocked, tags):
    registered = mocked(lambda: _key(tags, user_role_arns=["arn:aws:iam::123456789012:role/r"]))
    policy = json.loads(registered.one("aws:kms/key:Key")["inputs"]["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    admin = by_sid["AccountAdministration"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert not {"kms:Decrypt", "kms:*", "kms:Encrypt"} & set(admin["Action"])
    users = by_sid["KeyUsers"]
    assert users["Principal"] == {"AWS": ["arn:aws:iam::123456789012:role/r"]}
    assert "kms:Decrypt" in users["Action"]
    assert "AwsServices" not in by_sid


def test_unprotected_key_is_not_retained(mocked, tags):
    key = mocked(lambda: _key(tags)).one("aws:kms/key:Key")
    assert not key["protect"] and not key["retainOnDelete"]
