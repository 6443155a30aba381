from __future__ import annotations

import json

import pytest

from components.eks import ADDON_VERSIONS, LOG_TYPES, EksCluster, ami_type, kubeconfig
from tests.components._platform_fixtures import key_and_network

GROUPS = {"general": {"instance_types": ["m7g.large"], "min_size": 2, "max_size": 6},
          "batch": {"instance_types": ["m6i.xlarge"], "min_size": 0, "max_size": 3,
                    "ami": "BOTTLEROCKET", "disk_gib": 80}}


def _eks(tags, **extra):
    key, network = key_and_network(tags, azs=2)
    return EksCluster("eks", {"cluster_name": "strata-test", "network": network, "key": key,
                              "tags": tags, "kubernetes_version": "1.33",
                              "log_retention_days": 30, **extra})


def test_cluster_is_private_encrypted_logged_and_api_authenticated(mocked, tags):
    registered = mocked(lambda: _eks(tags, protect=True))
    cluster = registered.one("aws:eks/cluster:Cluster")
    inputs = cluster["inputs"]
    assert inputs["vpcConfig"]["endpointPrivateAccess"] is True
    assert inputs["vpcConfig"]["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in inputs["vpcConfig"]
    assert inputs["vpcConfig"]["subnetIds"] == ["network-private-eu-west-1a-id",
                                                "network-private-eu-west-1b-id"]
    assert inputs["encryptionConfig"] == {
        "resources": ["secrets"],
        "provider": {"keyArn": "arn:aws:kms:eu-west-1:123456789012:key/platform-key-key"}}
    assert inputs["enabledClusterLogTypes"] == list(LOG_TYPES) and len(LOG_TYPES) == 5
    assert inputs["accessConfig"] == {"authenticationMode": "API",
                                      "bootstrapClusterCreatorAdminPermissions": False}
    assert inputs["version"] == "1.33"
    assert inputs["upgradePolicy"] == {"supportType": "STANDARD"}
    assert inputs["deletionProtection"] is True
    assert cluster["protect"] and cluster["retainOnDelete"]
    logs = registered.named("eks-logs")["inputs"]
    assert logs["name"] == "/aws/eks/strata-test/cluster"
    assert logs["kmsKeyId"].endswith("key/platform-key-key")


def test_public_endpoint_only_for_listed_cidrs(mocked, tags):
    registered = mocked(lambda: _eks(tags, public_access_cidrs=["203.0.113.0/24"]))
    vpc = registered.one("aws:eks/cluster:Cluster")["inputs"]["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_admin_access_entry_for_a_created_role(mocked, tags):
    registered = mocked(lambda: _eks(tags))
    role = [
        r for r in registered.records if r["name"] == "eks-admin"]
    types = {r["type"] for r in role}
    assert types == {"aws:iam/role:Role", "aws:eks/accessEntry:AccessEntry",
                     "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"}
    trust = json.loads(next(r for r in role if r["type"] == "aws:iam/role:Role")
                       ["inputs"]["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assoc = registered.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")["inputs"]
    assert assoc["policyArn"].endswith("cluster-access-policy/AmazonEKSClusterAdminPolicy")
    assert assoc["accessScope"] == {"type": "cluster"}


def test_configured_admin_role_is_used_instead(mocked, tags):
    arn = "arn:aws:iam::123456789012:role/platform-admins"
    registered = mocked(lambda: _eks(tags, admin_role_arn=arn))
    assert registered.one("aws:eks/accessEntry:AccessEntry")["inputs"]["principalArn"] == arn
    assert not [r for r in registered.of_type("aws:iam/role:Role") if r["name"] == "eks-admin"]


def test_auto_mode_manages_nodes_and_core_addons(mocked, tags):
    registered = mocked(lambda: _eks(tags, auto_mode=True))
    inputs = registered.one("aws:eks/cluster:Cluster")["inputs"]
    assert inputs["computeConfig"]["enabled"] is True
    assert inputs["computeConfig"]["nodePools"] == ["general-purpose", "system"]
    assert inputs["computeConfig"]["nodeRoleArn"].endswith("role/eks-node-role")
    assert inputs["storageConfig"] == {"blockStorage": {"enabled": True}}
    assert inputs["kubernetesNetworkConfig"] == {"elasticLoadBalancing": {"enabled": True}}
    addons = {a["inputs"]["addonName"]: a["inputs"]["addonVersion"]
              for a in registered.of_type("aws:eks/addon:Addon")}
    assert addons == {"metrics-server": ADDON_VERSIONS["1.33"]["metrics-server"]}
    assert registered.of_type("aws:eks/nodeGroup:NodeGroup") == []
    policies = {r["inputs"]["policyArn"].rsplit("/", 1)[-1]
                for r in registered.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert {"AmazonEKSComputePolicy", "AmazonEKSWorkerNodeMinimalPolicy"} <= policies


def test_node_groups_require_imdsv2_and_encrypted_gp3(mocked, tags):
    registered = mocked(lambda: _eks(tags, auto_mode=False, node_groups=GROUPS))
    assert "computeConfig" not in registered.one("aws:eks/cluster:Cluster")["inputs"]
    groups = {g["name"]: g["inputs"] for g in registered.of_type("aws:eks/nodeGroup:NodeGroup")}
    assert set(groups) == {"eks-general", "eks-batch"}
    assert groups["eks-general"]["amiType"] == "AL2023_ARM_64_STANDARD"
    assert groups["eks-batch"]["amiType"] == "BOTTLEROCKET_x86_64"
    assert groups["eks-general"]["scalingConfig"] == {"minSize": 2, "maxSize": 6,
                                                      "desiredSize": 2}
    assert len(groups["eks-general"]["subnetIds"]) == 2
    assert "diskSize" not in groups["eks-general"]
    templates = {t["name"]: t["inputs"]
                 for t in registered.of_type("aws:ec2/launchTemplate:LaunchTemplate")}
    for template in templates.values():
        assert template["metadataOptions"]["httpTokens"] == "required"
        assert template["metadataOptions"]["httpPutResponseHopLimit"] == 1
        ebs = template["blockDeviceMappings"][0]["ebs"]
        assert ebs["encrypted"] == "true" and ebs["volumeType"] == "gp3"
    assert templates["eks-batch"]["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 80
    addons = {a["inputs"]["addonName"] for a in registered.of_type("aws:eks/addon:Addon")}
    assert addons == set(ADDON_VERSIONS["1.33"])


def test_kubernetes_provider_uses_get_token_and_no_file(mocked, tags):
    registered = mocked(lambda: _eks(tags))
    provider = registered.one("pulumi:providers:kubernetes")
    assert provider["inputs"]["kubeconfig"] == "[secret]"  # never printed
    config = json.loads(kubeconfig("c", "https://x", "Q0E=", "eu-west-1"))
    user = config["users"][0]["user"]["exec"]
    assert user["command"] == "aws"
    assert user["args"][:4] == ["eks", "get-token", "--cluster-name", "c"]
    assert config["clusters"][0]["cluster"]["certificate-authority-data"] == "Q0E="


def test_ami_type_follows_architecture():
    assert ami_type("AL2023", "t4g.large") == "AL2023_ARM_64_STANDARD"
    assert ami_type("AL2023", "m6a.large") == "AL2023_x86_64_STANDARD"
    assert ami_type("BOTTLEROCKET", "c7gn.xlarge") == "BOTTLEROCKET_ARM_64"


def test_refuses_a_version_without_pinned_addons(mocked, tags):
    with pytest.raises(ValueError, match="no pinned add-on versions"):
        mocked(lambda: _eks(tags, kubernetes_version="1.20"))
