"""Timestream stores, private and keyed to their owner: InfluxDB instances (credentials in
Secrets Manager under the owner's key, logs to an encrypted bucket) and LiveAnalytics
databases (encrypted with the owner's key, rejected records kept in an encrypted bucket).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components._bucket import encrypted_bucket
from components._grant import attach_grant
from components._perms import (
    SECRET_READ,
    TIMESTREAM_DESCRIBE_ENDPOINTS,
    TIMESTREAM_READ,
    TIMESTREAM_WRITE,
    statement,
)
from components._store import AlarmSpec, AlarmThresholds, Metric
from components._tags import require_tags, stateful_options, with_name
from components.kms import EncryptionKey
from components.network import Network

__all__ = [
    "InfluxDbInstance",
    "InfluxDbInstanceArgs",
    "LiveAnalyticsDatabase",
    "LiveAnalyticsDatabaseArgs",
    "TableRetentionArgs",
]

INFLUX_PORT = 8086
INFLUX_NAMESPACE = "AWS/TimestreamInfluxDB"
"""Assumption, not verified against a live account: AWS's Timestream for InfluxDB monitoring
guide lists CPUUtilization, MemoryUtilization and DiskUtilization (percent) with the dimension
`DbInstanceName`; public alarm examples use the namespace `AWS/TimestreamInfluxDB`. Confirm with
`aws cloudwatch list-metrics --namespace AWS/TimestreamInfluxDB` on first deploy."""
INFLUX_MEMORY_ALARM_PERCENT = 90.0
"""InfluxDB keeps its index and caches in memory; above 90% it is close to being OOM-killed."""
TIMESTREAM_NAMESPACE = "AWS/Timestream"
TIMESTREAM_OPERATIONS = ("WriteRecords", "Query")
"""UserErrors and SystemErrors carry only the Operation dimension (they are account-wide):
https://docs.aws.amazon.com/timestream/latest/developerguide/metrics-dimensions.html"""
USER_ERRORS_PER_PERIOD = 10.0
"""A few rejected requests happen (bad timestamps from a clock-skewed client); ten in five
minutes means a producer is dropping data."""
WRITE_LATENCY_MS = 1000.0
"""WriteRecords normally completes in tens of milliseconds; a second means writers back up."""


class InfluxDbInstanceArgs(TypedDict):
    instance_name: str
    """Physical name (3-40 lowercase letters, digits, hyphens), e.g. `dev-telemetry-influx`."""
    key: EncryptionKey
    """The owner's key: the credentials secret and the log bucket."""
    network: Network
    """The instance goes in its isolated subnets, reachable from its private subnets only."""
    tags: Mapping[str, str]
    """The five ownership tags."""
    instance_type: NotRequired[str]
    """Default: `db.influx.medium`."""
    allocated_storage_gib: NotRequired[int]
    """Default: 20 GiB."""
    multi_az: NotRequired[bool]
    """A standby in another AZ (WITH_MULTIAZ_STANDBY). Default: off (SINGLE_AZ); on in prod."""
    organization: NotRequired[str]
    """Initial InfluxDB organisation. Default: `strata`."""
    bucket: NotRequired[str]
    """Initial InfluxDB bucket. Default: `default`."""
    protect: NotRequired[bool]
    """Pulumi protect + retain on delete for the instance, secret and log bucket. Default: off."""


