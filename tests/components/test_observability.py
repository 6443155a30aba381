"""Observability: an encrypted, logged AMP workspace whose alerts reach the alarm topic, EKS and
MSK collectors that touch nobody else's resources, private Grafana the API can create, and
arguments checked first."""

from __future__ import annotations

import json

import kubernetes_validate
import pytest
import yaml

from components._args import ComponentArgsError
from components.observability import (
    EKS_SCRAPER_CLUSTER_ROLE,
    EKS_SCRAPER_RBAC_RULES,
    EKS_SCRAPER_USERNAME,
    KMS_CALLER_SERVICES,
    Observability,
    physical_names,
    scraper_access_principal,
)
from infra._mocks import StrataMocks
from tests.components._monitoring_fixtures import (
    CONSUMERS,
    KEY_ARN,
    TOPIC_ARN,
    build_observability,
)

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SCRAPER_ROLE = ("arn:aws:iam::123456789012:role/aws-service-role/scraper.aps.amazonaws.com/"
                "AWSServiceRoleForAmazonPrometheusScraper_1a2b3c4d-5e6f-7")


@pytest.fixture(scope="module")
def registered():
    from tests.conftest import run_mocked
    return run_mocked(lambda: build_observability(alarm_topic_arn=TOPIC_ARN))


def test_workspace_and_logs_are_encrypted_logged_and_retained(registered):
    workspace = registered.one("aws:amp/workspace:Workspace")
    assert workspace["name"] == "monitoring-amp"
    assert workspace["inputs"]["alias"] == "test-obs"
    assert workspace["inputs"]["kmsKeyArn"] == KEY_ARN
    assert workspace["inputs"]["loggingConfiguration"]["logGroupArn"].endswith(
        ":log-group:/aws/prometheus/test-obs:*")
    assert workspace["inputs"]["tags"]["AMPAgentlessScraper"] == ""
    logs = registered.named("monitoring-amp-logs")["inputs"]
    assert (logs["kmsKeyId"], logs["retentionInDays"]) == (KEY_ARN, 30.0)
    assert registered.of_type("aws:kms/key:Key")[0]["name"] == "platform-key-key"  # no own key


def test_alerts_are_routed_to_the_alarm_topic_in_its_region(registered):
    definition = registered.one("aws:amp/alertManagerDefinition:AlertManagerDefinition")
    workspace = registered.one("aws:amp/workspace:Workspace")
    assert definition["inputs"]["workspaceId"] == "monitoring-amp-id"
    assert workspace["urn"] in definition["propertyDependencies"]["workspaceId"]
    config = yaml.safe_load(yaml.safe_load(definition["inputs"]["definition"])[
        "alertmanager_config"])
    (receiver,) = config["receivers"]
    assert config["route"]["receiver"] == receiver["name"]
    assert receiver["sns_configs"] == [{
        "topic_arn": TOPIC_ARN, "sigv4": {"region": "eu-west-1"},
        "subject": "Prometheus {{ .Status }}: {{ .CommonLabels.alertname }}"}]


def test_rules_alert_on_every_declared_consumer_group(registered):
    rules = registered.one("aws:amp/ruleGroupNamespace:RuleGroupNamespace")["inputs"]
    assert rules["name"] == "kafka"
    alerts = [r for g in yaml.safe_load(rules["data"])["groups"] for r in g["rules"]
              if r.get("alert") == "KafkaConsumerLagHigh"]
    assert {(a["labels"]["service"], a["labels"]["consumer_group"], a["labels"]["topic"])
            for a in alerts} == {(s, g, t) for s, t, g, _ in CONSUMERS}
    # the group without its own threshold gets the default
    assert any(a["expr"].endswith("> 10000") for a in alerts)


def test_eks_collector_targets_the_cluster_and_workspace(registered):
    scraper = registered.named("monitoring-eks-scraper")["inputs"]
    assert scraper["alias"] == "test-obs-eks"
    assert scraper["source"]["eks"]["clusterArn"].endswith(":cluster/test-eks")
    assert scraper["source"]["eks"]["securityGroupIds"] == ["sg-cluster"]
    assert len(scraper["source"]["eks"]["subnetIds"]) == 2
    assert scraper["destination"]["amp"]["workspaceArn"].endswith("workspace/ws-monitoring-amp")


