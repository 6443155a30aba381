"""The catalog's text rules, each with its words (`PATTERN_WORDS`): error messages state the
rule, never the regular expression. Plus the bounds and metadata keys the models share."""

from __future__ import annotations

import ipaddress

__all__ = [
    "ATTRIBUTE_NAME",
    "AZ_NAME",
    "COST_CENTER",
    "CPU",
    "DATABASE_NAME",
    "DNS_LABEL",
    "EMAIL",
    "FILLED_FROM_KEY",
    "FULL_TOPIC",
    "GEOGRAPHY",
    "GROUP_NAME",
    "INT32_MAX",
    "INT64_MAX",
    "K8S_VERSION",
    "KAFKA_VERSION",
    "MEMORY",
    "PATTERN_WORDS",
    "PG_MAJOR",
    "REGION",
    "RFC1918",
    "ROLE_ARN",
    "SECRET_PLACEHOLDER_KEY",
    "TOPIC_CONFIG",
    "TOPIC_NAME",
]

PATTERN_WORDS: dict[str, str] = {}
"""Every regular expression the catalog uses -> its rule in words (messages never show a
regex; a test keeps this complete)."""


def _rule(pattern: str, words: str) -> str:
    PATTERN_WORDS[pattern] = words
    return pattern


DNS_LABEL = _rule(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$",
                  "2-32 lower-case letters, digits and '-', starting with a letter and not "
                  "ending with '-'")
"""Fits RDS, MSK, EKS and Kubernetes names once prefixed."""
TOPIC_NAME = _rule(r"^[a-z][a-z0-9-]{0,62}$",
                   "1-63 lower-case letters, digits and '-', starting with a letter")
FULL_TOPIC = _rule(r"^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$",
                   "<service>.<topic>: the producing service's name, a dot, the topic's name")
GROUP_NAME = _rule(r"^[a-z][a-z0-9.-]{0,62}$",
                   "1-63 lower-case letters, digits, '.' and '-', starting with a letter")
REGION = _rule(r"^[a-z]{2}(-gov)?-[a-z]+-\d$", "an AWS region name such as eu-west-1")
AZ_NAME = _rule(r"^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$",
                "an availability zone name: the region followed by one letter (eu-west-1a)")
COST_CENTER = _rule(r"^[A-Za-z0-9][A-Za-z0-9-]{1,31}$",
                    "2-32 letters, digits and '-', starting with a letter or digit")
PG_MAJOR = _rule(r"^\d{2}$", "a PostgreSQL major version such as 16 (AWS applies minor "
                             "versions automatically)")
GEOGRAPHY = _rule(r"^[a-z][a-z0-9-]{1,15}$",
                  "2-16 lower-case letters, digits and '-', starting with a letter (eu, us)")
DATABASE_NAME = _rule(r"^[a-z][a-z0-9_]{0,62}$",
                      "1-63 lower-case letters, digits and '_', starting with a letter")
ATTRIBUTE_NAME = _rule(r"^[A-Za-z0-9_.-]{1,255}$", "1-255 letters, digits, '_', '.' and '-'")
TOPIC_CONFIG = _rule(r"^[a-z]+(\.[a-z]+)*$",
                     "a Kafka topic config name: lower-case words joined by dots "
                     "(segment.bytes)")
KAFKA_VERSION = _rule(r"^\d+\.\d+\.(\d+|x)(\.kraft)?$",
                      "an MSK Kafka version such as 3.8.x or 3.7.x.kraft")
K8S_VERSION = _rule(r"^1\.\d{2}$", "a Kubernetes minor version such as 1.33")
CPU = _rule(r"^\d{1,6}m?$", "whole CPUs (4) or millicores (500m)")
MEMORY = _rule(r"^\d{1,7}(Mi|Gi)$", "a size in Mi or Gi (512Mi, 8Gi)")
ROLE_ARN = _rule(r"^arn:aws[a-z-]*:iam::\d{12}:role/\S+$",
                 "an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>")
EMAIL = _rule(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$",
              "an e-mail address (name@domain.tld; letters in any case)")

RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12",
                                                      "192.168.0.0/16"))
"""The private ranges AWS recommends for VPCs (RFC 1918); loopback, link-local, CGNAT and
public ranges are not VPC material: https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html"""

FILLED_FROM_KEY = "filledFrom"
"""Field metadata: the key is filled by the config loader from another key, never written in
the section (shapes and "did you mean" hints leave it out)."""

SECRET_PLACEHOLDER_KEY = "secretPlaceholder"
"""Field metadata: what `strata synth` puts in place of a `secure:` value it cannot decrypt
(`{path}` becomes the key path), so the placeholder passes the field's own rules."""

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
