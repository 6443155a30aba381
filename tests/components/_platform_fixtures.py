"""Shared builders for component tests: a network and a key under the mock runtime."""

from __future__ import annotations

from components.kms import EncryptionKey
from components.network import Network


def key_and_network(tags: dict[str, str], azs: int = 3, key_name: str = "platform-key",
                    network_name: str = "network") -> tuple[EncryptionKey, Network]:
    key = EncryptionKey(key_name, {"description": key_name, "alias": f"test/{key_name}",
                                   "tags": tags})
    network = Network(network_name, {
        "cidr": "10.0.0.0/16",
        "availability_zones": [f"eu-west-1{c}" for c in "abc"[:azs]],
        "tags": tags, "flow_log_kms_key_arn": key.arn, "flow_log_retention_days": 30})
    return key, network
