"""EksCluster: reachable (declared API access, a provider that authenticates as the admin role),
healthy on first boot (network plugin before nodes, roles before the cluster), NetworkPolicies
enforced, security groups for pods where the hardware allows, pinned add-ons, and the library
contract (validated arguments, lifecycle on helpers, provider-host schema)."""

from __future__ import annotations

import json
import logging
import re

import kubernetes_validate
import pytest
from pulumi.provider.experimental.analyzer import Analyzer

from components._args import ComponentArgsError
from components.eks import (
    ADDON_VERSIONS,
    LOG_TYPES,
    EksCluster,
    ami_type,
    kubeconfig,
    physical_names,
    pod_identity_trust_policy,
    pod_security_group_problem,
)

ACCOUNT = "123456789012"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/platform-admins"
DEPLOYERS = {"deployer_cidrs": ["10.100.0.0/24", "172.16.8.0/22"]}
GRAVITON = {"general": {"instance_types": ["m7g.large"], "min_size": 2, "max_size": 6},
            "batch": {"instance_types": ["m6i.xlarge", "c6i.xlarge"], "min_size": 0,
                      "max_size": 3, "ami": "BOTTLEROCKET", "disk_gib": 80}}
BURSTABLE = {"general": {"instance_types": ["t4g.large"], "min_size": 1, "max_size": 3}}
ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def _eks(**extra):
    args = {"cluster_name": "strata-test", "vpc_id": "vpc-1", "subnet_ids": ["subnet-a",
                                                                            "subnet-b"],
            "kubernetes_version": "1.33", "api_access": DEPLOYERS, "tags": {"team": "a"},
            **extra}
    return EksCluster("eks", args)


def _nodegroups(**extra):
    return _eks(auto_mode=False, node_groups=GRAVITON, **extra)


def _addons(registered) -> dict[str, dict]:
    return {a["inputs"]["addonName"]: a for a in registered.of_type(ADDON)}


def _attached(registered, role: str) -> dict[str, str]:
    """Policy name -> URN of the attachments to one role."""
    return {r["inputs"]["policyArn"].rsplit("/", 1)[-1]: r["urn"]
            for r in registered.of_type(ATTACHMENT) if r["name"].startswith(f"{role}-")}


# --- the cluster itself ------------------------------------------------------------------------

def test_cluster_is_private_encrypted_logged_and_api_authenticated(mocked):
    registered = mocked(lambda: _eks(lifecycle={"protect": True, "retain_on_delete": True},
                                     kms_key_arn="arn:aws:kms:eu-west-1:1:key/k"))
    cluster = registered.one("aws:eks/cluster:Cluster")
    inputs = cluster["inputs"]
    assert inputs["vpcConfig"] == {"subnetIds": ["subnet-a", "subnet-b"],
                                   "endpointPrivateAccess": True,
                                   "endpointPublicAccess": False}
    assert inputs["encryptionConfig"] == {"resources": ["secrets"],
                                          "provider": {"keyArn": "arn:aws:kms:eu-west-1:1:key/k"}}
    assert inputs["enabledClusterLogTypes"] == list(LOG_TYPES) and len(LOG_TYPES) == 5
    assert inputs["accessConfig"] == {"authenticationMode": "API",
                                      "bootstrapClusterCreatorAdminPermissions": False}
    assert inputs["bootstrapSelfManagedAddons"] is False
    assert inputs["version"] == "1.33"
    assert inputs["upgradePolicy"] == {"supportType": "STANDARD"}
    assert inputs["deletionProtection"] is True  # LifecycleArgs default
    assert inputs["tags"] == {"team": "a"}
    logs = registered.named("eks-logs")
    assert logs["inputs"]["name"] == "/aws/eks/strata-test/cluster"
    assert logs["inputs"]["retentionInDays"] == 365
    assert logs["inputs"]["kmsKeyId"] == "arn:aws:kms:eu-west-1:1:key/k"
    assert not registered.of_type("aws:kms/key:Key")  # the given key, no own key


