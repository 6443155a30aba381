"""Can this host reach the cluster's Kubernetes API? `pulumi up` needs it for every Kubernetes
resource, long after the slow parts (VPC, EKS, MSK) were created.

A private endpoint is reached from the declared deployer networks (443 ingress on the cluster
security group, over VPN/Transit Gateway/peering): one of this host's addresses must fall in
them. A public endpoint restricted to `publicAccessCidrs` sees this host's public egress address.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.request
from collections.abc import Iterable
from typing import Protocol

from infra._preflight_needs import EndpointNeed, StackNeeds
from infra._preflight_report import Finding, Severity

__all__ = ["CHECKIP_URL", "HostVantage", "Vantage", "check_endpoint_reachability"]

CHECKIP_URL = "https://checkip.amazonaws.com"
HTTPS_PORT = 443
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Vantage(Protocol):
    """Where preflight runs, as the cluster endpoint would see it."""

    def local_addresses(self, toward: Iterable[str]) -> set[Address]: ...

    def public_address(self) -> Address: ...


class HostVantage:
    """This machine: its interface addresses and its public egress address."""

    def __init__(self, checkip_url: str = CHECKIP_URL, timeout_s: float = 5.0) -> None:
        self.checkip_url = checkip_url
        self.timeout_s = timeout_s

    def local_addresses(self, toward: Iterable[str]) -> set[Address]:
        """Addresses of the host name, plus the source address the kernel would pick toward each
        network in `toward` (a UDP connect sends no packet; it only consults the routing table),
        which is the address a security group sees when no NAT is in between."""
        found: set[Address] = set()
        try:
            for info in socket.getaddrinfo(socket.gethostname(), None):
                found.add(ipaddress.ip_address(str(info[4][0]).split("%")[0]))
        except OSError:
            pass
        for cidr in toward:
            network = ipaddress.ip_network(cidr, strict=False)
            target = str(next(network.hosts(), network.network_address))
            family = socket.AF_INET6 if network.version == 6 else socket.AF_INET
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                try:
                    probe.connect((target, HTTPS_PORT))
                    found.add(ipaddress.ip_address(probe.getsockname()[0]))
                except OSError:
                    continue  # no route toward that network from here
        return found

    def public_address(self) -> Address:
        with urllib.request.urlopen(self.checkip_url, timeout=self.timeout_s) as response:
            return ipaddress.ip_address(response.read(64).decode().strip())



def _inside(addresses: Iterable[Address], cidrs: Iterable[str]) -> list[str]:
    networks = [ipaddress.ip_network(c, strict=False) for c in cidrs]
    return sorted(f"{a} in {n}" for a in addresses for n in networks
                  if a.version == n.version and a in n)


def _public(endpoint: EndpointNeed, vantage: Vantage) -> Finding:
    api = f"GET {CHECKIP_URL}"
    subject = f"{endpoint.cluster}: public endpoint"
    cidrs = endpoint.public_cidrs or ("0.0.0.0/0",)  # the EKS default for a public endpoint
    try:
        address = vantage.public_address()
    except (OSError, ValueError) as error:
        return Finding("eks-endpoint-reachability", Severity.WARNING, subject,
                       f"not checked: cannot learn this host's public address ({error})",
                       "check by hand that the deployer's egress address is in "
                       f"{', '.join(cidrs)}", api)
    hits = _inside([address], cidrs)
    if hits:
        return Finding("eks-endpoint-reachability", Severity.OK, subject,
                       f"this host's egress address {hits[0]}", api=api)
    return Finding(
        "eks-endpoint-reachability", Severity.BLOCKER, subject,
        f"this host's egress address {address} is not in publicAccessCidrs "
        f"({', '.join(cidrs)})",
        f"add {address}/32 to cluster.publicAccessCidrs, or deploy from a declared network", api)


def _private(endpoint: EndpointNeed, vantage: Vantage) -> Finding:
    api = "local interface addresses and routes"
    subject = f"{endpoint.cluster}: private endpoint"
    if not endpoint.deployer_cidrs:
        return Finding(
            "eks-endpoint-reachability", Severity.BLOCKER, subject,
            "the endpoint is private and the stack declares no deployer network (no 443 ingress "
            "on the cluster security group): nothing outside the VPC can reach it",
            "declare the deployer CIDRs reached over VPN/Transit Gateway/peering, or a public "
            "endpoint restricted to your egress CIDRs", api)
    addresses = vantage.local_addresses(endpoint.vpc_cidrs or endpoint.deployer_cidrs)
    hits = _inside(addresses, endpoint.deployer_cidrs)
    if hits:
        return Finding("eks-endpoint-reachability", Severity.OK, subject,
                       f"this host is in a deployer network ({hits[0]})", api=api)
    shown = ", ".join(sorted(map(str, addresses))) or "none found"
    return Finding(
        "eks-endpoint-reachability", Severity.BLOCKER, subject,
        f"none of this host's addresses ({shown}) is in the deployer CIDRs "
        f"({', '.join(endpoint.deployer_cidrs)})",
        "run the deployment on the runner inside the declared deployer network", api)


def check_endpoint_reachability(vantage: Vantage, needs: StackNeeds) -> list[Finding]:
    """One finding per cluster: reachable by either path is enough; when neither admits this
    host, every path tried is reported."""
    findings = []
    for cluster in needs.clusters:
        endpoint = cluster.endpoint
        tried = []
        if endpoint.public:
            tried.append(_public(endpoint, vantage))
        # With a public endpoint, private access without deployer CIDRs serves the nodes only.
        if endpoint.private and (endpoint.deployer_cidrs or not endpoint.public):
            tried.append(_private(endpoint, vantage))
        ok = [f for f in tried if f.severity is Severity.OK]
        findings += ok[:1] or tried
    return findings