def test_msk_collector_has_its_own_group_and_never_edits_another(registered):
    scraper = registered.named("monitoring-msk-scraper")["inputs"]
    sg = registered.named("monitoring-msk-scraper-sg")
    assert scraper["source"]["vpc"]["securityGroupIds"] == [f"{sg['name']}-id"]
    assert "11001" in scraper["scrapeConfiguration"] and "11002" in scraper["scrapeConfiguration"]
    (egress,) = [r["inputs"] for r in registered.of_type(EGRESS)
                 if r["inputs"]["securityGroupId"] == "monitoring-msk-scraper-sg-id"]
    assert (egress["fromPort"], egress["toPort"], egress["cidrIpv4"]) == (
        11001.0, 11002.0, "10.0.0.0/16")
    own_groups = {f"{r['name']}-id" for r in registered.of_type(
        "aws:ec2/securityGroup:SecurityGroup")}
    for rule in registered.of_type(INGRESS) + registered.of_type(EGRESS):
        assert rule["inputs"]["securityGroupId"] in own_groups, rule["name"]


def test_grafana_is_private_customer_managed_and_least_privilege(registered):
    grafana = registered.one("aws:grafana/workspace:Workspace")
    inputs = grafana["inputs"]
    assert inputs["permissionType"] == "CUSTOMER_MANAGED"  # the API refuses SERVICE_MANAGED
    assert "dataSources" not in inputs  # "for internal use only"
    assert inputs["accountAccessType"] == "CURRENT_ACCOUNT"
    assert inputs["authenticationProviders"] == ["AWS_SSO"]
    assert inputs["kmsKeyId"] == KEY_ARN
    assert inputs["networkAccessControl"] == {"prefixListIds": [],
                                              "vpceIds": ["monitoring-grafana-endpoint-id"]}
    assert not registered.of_type("aws:grafana/workspaceApiKey:WorkspaceApiKey")
    read = registered.named("monitoring-grafana-read")
    assert read["urn"] in grafana["dependencies"]
    role = registered.named("monitoring-grafana-role")["inputs"]
    assert role["name"] == "test-obs-grafana"
    trust = json.loads(role["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "grafana.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    aps = json.loads(read["inputs"]["policy"])["Statement"][0]
    assert aps["Resource"].endswith("workspace/ws-monitoring-amp")
    endpoint_in = [r["inputs"] for r in registered.of_type(INGRESS)
                   if r["inputs"]["securityGroupId"] == "monitoring-grafana-endpoint-sg-id"]
    assert [(r["fromPort"], r["cidrIpv4"]) for r in endpoint_in] == [(443.0, "10.0.0.0/16")]


def test_dashboard_has_the_given_rows_then_lag_kafka_and_eks(registered):
    body = json.loads(registered.one("aws:cloudwatch/dashboard:Dashboard")["inputs"]
                      ["dashboardBody"])
    headings = [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"]
    assert headings == ["## orders", "## payments", "## telemetry", "## Kafka consumer lag",
                        "## Kafka (MSK)", "## EKS control plane"]
    assert registered.one("aws:cloudwatch/dashboard:Dashboard")["inputs"][
        "dashboardName"] == "test-obs"


def test_own_key_admits_amp_and_grafana_callers_and_the_lifecycle_holds(mocked):
    registered = mocked(lambda: build_observability(
        own_key=True, lifecycle={"protect": True, "retain_on_delete": True}))
    key = next(k for k in registered.of_type("aws:kms/key:Key")
               if k["name"] == "monitoring-key-key")
    by_sid = {s["Sid"]: s for s in json.loads(key["inputs"]["policy"])["Statement"]}
    assert by_sid["UseThroughServices"]["Condition"]["StringEquals"]["kms:ViaService"] == [
        "aps.eu-west-1.amazonaws.com", "grafana.eu-west-1.amazonaws.com"]
    assert by_sid["CloudWatchLogs"]["Condition"]["ArnLike"][
        "kms:EncryptionContext:aws:logs:arn"] == [
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/prometheus/test-obs"]
    own = "arn:aws:kms:eu-west-1:123456789012:key/monitoring-key-key"
    encrypted = {"monitoring-amp": "kmsKeyArn", "monitoring-amp-logs": "kmsKeyId",
                 "monitoring-grafana": "kmsKeyId"}
    for name, field in encrypted.items():
        resource = registered.named(name)
        assert resource["inputs"][field] == own, name
        assert key["urn"] in resource["propertyDependencies"][field], name
    for resource in [key, *(registered.named(name) for name in encrypted)]:
        assert resource["protect"] and resource["retainOnDelete"], resource["name"]
    assert not registered.named("monitoring-rules")["protect"]
    assert KMS_CALLER_SERVICES == ("aps", "grafana")


def test_alert_routing_later_and_only_once(mocked):
    holder = {}

    def build():
        observability = build_observability(with_kafka=False, with_eks=False)
        observability.route_alerts_to(TOPIC_ARN)
        holder["obs"] = observability

    registered = mocked(build)
    assert len(registered.of_type("aws:amp/alertManagerDefinition:AlertManagerDefinition")) == 1
    assert registered.of_type("aws:amp/scraper:Scraper") == []
    with pytest.raises(ComponentArgsError, match="already routed"):
        holder["obs"].route_alerts_to(TOPIC_ARN)


def test_serverless_kafka_is_plotted_for_lag_only(mocked):
    registered = mocked(lambda: build_observability(serverless=True, with_eks=False))
    assert registered.of_type("aws:amp/scraper:Scraper") == []
    assert "AMPAgentlessScraper" not in registered.one("aws:amp/workspace:Workspace")[
        "inputs"]["tags"]
    body = json.loads(registered.one("aws:cloudwatch/dashboard:Dashboard")["inputs"]
                      ["dashboardBody"])
    assert "## Kafka (MSK)" not in json.dumps(body)
    assert "MaxOffsetLag" in json.dumps(body)


def test_grafana_admits_named_groups_and_networks(mocked):
    registered = mocked(lambda: build_observability(
        with_kafka=False, with_eks=False, allowed_security_group_ids=["sg-bastion"],
        grafana_client_cidrs=["10.8.0.0/16", "192.168.0.0/24"], grafana_auth="SAML"))
    rules = [r["inputs"] for r in registered.of_type(INGRESS)]
    assert {r.get("cidrIpv4") or r["referencedSecurityGroupId"] for r in rules} == {
        "10.8.0.0/16", "192.168.0.0/24", "sg-bastion"}
    assert {r["fromPort"] for r in rules} == {443.0}
    assert registered.one("aws:grafana/workspace:Workspace")["inputs"][
        "authenticationProviders"] == ["SAML"]


def test_eks_collector_role_is_exposed_without_its_service_role_path(mocked, monkeypatch):
    original = StrataMocks.new_resource

    def with_role(self, args):  # AMP returns the collector's service-linked role
        resource_id, state = original(self, args)
        if args.typ == "aws:amp/scraper:Scraper":
            state["roleArn"] = SCRAPER_ROLE
        return resource_id, state

    monkeypatch.setattr(StrataMocks, "new_resource", with_role)
    holder = {}
    mocked(lambda: holder.setdefault("obs", build_observability(with_kafka=False)))
    from pulumi.runtime.sync_await import _sync_await
    arn = _sync_await(holder["obs"].eks_scraper_role_arn.future())
    assert arn == ("arn:aws:iam::123456789012:role/"
                   "AWSServiceRoleForAmazonPrometheusScraper_1a2b3c4d-5e6f-7")
    assert scraper_access_principal("") == ""


def test_scraper_rbac_is_a_valid_cluster_role_for_a_non_reserved_user():
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": EKS_SCRAPER_CLUSTER_ROLE},
            "rules": [dict(rule) for rule in EKS_SCRAPER_RBAC_RULES]}
    kubernetes_validate.validate(role, "1.33", strict=True)
    assert not EKS_SCRAPER_USERNAME.startswith(("system:", "eks:", "aws:", "amazon:", "iam:"))
    reads = {r for rule in EKS_SCRAPER_RBAC_RULES for r in rule.get("resources", [])}
    assert {"nodes/metrics", "pods", "endpoints"} <= reads
    assert {v for rule in EKS_SCRAPER_RBAC_RULES for v in rule["verbs"]} <= {
        "describe", "get", "list", "watch"}  # read-only


def test_a_broken_rbac_rule_fails_validation():
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "x"}, "rules": [{"resource": ["pods"], "verbs": ["get"]}]}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(role, "1.33", strict=True)


@pytest.mark.parametrize(("extra", "fragment"), [
    ({"name_prfix": "x"}, "did you mean 'name_prefix'"),
    ({"subnet_ids": "subnet-1"}, "'subnet_ids' expects list of str"),
    ({"grafana_auth": "LDAP"}, "'grafana_auth' expects AWS_SSO\\|SAML"),
    ({"name_prefix": "bad prefix!"}, "dashboard name 'bad prefix!'"),
    ({"subnet_ids": ["subnet-1"]}, "at least two AZs"),
    ({"log_retention_days": 366}, "log_retention_days 366 is not a CloudWatch Logs retention"),
    ({"consumer_groups": [{"service": "a", "topic": "t", "group": "g"}]},
     "consumer_groups need kafka"),
])
def test_bad_arguments_are_refused(mocked, extra, fragment):
    with pytest.raises(ComponentArgsError, match=fragment):
        mocked(lambda: build_observability(with_kafka=False, with_eks=False, **extra))


def test_serverless_cannot_be_scraped_and_groups_are_unique(mocked):
    serverless = {"cluster_name": "c", "broker_count": 0, "bootstrap_brokers": "b-1.x:9098"}
    with pytest.raises(ComponentArgsError, match="MSK Serverless has no open monitoring"):
        mocked(lambda: build_observability(with_kafka=False, with_eks=False, kafka=serverless))
    group = {"service": "a", "topic": "t", "group": "g", "max_lag_messages": 0}
    with pytest.raises(ComponentArgsError, match=r"listed twice.*max_lag_messages must be"):
        mocked(lambda: build_observability(with_eks=False, consumer_groups=[group, group]))


def test_physical_names_are_the_ones_created():
    assert physical_names("p") == [
        ("amp-alias", "p"), ("amp-alias", "p-eks"), ("amp-alias", "p-msk"),
        ("log-group", "/aws/prometheus/p"), ("dashboard", "p"), ("grafana-workspace", "p"),
        ("iam-role", "p-grafana")]


def test_provider_host_infers_the_schema():
    from pulumi.provider.experimental.analyzer import Analyzer

    result = Analyzer("strata").analyze([Observability])
    definition = result["component_definitions"]["Observability"]
    assert {"namePrefix", "vpcId", "vpcCidr", "subnetIds", "kmsKeyArn", "kafka",
            "consumerGroups", "eks", "alarmTopicArn", "dashboardRows", "grafanaAuth",
            "allowedSecurityGroupIds", "lifecycle"} <= set(definition.inputs)
    assert {"prometheusWorkspaceArn", "grafanaEndpoint", "mskScraperSecurityGroupId",
            "eksScraperRoleArn", "dashboardName"} <= set(definition.outputs)
    assert {"GrafanaAuth", "ConsumerGroup", "KafkaSourceArgs", "EksSourceArgs",
            "DashboardRowArgs"} <= set(result["type_definitions"])


def test_every_taggable_child_carries_the_tags(registered):
    children = [r for r in registered.records if r["custom"]
                and r["parent"].endswith("strata:index:Observability::monitoring")]
    assert len(children) > 10
    for record in children:
        if "tags" in record["inputs"]:
            assert record["inputs"]["tags"]["service"] == "platform", record["name"]
            assert record["inputs"]["tags"]["environment"] == "test", record["name"]
    untagged = {r["type"] for r in children if "tags" not in r["inputs"]}
    assert untagged == {"aws:amp/alertManagerDefinition:AlertManagerDefinition",
                        "aws:cloudwatch/dashboard:Dashboard", "aws:iam/rolePolicy:RolePolicy"}
