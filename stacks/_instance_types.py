"""Which instance types each AWS service offers, so a typo or an unknown size is refused at
config time instead of by AWS halfway through `pulumi up`.

- EC2 (EKS node groups): the `InstanceType` enum of botocore's EC2 service model.
- Timestream for InfluxDB: the `DbInstanceType` enum of botocore's timestream-influxdb model.
- RDS / Aurora PostgreSQL and MSK: no API model lists them (RDS takes any string and answers
  with DescribeOrderableDBInstanceOptions, which needs credentials: `strata preflight` checks
  the region's offer). The tables below are curated from the AWS pages cited beside them;
  regional availability is preflight's job.
"""

from __future__ import annotations

import difflib
from functools import cache

__all__ = ["AURORA_POSTGRES_CLASSES", "MSK_BROKER_TYPES", "RDS_POSTGRES_CLASSES",
           "ec2_instance_types", "influxdb_instance_types", "instance_type_problem"]


def _sizes(family: str, *sizes: str) -> set[str]:
    return {f"{family}.{size}" for size in sizes}


_LARGE_16 = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
_LARGE_24 = (*_LARGE_16, "24xlarge")
_LARGE_32 = (*_LARGE_24, "32xlarge")
_LARGE_48 = (*_LARGE_24, "48xlarge")
_BURSTABLE = ("micro", "small", "medium", "large", "xlarge", "2xlarge")

MSK_BROKER_TYPES = frozenset(
    # Standard broker sizes, "Amazon MSK broker sizes":
    # https://docs.aws.amazon.com/msk/latest/developerguide/broker-instance-sizes.html
    # (Express brokers, express.m7g.*, manage their own storage: not modelled here.)
    {"kafka.t3.small"} | _sizes("kafka.m5", *_LARGE_24) | _sizes("kafka.m7g", *_LARGE_16))

RDS_POSTGRES_CLASSES = frozenset(
    # "Supported DB engines for DB instance classes", RDS for PostgreSQL column:
    # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Support.html
    _sizes("db.t3", *_BURSTABLE) | _sizes("db.t4g", *_BURSTABLE)
    | _sizes("db.m5", *_LARGE_24) | _sizes("db.m5d", *_LARGE_24)
    | _sizes("db.m6g", *_LARGE_16) | _sizes("db.m6gd", *_LARGE_16)
    | _sizes("db.m6i", *_LARGE_32) | _sizes("db.m6id", *_LARGE_32)
    | _sizes("db.m6in", *_LARGE_32) | _sizes("db.m6idn", *_LARGE_32)
    | _sizes("db.m7g", *_LARGE_16) | _sizes("db.m7i", *_LARGE_48) | _sizes("db.m8g", *_LARGE_48)
    | _sizes("db.r5", *_LARGE_24) | _sizes("db.r5b", *_LARGE_24) | _sizes("db.r5d", *_LARGE_24)
    | _sizes("db.r6g", *_LARGE_16) | _sizes("db.r6gd", *_LARGE_16)
    | _sizes("db.r6i", *_LARGE_32) | _sizes("db.r6id", *_LARGE_32)
    | _sizes("db.r6in", *_LARGE_32) | _sizes("db.r6idn", *_LARGE_32)
    | _sizes("db.r7g", *_LARGE_16) | _sizes("db.r7i", *_LARGE_48) | _sizes("db.r8g", *_LARGE_48)
    | _sizes("db.x2g", *_LARGE_16))

AURORA_POSTGRES_CLASSES = frozenset(
    # "Supported DB engines for DB instance classes", Aurora PostgreSQL column (db.serverless
    # is the `serverless` setting, not an instance class here):
    # https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.DBInstanceClass.SupportAurora.html
    _sizes("db.t3", "medium", "large") | _sizes("db.t4g", "medium", "large")
    | _sizes("db.r5", *_LARGE_24) | _sizes("db.r6g", *_LARGE_16)
    | _sizes("db.r6gd", *_LARGE_16) | _sizes("db.r6i", *_LARGE_32)
    | _sizes("db.r6id", *_LARGE_32) | _sizes("db.r7g", *_LARGE_16)
    | _sizes("db.r7i", *_LARGE_48) | _sizes("db.r8g", *_LARGE_48)
    | _sizes("db.r8gd", *_LARGE_48) | _sizes("db.x2g", *_LARGE_16))


@cache
def _model_enum(service: str, shape: str) -> frozenset[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    return frozenset(model.shape_for(shape).enum or ())


def ec2_instance_types() -> frozenset[str]:
    """Every EC2 instance type botocore's EC2 model knows (about 1,400)."""
    return _model_enum("ec2", "InstanceType")


def influxdb_instance_types() -> frozenset[str]:
    """The `db.influx.*` types of the timestream-influxdb API."""
    return _model_enum("timestream-influxdb", "DbInstanceType")


def instance_type_problem(value: str, offered: frozenset[str], what: str,
                          source: str) -> tuple[str, str] | None:
    """(message, allowed) when `value` is not offered; None when it is. The allowed text names
    the closest offers (a typo) or the families, never the whole list."""
    if value in offered:
        return None
    close = difflib.get_close_matches(value, sorted(offered), n=3, cutoff=0.75)
    hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
    families = sorted({t.rsplit(".", 1)[0] for t in offered})
    allowed = (", ".join(close) if close else
               f"a size of {', '.join(families[:12])}{', ...' if len(families) > 12 else ''}")
    return f"{value!r} is not {what}{hint}; source: {source}", allowed