class InfluxDbInstance(pulumi.ComponentResource):
    """A private Timestream for InfluxDB instance; credentials only via `grant_read`."""

    kind = "timeseries"
    ports: tuple[int, ...] = (INFLUX_PORT,)
    instance: aws.timestreaminfluxdb.DbInstance
    secret: aws.secretsmanager.Secret
    log_bucket: aws.s3.Bucket
    endpoint: pulumi.Output[str]

    def __init__(self, name: str, args: InfluxDbInstanceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:InfluxDbInstance", name, None, opts)
        self._store_name = name
        tags = require_tags(args["tags"], name)
        self._key: EncryptionKey = args["key"]
        protect = args.get("protect", False)
        physical = args["instance_name"]
        child = pulumi.ResourceOptions(parent=self)
        network = args["network"]

        sg = aws.ec2.SecurityGroup(
            f"{name}-sg", name=physical, vpc_id=network.vpc_id,
            description=f"InfluxDB {physical}: 8086 from the private subnets only",
            # No inline rules (see PostgresShardSet): separate ingress rules, no egress.
            tags=with_name(tags, physical), opts=child)
        for cidr in network.private_cidrs:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-from-{cidr.replace('/', '-')}", security_group_id=sg.id,
                ip_protocol="tcp", from_port=INFLUX_PORT, to_port=INFLUX_PORT, cidr_ipv4=cidr,
                description="InfluxDB from workload subnet", tags=tags, opts=child)

        password = random.RandomPassword(
            f"{name}-password", length=32, special=False, min_lower=4, min_upper=4,
            min_numeric=4, opts=child)
        username, organization = "strata_admin", args.get("organization", "strata")
        bucket = args.get("bucket", "default")
        self.secret = aws.secretsmanager.Secret(
            f"{name}-secret", name=f"strata/{physical}/admin",
            description=f"InfluxDB {physical} administrator credentials",
            kms_key_id=self._key.arn, recovery_window_in_days=30, tags=tags,
            opts=stateful_options(self, protect))
        aws.secretsmanager.SecretVersion(
            f"{name}-secret-value", secret_id=self.secret.id,
            secret_string=pulumi.Output.json_dumps({
                "username": username, "password": password.result,
                "organization": organization, "bucket": bucket}),
            opts=child)

        self.log_bucket = encrypted_bucket(
            self, f"{name}-logs", f"{physical}-logs", self._key, tags, protect,
            writer_service="timestream-influxdb.amazonaws.com")
        self.instance = aws.timestreaminfluxdb.DbInstance(
            f"{name}-instance", name=physical,
            db_instance_type=args.get("instance_type", "db.influx.medium"),
            allocated_storage=args.get("allocated_storage_gib", 20),
            db_storage_type="InfluxIOIncludedT1",
            deployment_type="WITH_MULTIAZ_STANDBY" if args.get("multi_az") else "SINGLE_AZ",
            username=username, password=password.result, organization=organization,
            bucket=bucket, port=INFLUX_PORT, publicly_accessible=False, network_type="IPV4",
            vpc_subnet_ids=network.isolated_subnet_ids, vpc_security_group_ids=[sg.id],
            log_delivery_configuration=aws.timestreaminfluxdb.DbInstanceLogDeliveryConfigurationArgs(
                s3_configuration=aws.timestreaminfluxdb.
                DbInstanceLogDeliveryConfigurationS3ConfigurationArgs(
                    bucket_name=self.log_bucket.id, enabled=True)),
            tags=tags, opts=stateful_options(self, protect))
        self.endpoint = self.instance.endpoint
        self.register_outputs({"endpoint": self.endpoint, "secretArn": self.secret.arn})

    def _grant(self, role: aws.iam.Role, verb: str) -> aws.iam.RolePolicy:
        return attach_grant(self, f"{self._store_name}-{verb}-{role.pulumi_resource_name}", role, [
            statement(SECRET_READ, [self.secret.arn], sid="ReadCredentials"),
            self._key.decrypt_statement(),
        ])

    def grant_read(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Read the credentials secret (and decrypt it with the owner's key)."""
        return self._grant(role, "read")

    def grant_write(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """InfluxDB authorises writes by its own credentials: the same secret as reads."""
        return self._grant(role, "write")

    def metrics(self) -> list[Metric]:
        dims: dict[str, pulumi.Input[str]] = {"DbInstanceName": self.instance.name}
        return [Metric(INFLUX_NAMESPACE, n, dims, label=f"{self._store_name} {n}")
                for n in ("CPUUtilization", "MemoryUtilization", "DiskUtilization")]

    def alarm_specs(self, thresholds: AlarmThresholds) -> list[AlarmSpec]:
        cpu, memory, disk = self.metrics()
        disk_limit = 100.0 - thresholds.storage_free_percent
        return [
            AlarmSpec("cpu", cpu, "GreaterThanThreshold", float(thresholds.cpu_percent),
                      f"InfluxDB CPU above {thresholds.cpu_percent}% (the platform's CPU alarm "
                      "percentage) for 15 minutes: writes queue and queries slow down; move to "
                      "a larger instance type."),
            AlarmSpec("memory", memory, "GreaterThanThreshold", INFLUX_MEMORY_ALARM_PERCENT,
                      f"InfluxDB memory above {INFLUX_MEMORY_ALARM_PERCENT:g}%: its index and "
                      "caches live in memory and the process is close to being OOM-killed."),
            AlarmSpec("disk", disk, "GreaterThanThreshold", disk_limit,
                      f"InfluxDB disk above {disk_limit:g}% (less than "
                      f"{thresholds.storage_free_percent}% free, the platform's storage alarm): "
                      "storage does not grow by itself and writes fail when it is full; raise "
                      "allocated storage or shorten bucket retention."),
        ]

    def catalog_entry(self) -> dict[str, pulumi.Input[Any]]:
        return {"kind": self.kind, "name": self._store_name, "engine": "influxdb",
                "arn": self.instance.arn, "secret": self.secret.arn, "key": self._key.arn,
                "logBucket": self.log_bucket.arn}


class TableRetentionArgs(TypedDict):
    memory_retention_hours: int
    """How long records stay in the memory store (fast queries, late-arrival writes)."""
    magnetic_retention_days: int
    """How long records are kept in the magnetic store before they are deleted."""


class LiveAnalyticsDatabaseArgs(TypedDict):
    database_name: str
    """Physical database name, unique in the account and region, e.g. `dev-analytics`."""
    key: EncryptionKey
    """The owner's key: the database and its rejected-records bucket."""
    tags: Mapping[str, str]
    """The five ownership tags."""
    tables: Mapping[str, TableRetentionArgs]
    """Tables by name, with their retention."""
    protect: NotRequired[bool]
    """Pulumi protect + retain on delete for the database, tables and bucket. Default: off."""


class LiveAnalyticsDatabase(pulumi.ComponentResource):
    """A Timestream for LiveAnalytics database and its tables, encrypted with the owner's key."""

    kind = "timeseries"
    ports: tuple[int, ...] = ()  # AWS API only
    database: aws.timestreamwrite.Database
    tables: dict[str, aws.timestreamwrite.Table]
    rejected_bucket: aws.s3.Bucket

    def __init__(self, name: str, args: LiveAnalyticsDatabaseArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:LiveAnalyticsDatabase", name, None, opts)
        self._store_name = name
        tags = require_tags(args["tags"], name)
        self._key: EncryptionKey = args["key"]
        protect = args.get("protect", False)
        physical = args["database_name"]
        self.database = aws.timestreamwrite.Database(
            f"{name}-database", database_name=physical, kms_key_id=self._key.arn, tags=tags,
            opts=stateful_options(self, protect))
        self.rejected_bucket = encrypted_bucket(
            self, f"{name}-rejected", f"{physical}-rejected", self._key, tags, protect)
        self.tables = {}
        for table, retention in args["tables"].items():
            self.tables[table] = aws.timestreamwrite.Table(
                f"{name}-{table}", database_name=self.database.database_name, table_name=table,
                retention_properties=aws.timestreamwrite.TableRetentionPropertiesArgs(
                    memory_store_retention_period_in_hours=retention["memory_retention_hours"],
                    magnetic_store_retention_period_in_days=retention["magnetic_retention_days"]),
                magnetic_store_write_properties=aws.timestreamwrite.
                TableMagneticStoreWritePropertiesArgs(
                    enable_magnetic_store_writes=True,
                    magnetic_store_rejected_data_location=aws.timestreamwrite.
                    TableMagneticStoreWritePropertiesMagneticStoreRejectedDataLocationArgs(
                        s3_configuration=aws.timestreamwrite.
                        TableMagneticStoreWritePropertiesMagneticStoreRejectedDataLocationS3ConfigurationArgs(
                            bucket_name=self.rejected_bucket.id, encryption_option="SSE_KMS",
                            kms_key_id=self._key.arn, object_key_prefix=f"{table}/"))),
                tags=tags, opts=stateful_options(self, protect))
        self.register_outputs({"arn": self.database.arn})

    def _grant(self, role: aws.iam.Role, verb: str, actions: tuple[str, ...],
               key_statement: dict[str, Any]) -> aws.iam.RolePolicy:
        return attach_grant(self, f"{self._store_name}-{verb}-{role.pulumi_resource_name}", role, [
            statement(actions, [t.arn for t in self.tables.values()], sid=f"{verb.title()}Tables"),
            # Endpoint discovery is not a data action and AWS accepts only Resource "*" for it.
            statement(TIMESTREAM_DESCRIBE_ENDPOINTS, ["*"], sid="DiscoverEndpoints"),
            key_statement,
        ])

    def grant_read(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Query this database's tables; decrypt with the owner's key."""
        return self._grant(role, "read", TIMESTREAM_READ, self._key.decrypt_statement())

    def grant_write(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Write records to this database's tables; encrypt/decrypt with the owner's key."""
        return self._grant(role, "write", TIMESTREAM_WRITE,
                           self._key.encrypt_decrypt_statement())

    def metrics(self) -> list[Metric]:
        """Account-wide UserErrors/SystemErrors per operation, and per table the WriteRecords
        latency and records the magnetic store rejected (these carry the table's dimensions)."""
        out = [Metric(TIMESTREAM_NAMESPACE, n, {"Operation": op}, "Sum",
                      label=f"{op} {n}")
               for op in TIMESTREAM_OPERATIONS for n in ("UserErrors", "SystemErrors")]
        for table_name, table in self.tables.items():
            dims: dict[str, pulumi.Input[str]] = {"DatabaseName": self.database.database_name,
                                                  "TableName": table.table_name}
            out.append(Metric(TIMESTREAM_NAMESPACE, "SuccessfulRequestLatency",
                              {**dims, "Operation": "WriteRecords"},
                              label=f"{table_name} write latency"))
            out.append(Metric(TIMESTREAM_NAMESPACE, "MagneticStoreRejectedRecordCount", dims,
                              "Sum", label=f"{table_name} rejected records"))
        return out

    def alarm_specs(self, thresholds: AlarmThresholds) -> list[AlarmSpec]:
        specs: list[AlarmSpec] = []
        for metric in self.metrics():
            op = str(metric.dimensions.get("Operation", ""))
            table = metric.label.split(" ")[0]
            if metric.name == "SystemErrors":
                specs.append(AlarmSpec(
                    f"{op.lower()}-system-errors", metric, "GreaterThanThreshold", 0.0,
                    f"Timestream returned server errors for {op} in three periods: an AWS-side "
                    "fault; writers retry but may be dropping data. Account-wide: the metric "
                    "has only the Operation dimension.", treat_missing_data="notBreaching"))
            elif metric.name == "UserErrors":
                specs.append(AlarmSpec(
                    f"{op.lower()}-user-errors", metric, "GreaterThanThreshold",
                    USER_ERRORS_PER_PERIOD,
                    f"More than {USER_ERRORS_PER_PERIOD:g} rejected {op} requests per 5 minutes: "
                    "a client sends invalid records (timestamps outside retention, schema "
                    "conflicts) or lacks permission. Account-wide.",
                    treat_missing_data="notBreaching"))
            elif metric.name == "SuccessfulRequestLatency":
                specs.append(AlarmSpec(
                    f"{table}-write-latency", metric, "GreaterThanThreshold", WRITE_LATENCY_MS,
                    f"WriteRecords to {table} averages over {WRITE_LATENCY_MS:g} ms (normally "
                    "tens of ms): writers back up and ingestion lags."))
            else:
                specs.append(AlarmSpec(
                    f"{table}-rejected-records", metric, "GreaterThanThreshold", 0.0,
                    f"The magnetic store rejected records for {table}: they are not queryable; "
                    "the report is in the rejected-records bucket.",
                    treat_missing_data="notBreaching"))
        return specs

    def catalog_entry(self) -> dict[str, pulumi.Input[Any]]:
        return {"kind": self.kind, "name": self._store_name, "engine": "liveanalytics",
                "arn": self.database.arn, "tables": sorted(self.tables), "key": self._key.arn,
                "rejectedRecordsBucket": self.rejected_bucket.arn}
