"""ServiceTenancy: a restricted namespace bound to one role, a budget, default-deny networking,
the cluster's provider taken from opts, and (security groups for pods) a security group of the
service's own, selected by a SecurityGroupPolicy that matches the controller's CRD."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml
from pulumi.provider.experimental.analyzer import Analyzer

from components._args import ComponentArgsError
from components.tenancy import ServiceTenancy

QUOTA = {"cpu": "4", "memory": "8Gi", "pods": 40, "default_cpu": "250m",
         "default_memory": "256Mi"}
ROLE = "arn:aws:iam::123456789012:role/strata-test-orders"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SG_POLICY = "kubernetes:vpcresources.k8s.aws/v1beta1:SecurityGroupPolicy"
POD_SG = {"vpc_id": "vpc-1", "cluster_security_group_id": "sg-cluster"}
CRD = Path(__file__).parent / "fixtures" / "securitygrouppolicies.crd.yaml"


def _tenancy(*, provider: bool = True, **extra: Any) -> ServiceTenancy:
    opts = pulumi.ResourceOptions(providers=[k8s.Provider("k8s", kubeconfig="{}")]
                                  if provider else [])
    return ServiceTenancy("orders-tenancy", {
        "namespace": "orders", "cluster_name": "strata-test", "role_arn": ROLE,
        "kubernetes_version": "1.33", "quota": QUOTA, "vpc_cidr": "10.0.0.0/16",
        "store_cidrs": ["10.0.192.0/19", "10.0.224.0/19"], "store_ports": [5432],
        "kafka_cidrs": ["10.0.0.0/18", "10.0.64.0/18"], "tags": {"team": "a"},
        "labels": {"example.com/owner": "team-a"}, **extra}, opts=opts)


def _k8s(registered) -> list[dict]:
    return [r for r in registered.records if r["type"].startswith("kubernetes:") and r["custom"]]


def _policies(registered) -> dict[str, dict]:
    return {p["inputs"]["metadata"]["name"]: p["inputs"]["spec"]
            for p in registered.of_type(POLICY)}


def test_namespace_enforces_restricted_pod_security_pinned(mocked):
    registered = mocked(_tenancy)
    metadata = registered.one("kubernetes:core/v1:Namespace")["inputs"]["metadata"]
    assert metadata["name"] == "orders"
    for mode in ("enforce", "audit", "warn"):
        assert metadata["labels"][f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert metadata["labels"][f"pod-security.kubernetes.io/{mode}-version"] == "v1.33"
    assert metadata["labels"]["example.com/owner"] == "team-a"


def test_namespace_follows_its_lifecycle(mocked):
    kept = mocked(lambda: _tenancy(lifecycle={"protect": True, "retain_on_delete": True}))
    namespace = kept.one("kubernetes:core/v1:Namespace")
    assert namespace["protect"] and namespace["retainOnDelete"]
    assert not mocked(_tenancy).one("kubernetes:core/v1:Namespace")["protect"]


def test_service_account_is_bound_to_the_role_with_session_tags(mocked):
    registered = mocked(lambda: _tenancy(service_account="orders-api"))
    account = registered.one("kubernetes:core/v1:ServiceAccount")["inputs"]
    assert account["metadata"]["namespace"] == "orders"
    assert account["metadata"]["name"] == "orders-api"
    assert account["automountServiceAccountToken"] is False
    binding = registered.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert binding["inputs"] == {"clusterName": "strata-test", "namespace": "orders",
                                 "serviceAccount": "orders-api", "roleArn": ROLE,
                                 "disableSessionTags": False, "tags": {"team": "a"}}
    assert registered.one("kubernetes:core/v1:Namespace")["urn"] in binding["dependencies"]


def test_every_kubernetes_object_uses_the_provider_from_opts(mocked):
    registered = mocked(_tenancy)
    provider = registered.one("pulumi:providers:kubernetes")["urn"]
    objects = _k8s(registered)
    assert objects and all(o["provider"].startswith(provider + "::") for o in objects)


def test_refuses_to_run_without_the_clusters_provider(mocked):
    with pytest.raises(ComponentArgsError, match=r"providers=\[cluster.provider\]"):
        mocked(lambda: _tenancy(provider=False))


def test_budget(mocked):
    registered = mocked(_tenancy)
    hard = registered.one("kubernetes:core/v1:ResourceQuota")["inputs"]["spec"]["hard"]
    assert hard == {"requests.cpu": "4", "limits.cpu": "4", "requests.memory": "8Gi",
                    "limits.memory": "8Gi", "pods": "40"}
    limits = registered.one("kubernetes:core/v1:LimitRange")["inputs"]["spec"]["limits"][0]
    assert limits["default"] == limits["defaultRequest"] == {"cpu": "250m", "memory": "256Mi"}


def test_network_policies_deny_by_default_and_allow_only_what_is_needed(mocked):
    policies = _policies(mocked(_tenancy))
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = policies["allow-dns"]["egress"][0]
    assert dns["to"] == [{"namespaceSelector": {"matchLabels": {
                              "kubernetes.io/metadata.name": "kube-system"}},
                          "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]
    assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}
    assert policies["allow-same-namespace"]["ingress"] == [{"from": [{"podSelector": {}}]}]
    assert policies["allow-pod-identity"]["egress"] == [{
        "to": [{"ipBlock": {"cidr": "169.254.170.23/32"}}],
        "ports": [{"protocol": "TCP", "port": 80}]}]
    stores = policies["allow-stores"]["egress"][0]
    assert [t["ipBlock"]["cidr"] for t in stores["to"]] == ["10.0.192.0/19", "10.0.224.0/19"]
    assert stores["ports"] == [{"protocol": "TCP", "port": 5432}]
    assert policies["allow-kafka"]["egress"][0]["ports"] == [{"protocol": "TCP", "port": 9098}]
    aws_apis = policies["allow-aws-apis"]["egress"][0]
    assert aws_apis["to"][0]["ipBlock"] == {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/16"]}
    assert aws_apis["ports"] == [{"protocol": "TCP", "port": 443}]
    # Nothing but same-namespace admits ingress.
    assert [n for n, p in policies.items() if "ingress" in p] == ["allow-same-namespace"]


def test_node_local_dns_is_allowed_by_port_on_auto_mode(mocked):
    dns = _policies(mocked(lambda: _tenancy(cluster_dns="node-local")))["allow-dns"]
    assert dns["egress"] == [{"ports": [{"protocol": "UDP", "port": 53},
                                        {"protocol": "TCP", "port": 53}]}]


def test_no_store_or_kafka_egress_when_the_service_has_none(mocked):
    names = set(_policies(mocked(lambda: _tenancy(store_ports=[], kafka_cidrs=[]))))
    assert "allow-stores" not in names and "allow-kafka" not in names


def test_every_object_validates_against_the_kubernetes_schema(mocked):
    objects = _k8s(mocked(_tenancy))
    assert len(objects) == 11
    for obj in objects:
        kubernetes_validate.validate(obj["inputs"], "1.33", strict=True)


# --- security groups for pods -----------------------------------------------------------------

def _strict(schema: Any) -> Any:
    """The CRD schema with unknown fields refused, as the API server's strict field validation
    does (structural schemas prune or reject fields they do not declare)."""
    schema = copy.deepcopy(schema)
    if isinstance(schema, dict):
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        for key, value in list(schema.items()):
            if key == "properties":
                schema[key] = {k: _strict(v) for k, v in value.items()}
            elif isinstance(value, dict | list):
                schema[key] = _strict(value)
    elif isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


def _validate_security_group_policy(obj: dict) -> None:
    crd = next(d for d in yaml.safe_load_all(CRD.read_text()) if d)
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1beta1")
    assert obj["apiVersion"] == f"{crd['spec']['group']}/v1beta1"
    assert obj["kind"] == crd["spec"]["names"]["kind"]
    jsonschema.validate(obj, _strict(version["schema"]["openAPIV3Schema"]))
    # The schema leaves metadata open: judge it as any object's ObjectMeta.
    kubernetes_validate.validate({"apiVersion": "v1", "kind": "ConfigMap",
                                  "metadata": obj["metadata"]}, "1.33", strict=True)


def test_security_group_policy_matches_the_controllers_crd(mocked):
    registered = mocked(lambda: _tenancy(pod_security_group=POD_SG))
    policy = registered.one(SG_POLICY)
    _validate_security_group_policy(policy["inputs"])
    assert policy["inputs"]["metadata"]["namespace"] == "orders"
    assert policy["inputs"]["spec"] == {"podSelector": {},
                                        "securityGroups": {"groupIds": ["orders-tenancy-pods-id"]}}
    assert registered.one("kubernetes:core/v1:Namespace")["urn"] in policy["dependencies"]
    # The validator is not a formality: a misplaced field is refused.
    bad = copy.deepcopy(policy["inputs"])
    bad["spec"]["securityGroupIds"] = bad["spec"].pop("securityGroups")["groupIds"]
    with pytest.raises(jsonschema.ValidationError):
        _validate_security_group_policy(bad)


def test_pod_security_group_carries_the_rules_aws_requires(mocked):
    registered = mocked(lambda: _tenancy(pod_security_group=POD_SG))
    group = registered.one("aws:ec2/securityGroup:SecurityGroup")["inputs"]
    assert group["vpcId"] == "vpc-1" and "ingress" not in group and "egress" not in group
    rules = {(r["type"].rsplit(":", 1)[-1], r["inputs"]["ipProtocol"],
              r["inputs"].get("fromPort"), r["inputs"].get("toPort"),
              r["inputs"].get("referencedSecurityGroupId") or r["inputs"].get("cidrIpv4"))
             for r in registered.records if r["type"].startswith("aws:vpc/securityGroup")}
    assert rules == {
        # kubelet probes (any probed port) from the nodes' group
        ("SecurityGroupIngressRule", "tcp", 0, 65535, "sg-cluster"),
        ("SecurityGroupIngressRule", "-1", None, None, "orders-tenancy-pods-id"),
        ("SecurityGroupEgressRule", "-1", None, None, "orders-tenancy-pods-id"),
        # DNS to CoreDNS, which runs on nodes carrying the cluster group
        ("SecurityGroupEgressRule", "tcp", 53, 53, "sg-cluster"),
        ("SecurityGroupEgressRule", "udp", 53, 53, "sg-cluster"),
        ("SecurityGroupEgressRule", "tcp", 443, 443, "sg-cluster"),
        ("SecurityGroupEgressRule", "tcp", 443, 443, "0.0.0.0/0"),
        ("SecurityGroupEgressRule", "tcp", 5432, 5432, "10.0.192.0/19"),
        ("SecurityGroupEgressRule", "tcp", 5432, 5432, "10.0.224.0/19"),
        ("SecurityGroupEgressRule", "tcp", 9098, 9098, "10.0.0.0/18"),
        ("SecurityGroupEgressRule", "tcp", 9098, 9098, "10.0.64.0/18"),
    }


def test_pod_security_group_id_is_exposed_only_when_requested(mocked):
    seen: list[str] = []

    def build(**extra):
        def run():
            _tenancy(**extra).pod_security_group_id.apply(seen.append)
        return run

    assert not mocked(build()).of_type(SG_POLICY)
    mocked(build(pod_security_group=POD_SG))
    assert seen == ["", "orders-tenancy-pods-id"]


# --- library contract --------------------------------------------------------------------------

def test_refuses_a_misspelt_argument_and_a_bad_namespace(mocked):
    with pytest.raises(ComponentArgsError, match="did you mean 'store_ports'"):
        mocked(lambda: _tenancy(store_port=[5432]))
    with pytest.raises(ComponentArgsError, match="k8s-namespace name 'Orders'"):
        mocked(lambda: _tenancy(namespace="Orders"))
    with pytest.raises(ComponentArgsError, match=re.escape("coredns-pods|node-local")):
        mocked(lambda: _tenancy(cluster_dns="kube-dns"))


def test_provider_host_infers_the_schema():
    result = Analyzer("strata").analyze([ServiceTenancy])
    component = result["component_definitions"]["ServiceTenancy"]
    assert {k for k, v in component.inputs.items() if not v.optional} == {
        "namespace", "clusterName", "roleArn", "kubernetesVersion", "quota", "vpcCidr"}
    assert {"podSecurityGroup", "clusterDns", "lifecycle", "labels", "tags",
            "serviceAccount", "kafkaPort"} <= set(component.inputs)
    assert set(component.outputs) == {"namespace", "serviceAccount", "podSecurityGroupId"}
    assert {"NamespaceQuotaArgs", "PodSecurityGroupArgs", "ClusterDns"} <= set(
        result["type_definitions"])