def test_lifecycle_reaches_the_cluster_and_everything_it_cannot_live_without(mocked):
    registered = mocked(lambda: _eks(lifecycle={"protect": True, "retain_on_delete": True,
                                                "deletion_protection": False}))
    held = {r["name"] for r in registered.records if r["protect"] and r["retainOnDelete"]}
    assert {"eks-cluster", "eks-logs", "eks-key-key", "eks-cluster-role",
            "eks-cluster-role-key"} <= held
    assert {n for n in _attached(registered, "eks-cluster-role")} == {
        "AmazonEKSClusterPolicy", "AmazonEKSComputePolicy", "AmazonEKSBlockStoragePolicy",
        "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy"}
    assert all(r["protect"] for r in registered.of_type(ATTACHMENT)
               if r["name"].startswith("eks-cluster-role-"))
    assert registered.one("aws:eks/cluster:Cluster")["inputs"]["deletionProtection"] is False
    assert not registered.named("eks-k8s")["protect"]  # the provider is not data


def test_own_key_admits_eks_callers_the_log_group_and_the_cluster_role(mocked):
    registered = mocked(_eks)
    policy = json.loads(registered.one("aws:kms/key:Key")["inputs"]["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    # CreateCluster creates a grant as the deployer, through EKS (DescribeKey, CreateGrant).
    via = by_sid["UseThroughServices"]
    assert {"kms:CreateGrant", "kms:DescribeKey"} <= set(via["Action"])
    assert via["Condition"]["StringEquals"]["kms:ViaService"] == ["eks.eu-west-1.amazonaws.com"]
    assert by_sid["CloudWatchLogs"]["Condition"]["ArnLike"][
        "kms:EncryptionContext:aws:logs:arn"] == [
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/eks/strata-test/cluster"]
    assert by_sid["KeyUsers"]["Principal"]["AWS"] == [
        "arn:aws:iam::123456789012:role/eks-cluster-role"]
    # ... and the cluster role's own IAM policy names exactly that key.
    role_policy = json.loads(registered.named("eks-cluster-role-key")["inputs"]["policy"])
    statement = role_policy["Statement"][0]
    assert statement["Action"] == sorted(["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt",
                                          "kms:ListGrants"])
    assert statement["Resource"] == [f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/eks-key-key"]


# --- item 3: API access is a declared route ----------------------------------------------------

def test_private_endpoint_admits_each_deployer_network_on_443(mocked):
    registered = mocked(_eks)
    rules = {r["name"]: r["inputs"] for r in registered.of_type(INGRESS)}
    assert set(rules) == {"eks-deployer-10.100.0.0-24", "eks-deployer-172.16.8.0-22"}
    for cidr, rule in zip(DEPLOYERS["deployer_cidrs"], sorted(rules.values(),
                                                               key=lambda r: r["cidrIpv4"]),
                          strict=True):
        assert rule == {**rule, "cidrIpv4": cidr, "ipProtocol": "tcp", "fromPort": 443,
                        "toPort": 443, "securityGroupId": "sg-mock-eks-cluster"}


def test_public_endpoint_only_for_listed_networks_and_private_access_stays_on(mocked):
    registered = mocked(lambda: _eks(api_access={"public_cidrs": ["52.94.0.0/22"]}))
    vpc = registered.one("aws:eks/cluster:Cluster")["inputs"]["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["52.94.0.0/22"]
    assert vpc["endpointPrivateAccess"] is True
    assert not registered.of_type(INGRESS)


@pytest.mark.parametrize(("access", "fragment"), [
    ({}, "no route to the Kubernetes API"),
    ({"public_cidrs": [], "deployer_cidrs": []}, "no route to the Kubernetes API"),
    ({"public_cidrs": ["0.0.0.0/0"]}, "every address"),
    ({"deployer_cidrs": ["0.0.0.0/0"]}, "every address"),
    ({"public_cidrs": ["10.0.0.0/8"]}, "private or reserved"),
    ({"public_cidrs": ["203.0.113.0/24"]}, "private or reserved"),
    ({"deployer_cidrs": ["10.1.2.3/16"]}, "not an IPv4 CIDR"),
    ({"deployer_cidrs": ["10.9.0.0/16", "10.9.0.0/16"]}, "repeats a CIDR"),
])
def test_refuses_api_access_without_a_safe_route(mocked, access, fragment):
    with pytest.raises(ComponentArgsError, match=fragment):
        mocked(lambda: _eks(api_access=access))


# --- item 2: the provider authenticates as the admin role, after access exists -----------------

def _provider_and_config(mocked, **extra):
    captured: list[str] = []

    def build():
        cluster = _eks(**extra)
        cluster.kubeconfig.apply(captured.append)

    registered = mocked(build)
    return registered, json.loads(captured[0])


def test_kubeconfig_assumes_the_created_admin_role(mocked):
    registered, config = _provider_and_config(mocked)
    args = config["users"][0]["user"]["exec"]["args"]
    assert args[args.index("--role-arn") + 1] == "arn:aws:iam::123456789012:role/strata-test-admin"
    assert args[:4] == ["eks", "get-token", "--cluster-name", "strata-test"]
    assert registered.one("pulumi:providers:kubernetes")["inputs"]["kubeconfig"] == "[secret]"
    entry = registered.one("aws:eks/accessEntry:AccessEntry")["inputs"]
    assert entry["principalArn"] == "arn:aws:iam::123456789012:role/strata-test-admin"
    trust = json.loads(next(r for r in registered.of_type("aws:iam/role:Role")
                            if r["name"] == "eks-admin")["inputs"]["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}


def test_kubeconfig_assumes_a_given_admin_role_and_no_role_is_created(mocked):
    registered, config = _provider_and_config(mocked, admin_role_arn=ADMIN)
    args = config["users"][0]["user"]["exec"]["args"]
    assert args[args.index("--role-arn") + 1] == ADMIN
    assert registered.one("aws:eks/accessEntry:AccessEntry")["inputs"]["principalArn"] == ADMIN
    assert not [r for r in registered.of_type("aws:iam/role:Role") if r["name"] == "eks-admin"]


def test_provider_waits_for_the_access_entry_its_policy_and_the_deployer_route(mocked):
    registered = mocked(_eks)
    dependencies = set(registered.one("pulumi:providers:kubernetes")["dependencies"])
    association = registered.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert association["inputs"]["policyArn"] == (
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy")
    assert association["inputs"]["accessScope"] == {"type": "cluster"}
    assert {registered.one("aws:eks/accessEntry:AccessEntry")["urn"], association["urn"],
            *(r["urn"] for r in registered.of_type(INGRESS))} <= dependencies


def test_kubeconfig_text():
    config = json.loads(kubeconfig("c", "https://x", "Q0E=", "eu-west-1", ADMIN))
    exec_ = config["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws" and exec_["interactiveMode"] == "Never"
    assert exec_["args"] == ["eks", "get-token", "--cluster-name", "c", "--region", "eu-west-1",
                             "--role-arn", ADMIN, "--output", "json"]
    assert config["clusters"][0]["cluster"] == {"server": "https://x",
                                                "certificate-authority-data": "Q0E="}


# --- item 4: creation order --------------------------------------------------------------------

def test_network_plugin_and_node_agents_exist_before_any_node_group(mocked):
    registered = mocked(_nodegroups)
    addons = _addons(registered)
    assert set(addons) == set(ADDON_VERSIONS["1.33"])
    before = {addons[a]["urn"] for a in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")}
    node_policies = _attached(registered, "eks-node-role")
    assert set(node_policies) == {"AmazonEKSWorkerNodePolicy",
                                  "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"}
    groups = registered.of_type(NODE_GROUP)
    assert {g["name"] for g in groups} == {"eks-general", "eks-batch"}
    for group in groups:
        assert before | set(node_policies.values()) <= set(group["dependencies"])
    group_urns = {g["urn"] for g in groups}
    for name in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
        assert not group_urns & set(addons[name]["dependencies"])
    for name in ("coredns", "metrics-server"):
        assert group_urns <= set(addons[name]["dependencies"])


def test_cluster_waits_for_its_role_policies_log_group_and_key_access(mocked):
    registered = mocked(_nodegroups)
    dependencies = set(registered.one("aws:eks/cluster:Cluster")["dependencies"])
    cluster_policies = _attached(registered, "eks-cluster-role")
    assert set(cluster_policies) == {"AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController"}
    assert set(cluster_policies.values()) <= dependencies
    assert {registered.named("eks-logs")["urn"],
            registered.named("eks-cluster-role-key")["urn"]} <= dependencies


def test_auto_mode_cluster_waits_for_cluster_and_node_role_policies(mocked):
    registered = mocked(_eks)
    dependencies = set(registered.one("aws:eks/cluster:Cluster")["dependencies"])
    node_policies = _attached(registered, "eks-node-role")
    assert set(node_policies) == {"AmazonEKSWorkerNodeMinimalPolicy",
                                  "AmazonEC2ContainerRegistryPullOnly"}
    assert set(node_policies.values()) | set(
        _attached(registered, "eks-cluster-role").values()) <= dependencies
    role = next(r for r in registered.of_type("aws:iam/role:Role")
                if r["name"] == "eks-cluster-role")
    assert json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]["Action"] == [
        "sts:AssumeRole", "sts:TagSession"]


def test_auto_mode_manages_nodes_and_the_built_in_add_ons(mocked):
    registered = mocked(_eks)
    inputs = registered.one("aws:eks/cluster:Cluster")["inputs"]
    assert inputs["computeConfig"] == {"enabled": True,
                                       "nodePools": ["general-purpose", "system"],
                                       "nodeRoleArn": "arn:aws:iam::123456789012:role/"
                                                      "eks-node-role"}
    assert inputs["storageConfig"] == {"blockStorage": {"enabled": True}}
    assert inputs["kubernetesNetworkConfig"] == {"elasticLoadBalancing": {"enabled": True}}
    assert set(_addons(registered)) == {"metrics-server"}
    assert registered.of_type(NODE_GROUP) == []


# --- item 7: NetworkPolicies are enforced -------------------------------------------------------

def test_vpc_cni_runs_the_network_policy_agent(mocked):
    config = json.loads(_addons(mocked(lambda: _eks(auto_mode=False, node_groups=BURSTABLE)))
                        ["vpc-cni"]["inputs"]["configurationValues"])
    assert config == {"enableNetworkPolicy": "true"}


def test_auto_mode_turns_on_the_network_policy_controller_through_the_provider(mocked):
    registered = mocked(_eks)
    config_map = registered.one("kubernetes:core/v1:ConfigMap")
    assert config_map["inputs"]["metadata"] == {"name": "amazon-vpc-cni",
                                                "namespace": "kube-system"}
    assert config_map["inputs"]["data"] == {"enable-network-policy-controller": "true"}
    assert config_map["provider"].startswith(registered.one("pulumi:providers:kubernetes")["urn"])
    association = registered.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert association["urn"] in config_map["dependencies"]
    # The first nodes (for metrics-server) come up with enforcement already on.
    assert config_map["urn"] in _addons(registered)["metrics-server"]["dependencies"]
    kubernetes_validate.validate(config_map["inputs"] | {"apiVersion": "v1",
                                                         "kind": "ConfigMap"},
                                 "1.33", strict=True)


# --- item 8: security groups for pods ---------------------------------------------------------

def _enforced(mocked, **extra) -> tuple[object, list[bool]]:
    """The registrations, and the cluster's pod_security_groups_enforced output."""
    seen: list[bool] = []

    def build():
        cluster = _eks(**extra)
        cluster.pod_security_groups_enforced.apply(seen.append)
        seen.append(cluster.enforces_pod_security_groups)

    return mocked(build), seen


def test_pod_security_groups_on_branch_interface_hardware(mocked):
    registered, enforced = _enforced(mocked, auto_mode=False, node_groups=GRAVITON)
    config = json.loads(_addons(registered)["vpc-cni"]["inputs"]["configurationValues"])
    assert config == {"enableNetworkPolicy": "true",
                      "env": {"ENABLE_POD_ENI": "true",
                              "POD_SECURITY_GROUP_ENFORCING_MODE": "standard"}}
    assert "AmazonEKSVPCResourceController" in _attached(registered, "eks-cluster-role")
    assert enforced == [True, True]


def test_pod_security_groups_off_with_a_warning_on_t_family_nodes(mocked, caplog):
    with caplog.at_level(logging.WARNING):
        registered, enforced = _enforced(mocked, auto_mode=False, node_groups=BURSTABLE)
    assert enforced == [False, False]
    assert "AmazonEKSVPCResourceController" not in _attached(registered, "eks-cluster-role")
    assert "t4g.large" in caplog.text and "not enforced" in caplog.text


def test_auto_mode_warns_that_pod_security_groups_are_not_enforced(mocked, caplog):
    with caplog.at_level(logging.WARNING):
        mocked(_eks)
    assert "Auto Mode does not support security groups for pods" in caplog.text


@pytest.mark.parametrize(("extra", "fragment"), [
    ({"auto_mode": False, "node_groups": BURSTABLE}, "general: t4g.large"),
    ({}, "Auto Mode does not support"),
])
def test_refuses_requested_pod_security_groups_that_cannot_be_enforced(mocked, extra, fragment):
    with pytest.raises(ComponentArgsError, match=fragment):
        mocked(lambda: _eks(pod_security_groups=True, **extra))


def test_pod_security_group_support_is_decided_per_instance_type():
    assert pod_security_group_problem(False, {"a": ["m7g.large", "c6i.xlarge"]}) is None
    assert "i4i.large" in pod_security_group_problem(False, {"a": ["i4i.large"]})
    assert "t3.medium" in pod_security_group_problem(False, {"a": ["m5.large", "t3.medium"]})
    assert "x9y.large" in pod_security_group_problem(False, {"a": ["x9y.large"]})  # unknown
    assert "Auto Mode" in pod_security_group_problem(True, {})


def test_allow_from_admits_pod_groups_to_dns_and_the_api(mocked):
    registered = mocked(lambda: _nodegroups(allowed_security_group_ids=["sg-pods"]))
    rules = {r["name"]: r["inputs"] for r in registered.of_type(INGRESS)
             if "referencedSecurityGroupId" in r["inputs"]}
    assert {(r["ipProtocol"], r["fromPort"]) for r in rules.values()} == {
        ("tcp", 53), ("udp", 53), ("tcp", 443)}
    assert {r["referencedSecurityGroupId"] for r in rules.values()} == {"sg-pods"}
    assert {r["securityGroupId"] for r in rules.values()} == {"sg-mock-eks-cluster"}


# --- grant_kubernetes_access -------------------------------------------------------------------

SCRAPER_RULES = [
    {"apiGroups": [""], "resources": ["nodes", "nodes/metrics", "pods", "endpoints"],
     "verbs": ["get", "list", "watch"]},
    {"nonResourceURLs": ["/metrics"], "verbs": ["get"]},
]


def test_grant_kubernetes_access_maps_a_principal_to_rbac_after_admin_access(mocked):
    scraper = f"arn:aws:iam::{ACCOUNT}:role/scraper"

    def build():
        _eks().grant_kubernetes_access("aps-collector", scraper, "aps-collector-user",
                                       SCRAPER_RULES)

    registered = mocked(build)
    entry = next(r for r in registered.of_type("aws:eks/accessEntry:AccessEntry")
                 if r["name"] == "eks-aps-collector")
    assert entry["inputs"]["principalArn"] == scraper
    assert entry["inputs"]["userName"] == "aps-collector-user"
    assert entry["inputs"]["type"] == "STANDARD"
    role = registered.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")
    binding = registered.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")
    assert role["inputs"]["rules"] == SCRAPER_RULES
    assert binding["inputs"]["subjects"] == [{"kind": "User", "name": "aps-collector-user",
                                              "apiGroup": "rbac.authorization.k8s.io"}]
    assert binding["inputs"]["roleRef"]["name"] == "aps-collector"
    association = registered.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    provider = registered.one("pulumi:providers:kubernetes")["urn"]
    for obj in (role, binding):
        assert association["urn"] in obj["dependencies"]
        assert obj["provider"].startswith(provider)
        kubernetes_validate.validate(obj["inputs"], "1.33", strict=True)
    assert entry["urn"] in binding["dependencies"]


@pytest.mark.parametrize(("username", "rules", "fragment"), [
    ("system:scraper", SCRAPER_RULES, "reserves"),
    ("scraper", [{"resources": ["pods"]}], "verbs must not be empty"),
    ("scraper", [{"verbs": ["get"], "resource": ["pods"]}], "unknown field"),
    ("scraper", [], "at least one PolicyRule"),
])
def test_grant_kubernetes_access_refuses_bad_rbac(mocked, username, rules, fragment):
    with pytest.raises(ComponentArgsError, match=fragment):
        mocked(lambda: _eks().grant_kubernetes_access("x", ADMIN, username, rules))


# --- item 14: pod identity trust ---------------------------------------------------------------

CLUSTER_ARN = f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/strata-prod"


def test_pod_identity_trust_is_scoped_to_the_account_cluster_and_service_account():
    policy = pod_identity_trust_policy(ACCOUNT, CLUSTER_ARN, namespace="orders",
                                       service_account="orders")
    statement = policy["Statement"][0]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert statement["Condition"] == {"StringEquals": {
        "aws:SourceAccount": ACCOUNT,
        "aws:RequestTag/eks-cluster-arn": CLUSTER_ARN,
        "aws:RequestTag/kubernetes-namespace": "orders",
        "aws:RequestTag/kubernetes-service-account": "orders"}}
    cluster_only = pod_identity_trust_policy(ACCOUNT, CLUSTER_ARN)["Statement"][0]["Condition"]
    assert cluster_only == {"StringEquals": {"aws:SourceAccount": ACCOUNT,
                                             "aws:RequestTag/eks-cluster-arn": CLUSTER_ARN}}


@pytest.mark.parametrize(("account", "arn", "partition"), [
    ("210987654321", CLUSTER_ARN, "aws"),
    (ACCOUNT, CLUSTER_ARN, "aws-cn"),
    (ACCOUNT, f"arn:aws:eks:eu-west-1:{ACCOUNT}:nodegroup/strata-prod/x", "aws"),
])
def test_pod_identity_trust_refuses_a_cluster_of_another_account_or_kind(account, arn, partition):
    with pytest.raises(ValueError):
        pod_identity_trust_policy(account, arn, partition)


# --- add-on pins -------------------------------------------------------------------------------

def test_every_supported_version_pins_every_add_on():
    names = {"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "metrics-server"}
    assert ADDON_VERSIONS and all(set(pins) == names for pins in ADDON_VERSIONS.values())
    for minor, pins in ADDON_VERSIONS.items():
        for name, version in pins.items():
            assert re.fullmatch(r"v\d+\.\d+\.\d+-eksbuild\.\d+", version), (minor, name)
        # kube-proxy must match the control plane's minor version.
        assert pins["kube-proxy"].startswith(f"v{minor}."), minor


def test_addons_are_installed_at_the_pinned_versions(mocked):
    addons = _addons(mocked(_nodegroups))
    assert {n: a["inputs"]["addonVersion"] for n, a in addons.items()} == ADDON_VERSIONS["1.33"]


# --- nodes -------------------------------------------------------------------------------------

def test_node_groups_require_imdsv2_and_encrypted_gp3(mocked):
    registered = mocked(_nodegroups)
    groups = {g["name"]: g["inputs"] for g in registered.of_type(NODE_GROUP)}
    assert groups["eks-general"]["amiType"] == "AL2023_ARM_64_STANDARD"
    assert groups["eks-batch"]["amiType"] == "BOTTLEROCKET_x86_64"
    assert groups["eks-general"]["scalingConfig"] == {"minSize": 2, "maxSize": 6,
                                                      "desiredSize": 2}
    assert groups["eks-general"]["subnetIds"] == ["subnet-a", "subnet-b"]
    assert groups["eks-general"]["labels"] == {"node-group": "general"}
    templates = {t["name"]: t["inputs"]
                 for t in registered.of_type("aws:ec2/launchTemplate:LaunchTemplate")}
    for template in templates.values():
        assert template["metadataOptions"]["httpTokens"] == "required"
        assert template["metadataOptions"]["httpPutResponseHopLimit"] == 1
        ebs = template["blockDeviceMappings"][0]["ebs"]
        assert ebs["encrypted"] == "true" and ebs["volumeType"] == "gp3"
    assert templates["eks-batch"]["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 80
    assert templates["eks-general"]["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 50


def test_ami_type_follows_architecture():
    assert ami_type("AL2023", "t4g.large") == "AL2023_ARM_64_STANDARD"
    assert ami_type("AL2023", "a1.large") == "AL2023_ARM_64_STANDARD"
    assert ami_type("AL2023", "m6a.large") == "AL2023_x86_64_STANDARD"
    assert ami_type("BOTTLEROCKET", "c7gn.xlarge") == "BOTTLEROCKET_ARM_64"


@pytest.mark.parametrize(("extra", "fragment"), [
    ({"kubernetes_version": "1.20"}, "no pinned add-on versions"),
    ({"auto_mode": False}, "nothing would run pods"),
    ({"node_groups": GRAVITON}, "apply only with auto_mode off"),
    ({"auto_mode": False, "node_groups": {"mixed": {
        "instance_types": ["m7g.large", "m6i.large"], "min_size": 1, "max_size": 2}}},
     "mix arm64 and x86_64"),
    ({"auto_mode": False, "node_groups": {"g": {
        "instance_types": ["m7g.large"], "min_size": 3, "max_size": 2}}}, "sizes must satisfy"),
    ({"log_retention_days": 31}, "not a CloudWatch Logs retention"),
    ({"cluster_name": "bad name"}, "eks-cluster name"),
    ({"subnet_ids": ["subnet-a"]}, "at least two availability zones"),
])
def test_refuses_arguments_that_cannot_deploy(mocked, extra, fragment):
    with pytest.raises(ComponentArgsError, match=fragment):
        mocked(lambda: _eks(**extra))


# --- library contract --------------------------------------------------------------------------

def test_refuses_a_misspelt_argument_and_a_wrong_shape(mocked):
    with pytest.raises(ComponentArgsError, match="did you mean 'api_access'"):
        mocked(lambda: _eks(api_acess={}))
    with pytest.raises(ComponentArgsError, match="'subnet_ids' expects list of str"):
        mocked(lambda: _eks(subnet_ids="subnet-a"))
    with pytest.raises(ComponentArgsError, match=re.escape("STANDARD|EXTENDED")):
        mocked(lambda: _eks(upgrade_policy="LONG"))


def test_physical_names_are_the_ones_built():
    assert physical_names("strata-prod") == [
        ("eks-cluster", "strata-prod"), ("log-group", "/aws/eks/strata-prod/cluster"),
        ("iam-role", "strata-prod-admin")]
    assert physical_names("c", "ops", creates_admin_role=False)[-1][0] == "log-group"


def test_provider_host_infers_the_schema():
    result = Analyzer("strata").analyze([EksCluster])
    component = result["component_definitions"]["EksCluster"]
    assert {"clusterName", "vpcId", "subnetIds", "kubernetesVersion", "apiAccess",
            "kmsKeyArn", "lifecycle", "nodeGroups", "podSecurityGroups", "adminRoleArn",
            "adminRoleName", "allowedSecurityGroupIds"} <= set(component.inputs)
    assert {"clusterName", "vpcId", "subnetIds", "kubernetesVersion", "apiAccess"} == {
        k for k, v in component.inputs.items() if not v.optional}
    assert set(component.outputs) == {
        "name", "arn", "endpoint", "securityGroupId", "adminRoleArn", "nodeRoleArn",
        "oidcIssuerUrl", "vpcId", "podSecurityGroupsEnforced", "kubeconfig"}
    assert {"ApiAccessArgs", "NodeGroupArgs", "UpgradePolicy", "NodeAmi"} <= set(
        result["type_definitions"])
