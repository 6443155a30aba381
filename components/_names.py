"""AWS and Kubernetes naming rules for the physical names components create.

Components check the names they build (so a bad prefix fails before anything is registered,
not halfway through `pulumi up`), and the blueprint checks every name of a catalog at config
time with the key path that produced it. Each rule cites where AWS states it.
"""

import re
from dataclasses import dataclass

__all__ = ["NAME_RULES", "NameRule", "name_problem"]


@dataclass(frozen=True)
class NameRule:
    max_length: int
    pattern: str
    """Regular expression the whole name must match."""
    says: str
    """The rule in words, for error messages."""
    min_length: int = 1


_DNS = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"

NAME_RULES: dict[str, NameRule] = {
    # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.Constraints
    "rds-identifier": NameRule(63, r"[a-z][a-z0-9]*(-[a-z0-9]+)*",
                               "1-63 lower-case letters, digits and single hyphens, starting "
                               "with a letter and not ending with a hyphen"),
    "rds-group": NameRule(255, r"[a-z][a-z0-9]*(-[a-z0-9]+)*",
                          "up to 255 lower-case letters, digits and single hyphens, starting "
                          "with a letter"),
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
    "iam-role": NameRule(64, r"[\w+=,.@-]+", "up to 64 letters, digits and +=,.@_-"),
    "iam-policy": NameRule(128, r"[\w+=,.@-]+", "up to 128 letters, digits and +=,.@_-"),
    # https://docs.aws.amazon.com/ts-influxdb/latest/ts-influxdb-api/API_CreateDbInstance.html
    "influxdb-instance": NameRule(40, r"[a-zA-Z][a-zA-Z0-9]*(-[a-zA-Z0-9]+)*",
                                  "3-40 letters, digits and single hyphens, starting with a "
                                  "letter", min_length=3),
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
    "dynamodb-table": NameRule(255, r"[a-zA-Z0-9_.-]+", "3-255 letters, digits, _ . and -",
                               min_length=3),
    # https://docs.aws.amazon.com/timestream/latest/developerguide/ts-limits.html
    "timestream-database": NameRule(256, r"[a-zA-Z0-9_.-]+", "3-256 letters, digits, _ . and -",
                                    min_length=3),
    "timestream-table": NameRule(256, r"[a-zA-Z0-9_.-]+", "3-256 letters, digits, _ . and -",
                                 min_length=3),
    # https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
    "log-group": NameRule(512, r"[\w/.#-]+", "up to 512 letters, digits and _ / . # -"),
    # https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html (after `alias/`)
    "kms-alias": NameRule(250, r"[a-zA-Z0-9/_-]+", "up to 250 letters, digits and / _ -"),
    # https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html
    "sns-topic": NameRule(256, r"[a-zA-Z0-9_-]+", "up to 256 letters, digits, _ and -"),
    # https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html
    "eks-cluster": NameRule(100, r"[0-9A-Za-z][A-Za-z0-9_-]*",
                            "up to 100 letters, digits, _ and -, starting alphanumeric"),
    # https://docs.aws.amazon.com/msk/1.0/apireference/clusters.html#clusters-prop-createclusterrequest-clustername
    "msk-cluster": NameRule(64, r"[0-9A-Za-z][0-9A-Za-z-]*",
                            "up to 64 letters, digits and -, starting alphanumeric"),
    "msk-configuration": NameRule(64, r"[0-9A-Za-z][0-9A-Za-z-]*",
                                  "up to 64 letters, digits and -, starting alphanumeric"),
    # https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names
    "k8s-namespace": NameRule(63, _DNS, "a DNS label: up to 63 lower-case letters, digits and "
                                        "-, starting and ending alphanumeric"),
    # https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html
    "ssm-parameter": NameRule(1011, r"/?[a-zA-Z0-9_.\-/]+", "letters, digits and _ . - /"),
    # https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
    "secret": NameRule(512, r"[a-zA-Z0-9/_+=.@-]+", "up to 512 letters, digits and /_+=.@-"),
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
    "alarm": NameRule(255, r"[^\x00-\x1f]+", "up to 255 printable characters"),
    "dashboard": NameRule(255, r"[a-zA-Z0-9_-]+", "up to 255 letters, digits, _ and -"),
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html
    "security-group": NameRule(255, r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+",
                               "up to 255 ASCII characters, not starting with sg-"),
    # https://docs.aws.amazon.com/grafana/latest/APIReference/API_CreateWorkspace.html
    "grafana-workspace": NameRule(255, r"[a-zA-Z0-9-._~]+", "1-255 letters, digits and -._~"),
    # https://docs.aws.amazon.com/prometheus/latest/APIReference/API_CreateWorkspace.html
    "amp-alias": NameRule(100, r".+", "1-100 characters"),
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html (prefix part)
    "s3-bucket-prefix": NameRule(37, r"[a-z0-9][a-z0-9.-]*",
                                 "up to 37 lower-case letters, digits, . and -"),
}


def name_problem(kind: str, name: str) -> str | None:
    """Why `name` is not a valid `kind` name, in words; None when it is valid."""
    rule = NAME_RULES[kind]
    if not rule.min_length <= len(name) <= rule.max_length:
        return (f"{kind} name {name!r} has {len(name)} characters; AWS allows "
                f"{rule.min_length}-{rule.max_length} ({rule.says})")
    if not re.fullmatch(rule.pattern, name):
        return f"{kind} name {name!r} is not allowed: {rule.says}"
    if kind == "security-group" and name.startswith("sg-"):
        return f"{kind} name {name!r} must not start with 'sg-'"
    return None
