from __future__ import annotations

import kubernetes_validate
import pulumi_kubernetes as k8s

from components.tenancy import ServiceTenancy

QUOTA = {"cpu": "4", "memory": "8Gi", "pods": 40, "default_cpu": "250m",
         "default_memory": "256Mi"}


def _tenancy(tags, **extra):
    provider = k8s.Provider("k8s", kubeconfig="{}")
    return ServiceTenancy("orders-tenancy", {
        "service": "orders", "owner": "team-a", "classification": "confidential", "tags": tags,
        "cluster_name": "strata-test", "provider": provider, "kubernetes_version": "1.33",
        "role_arn": "arn:aws:iam::123456789012:role/strata-test-orders", "quota": QUOTA,
        "vpc_cidr": "10.0.0.0/16", "store_cidrs": ["10.0.192.0/19", "10.0.224.0/19"],
        "store_ports": [5432], "kafka_cidrs": ["10.0.0.0/18", "10.0.64.0/18"], **extra})


def _k8s(registered):
    return [r for r in registered.records if r["type"].startswith("kubernetes:") and r["custom"]]


def test_namespace_enforces_restricted_pod_security_pinned(mocked, tags):
    registered = mocked(lambda: _tenancy(tags))
    labels = registered.one("kubernetes:core/v1:Namespace")["inputs"]["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "v1.33"
    assert labels["strata.io/owner"] == "team-a"
    assert labels["strata.io/service"] == "orders"
    assert labels["strata.io/data-classification"] == "confidential"


def test_service_account_is_bound_to_the_service_role(mocked, tags):
    registered = mocked(lambda: _tenancy(tags))
    sa = registered.one("kubernetes:core/v1:ServiceAccount")["inputs"]
    assert sa["metadata"]["namespace"] == "orders" and sa["metadata"]["name"] == "orders"
    assert sa["automountServiceAccountToken"] is False
    binding = registered.one("aws:eks/podIdentityAssociation:PodIdentityAssociation")["inputs"]
    assert binding == {"clusterName": "strata-test", "namespace": "orders",
                       "serviceAccount": "orders", "tags": tags,
                       "roleArn": "arn:aws:iam::123456789012:role/strata-test-orders"}


def test_budget_comes_from_the_workload_spec(mocked, tags):
    registered = mocked(lambda: _tenancy(tags))
    hard = registered.one("kubernetes:core/v1:ResourceQuota")["inputs"]["spec"]["hard"]
    assert hard == {"requests.cpu": "4", "limits.cpu": "4", "requests.memory": "8Gi",
                    "limits.memory": "8Gi", "pods": "40"}
    limits = registered.one("kubernetes:core/v1:LimitRange")["inputs"]["spec"]["limits"][0]
    assert limits["default"] == limits["defaultRequest"] == {"cpu": "250m", "memory": "256Mi"}


def test_network_policies_deny_by_default_and_allow_only_what_is_needed(mocked, tags):
    registered = mocked(lambda: _tenancy(tags))
    policies = {p["inputs"]["metadata"]["name"]: p["inputs"]["spec"]
                for p in registered.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")}
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = policies["allow-dns"]["egress"][0]
    assert dns["to"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "kube-system"}
    assert dns["to"][0]["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}
    assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}
    same = policies["allow-same-namespace"]
    assert same["ingress"] == [{"from": [{"podSelector": {}}]}]
    stores = policies["allow-stores"]["egress"][0]
    assert [t["ipBlock"]["cidr"] for t in stores["to"]] == ["10.0.192.0/19", "10.0.224.0/19"]
    assert stores["ports"] == [{"protocol": "TCP", "port": 5432}]
    kafka = policies["allow-kafka"]["egress"][0]
    assert kafka["ports"] == [{"protocol": "TCP", "port": 9098}]
    aws_apis = policies["allow-aws-apis"]["egress"][0]
    assert aws_apis["to"][0]["ipBlock"] == {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/16"]}
    assert aws_apis["ports"] == [{"protocol": "TCP", "port": 443}]
    # Nothing but default-deny and same-namespace admits ingress.
    assert [n for n, p in policies.items() if "ingress" in p] == ["allow-same-namespace"]


def test_no_store_or_kafka_egress_when_the_service_has_none(mocked, tags):
    registered = mocked(lambda: _tenancy(tags, store_ports=[], kafka_cidrs=[]))
    names = {p["inputs"]["metadata"]["name"]
             for p in registered.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")}
    assert "allow-stores" not in names and "allow-kafka" not in names


def test_every_object_validates_against_the_kubernetes_schema(mocked, tags):
    registered = mocked(lambda: _tenancy(tags))
    objects = _k8s(registered)
    assert len(objects) == 11
    for obj in objects:
        kubernetes_validate.validate(obj["inputs"], "1.33", strict=True)
