"""The shared platform as one box: network, Kubernetes, Kafka, monitoring and their keys.

Found by resource type; how the nodes relate (runs in the VPC, encrypted with a key, scraped
by Prometheus, queried by Grafana) by propertyDependencies.
"""

from __future__ import annotations

from collections.abc import Mapping

from infra._diagram_index import DiagramIndex, Resource
from infra._diagram_model import Box, Edge, Node, number, plural
from policies import _aws

__all__ = ["platform_box"]

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
SNS_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
PROMETHEUS = "aws:amp/workspace:Workspace"
SCRAPER = "aws:amp/scraper:Scraper"
RULE_GROUPS = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
GRAFANA = "aws:grafana/workspace:Workspace"
ALARM_ACTIONS = ("alarmActions", "okActions", "insufficientDataActions")


def platform_box(index: DiagramIndex, keys: Mapping[str, Node]) -> tuple[Box, list[Edge]]:
    """The platform box (its nodes, platform keys last) and the edges among them."""
    drawn: list[tuple[Node, Resource]] = [
        *((_network(index, vpc), vpc) for vpc in index.of_type(VPC)),
        *((_kubernetes(index, eks), eks) for eks in index.of_type(EKS_CLUSTER)),
        *((_kafka(msk), msk) for msk in index.of_type(_aws.MSK_CLUSTER, _aws.MSK_SERVERLESS)),
        *((_alarms(index, sns), sns) for sns in _alarm_topics(index)),
        *((_prometheus(index, amp), amp) for amp in index.of_type(PROMETHEUS)),
        *((_grafana(grafana), grafana) for grafana in index.of_type(GRAFANA)),
    ]
    node_of = {resource.urn: node for node, resource in drawn}
    subnets = {s.urn: node_of[vpc.urn] for vpc in index.of_type(VPC)
               for s in index.dependents(vpc, SUBNET, "vpcId")}
    edges: list[Edge] = []
    for node, resource in drawn:
        for dep in index.deps(resource):
            if dep.urn in keys:
                edges.append(Edge(node.id, keys[dep.urn].id, "encrypted-by"))
            if dep.urn in subnets:
                edges.append(Edge(node.id, subnets[dep.urn].id, "runs-in"))
    for amp in index.of_type(PROMETHEUS):
        for scraper in index.dependents(amp, SCRAPER, "destination"):
            edges += [Edge(node_of[amp.urn].id, node_of[d.urn].id, "scrapes")
                      for d in index.deps(scraper) if d.urn in node_of and d.urn != amp.urn]
    for grafana in index.of_type(GRAFANA):
        for role in index.deps(grafana, "roleArn"):
            edges += [Edge(node_of[grafana.urn].id, node_of[d.urn].id, "queries")
                      for d in index.reached_by(role) if d.type == PROMETHEUS]
    platform_keys = [k for k in keys.values() if k.service in index.platform_services]
    nodes = [node for node, _ in drawn] + sorted(platform_keys, key=lambda k: k.id)
    return Box("platform", "platform", "shared by every service", nodes), edges


def _network(index: DiagramIndex, vpc: Resource) -> Node:
    subnets = index.dependents(vpc, SUBNET, "vpcId")
    zones = sorted({str(s.props.get("availabilityZone") or s.props.get("availabilityZoneId"))
                    for s in subnets})
    subnet_urns = {s.urn for s in subnets}
    nats = [n for n in index.of_type(NAT_GATEWAY)
            if any(d.urn in subnet_urns for d in index.deps(n, "subnetId"))]
    cidr = str(vpc.props.get("cidrBlock", "?"))
    return Node(f"network/{vpc.name}", "network", "VPC",
                (cidr, f"{len(zones)} AZs · {len(nats)} NAT gateway{plural(len(nats))}"),
                None, (("az_count", len(zones)), ("nat_gateways", len(nats)), ("cidr", cidr)))


def _kubernetes(index: DiagramIndex, eks: Resource) -> Node:
    version = str(eks.props.get("version", "?"))
    groups = index.dependents(eks, NODE_GROUP, "clusterName")
    auto = (eks.props.get("computeConfig") or {}).get("enabled") is True
    compute = "Auto Mode" if auto else f"{len(groups)} node group{plural(len(groups))}"
    return Node(f"kubernetes/{eks.name}", "kubernetes", "EKS", (f"Kubernetes {version}", compute),
                None, (("version", version), ("auto_mode", auto), ("node_groups", len(groups))))


def _kafka(msk: Resource) -> Node:
    if msk.type == _aws.MSK_SERVERLESS:
        return Node(f"kafka/{msk.name}", "kafka", "MSK Serverless", ("Kafka, IAM auth",),
                    None, (("serverless", True),))
    brokers = int(msk.props.get("numberOfBrokerNodes", 0))
    info = msk.props.get("brokerNodeGroupInfo") or {}
    storage = ((info.get("storageInfo") or {}).get("ebsStorageInfo") or {}).get("volumeSize")
    return Node(f"kafka/{msk.name}", "kafka", "MSK (Kafka)",
                (f"{brokers} brokers · {info.get('instanceType', '?')}",
                 f"{number(storage)} GiB per broker"), None,
                (("serverless", False), ("brokers", brokers)))


def _alarm_topics(index: DiagramIndex) -> list[Resource]:
    """SNS topics that CloudWatch alarms notify."""
    targets = {d.urn for alarm in index.of_type(_aws.METRIC_ALARM)
               for d in index.deps(alarm, *ALARM_ACTIONS) if d.type == _aws.SNS_TOPIC}
    return [t for t in index.of_type(_aws.SNS_TOPIC) if t.urn in targets]


def _alarms(index: DiagramIndex, topic: Resource) -> Node:
    alarms = index.dependents(topic, _aws.METRIC_ALARM, *ALARM_ACTIONS)
    subscriptions = index.dependents(topic, SNS_SUBSCRIPTION, "topic")
    protocols = sorted({str(s.props.get("protocol", "?")) for s in subscriptions})
    return Node(f"alarms/{topic.name}", "alarms", "Alarms (SNS)",
                (f"{len(alarms)} CloudWatch alarms",
                 f"{len(subscriptions)} subscription{plural(len(subscriptions))}"
                 + (f" ({', '.join(protocols)})" if protocols else "")),
                None, (("alarms", len(alarms)), ("subscriptions", len(subscriptions))))


def _prometheus(index: DiagramIndex, amp: Resource) -> Node:
    scrapers = index.dependents(amp, SCRAPER, "destination")
    rules = index.dependents(amp, RULE_GROUPS, "workspaceId")
    return Node(f"prometheus/{amp.name}", "prometheus", "Managed Prometheus",
                (f"{len(scrapers)} scraper{plural(len(scrapers))} · "
                 f"{len(rules)} rule group{plural(len(rules))}",), None,
                (("scrapers", len(scrapers)), ("rule_groups", len(rules))))


def _grafana(grafana: Resource) -> Node:
    auth = ", ".join(str(a) for a in grafana.props.get("authenticationProviders") or [])
    return Node(f"grafana/{grafana.name}", "grafana", "Managed Grafana",
                (f"sign-in: {auth or '?'}",), None)


