"""Timestream stores, private and keyed to their owner: InfluxDB instances (admitted only from
named security groups, engine logs in an encrypted bucket, credentials in the secret the
service keeps) and LiveAnalytics databases (encrypted with the owner's key, rejected records
kept in an encrypted bucket; for accounts that already use LiveAnalytics).

InfluxDB credentials: Timestream for InfluxDB stores the initial organization, bucket, user and
password in a Secrets Manager secret of its own and returns its ARN as
`influxAuthParametersSecretArn`
(https://docs.aws.amazon.com/timestream/latest/developerguide/timestream-for-influx-db-connecting.html).
Grants point at that secret; this component keeps no second copy. A copy of its own would hold
the same long-lived password twice, and Secrets Manager cannot rotate it (FSBP
SecretsManager.1) without a rotation function that reaches the instance inside the VPC, which
the component cannot provide. The service's secret is not rotated either (AWS: "By default,
this secret doesn't have rotation enabled"); rotation of InfluxDB users and tokens is set up on
secrets made for them, with AWS's InfluxDB rotation templates.
"""

import functools
from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components import _args
from components._args import ComponentArgsError
from components._arns import KMS_KEY_ARN_MAX_CHARS, arn_max_chars
from components._bucket import bucket_prefix, encrypted_bucket
from components._ingress import StoreIngress
from components._perms import (
    ARN_CHARS,
    KMS_DECRYPT,
    KMS_ENCRYPT_DECRYPT,
    SECRET_READ,
    TIMESTREAM_DESCRIBE_ENDPOINTS,
    TIMESTREAM_READ,
    TIMESTREAM_WRITE,
    Grant,
    grant,
    statement,
)
from components._store import (
    AlarmSpec,
    AlarmThresholds,
    GrantsAsPolicies,
    Metric,
    check_names,
    store_key,
)
from components._timeseries_alarms import influx_alarms, influx_metrics, live_alarms, live_metrics
from components.lifecycle import LifecycleArgs, lifecycle_options

__all__ = [
    "INFLUX_REPLACE_ON_CHANGE",
    "LIVE_ANALYTICS_NOTICE",
    "InfluxDbInstance",
    "InfluxDbInstanceArgs",
    "LiveAnalyticsDatabase",
    "LiveAnalyticsDatabaseArgs",
    "TableRetentionArgs",
    "influx_physical_names",
    "live_analytics_physical_names",
]

INFLUX_PORT = 8086
DEFAULT_INFLUX_INSTANCE_TYPE = "db.influx.medium"
DEFAULT_INFLUX_STORAGE_GIB = 20
INFLUX_STORAGE_TYPE = "InfluxIOIncludedT1"
DEFAULT_INFLUX_USERNAME = "dbadmin"
DEFAULT_INFLUX_ORGANIZATION = "default"
DEFAULT_INFLUX_BUCKET = "default"
INFLUX_LOG_WRITER = "timestream-influxdb.amazonaws.com"

INFLUX_REPLACE_ON_CHANGE = ("instance_name", "vpc_id", "subnet_ids", "username",
                            "organization", "bucket")
"""InfluxDbInstance inputs whose change replaces the instance and loses its data: the instance's
name, subnets, security groups (the group is replaced with its VPC), user, organization and
bucket are create-only (pulumi_aws timestreaminfluxdb/db_instance.py documents only the other
arguments as updatable). A different AZ count gives different `subnet_ids`: the blueprint must
refuse it unless acknowledged."""

LIVE_ANALYTICS_NOTICE = (
    "Timestream for LiveAnalytics is closed to new customers since 2025-06-20: it deploys only "
    "in accounts that already use it. New accounts: use InfluxDbInstance.")


class InfluxDbInstanceArgs(TypedDict):
    """Inputs of an InfluxDbInstance."""

    instance_name: str
    """Physical name (3-40 letters, digits, single hyphens), e.g. `dev-telemetry-influx`;
    also the prefix of its buckets and the security group's name. Changing it replaces the
    instance."""
    vpc_id: pulumi.Input[str]
    """VPC of the security group. Changing it replaces the instance."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Subnets of the instance (isolated ones); two in different AZs with `multi_az`.
    Changing them replaces the instance (see INFLUX_REPLACE_ON_CHANGE)."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Key of the engine-log bucket. Default: an own EncryptionKey `<name>-key` (callers
    through `s3`; the InfluxDB service principal writes the logs)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of every resource. Default: none."""
    lifecycle: NotRequired[LifecycleArgs]
    """Protection of the instance, its buckets and security group. Default: see LifecycleArgs."""
    allowed_security_group_ids: NotRequired[Sequence[pulumi.Input[str]]]
    """Security groups admitted on 8086 (as `allow_from`, keyed by position). Default: none."""
    allowed_cidrs: NotRequired[Sequence[str]]
    """IPv4 networks admitted on 8086, for clients without a security group. Default: none."""
    instance_type: NotRequired[str]
    """Default: `db.influx.medium`."""
    allocated_storage_gib: NotRequired[int]
    """Storage, 20-16384 GiB. Default: 20."""
    multi_az: NotRequired[bool]
    """A standby in another AZ (WITH_MULTIAZ_STANDBY). Default: off (SINGLE_AZ)."""
    username: NotRequired[str]
    """Initial administrator. Default: `dbadmin`."""
    organization: NotRequired[str]
    """Initial InfluxDB organization. Default: `default`."""
    bucket: NotRequired[str]
    """Initial InfluxDB bucket. Default: `default`."""
    server_access_logging: NotRequired[bool]
    """S3 server access logs of the engine-log bucket (FSBP S3.9), kept in a dedicated SSE-S3
    bucket (S3 cannot deliver them to an SSE-KMS bucket). Default: on."""


class InfluxDbInstance(GrantsAsPolicies, pulumi.ComponentResource):
    """A private Timestream for InfluxDB instance; credentials only through its grants."""

    KMS_CALLER_SERVICES = ("s3",)
    """Readers of the engine-log bucket use the key through S3."""
    KMS_SERVICE_PRINCIPALS = (INFLUX_LOG_WRITER,)
    """Timestream for InfluxDB writes the engine logs as itself."""
    kind = "timeseries"
    ports = (INFLUX_PORT,)

    arn: pulumi.Output[str]
    """The instance ARN."""
    endpoint: pulumi.Output[str]
    """Host name clients connect to on port 8086."""
    security_group_id: pulumi.Output[str]
    """The instance's security group (admits only what `allow_from` and the lists name)."""
    credentials_secret_arn: pulumi.Output[str]
    """The secret Timestream for InfluxDB keeps with the initial credentials."""
    log_bucket_name: pulumi.Output[str]
    """Bucket receiving the engine logs."""
    kms_key_arn: pulumi.Output[str]
    """The key of the engine-log bucket."""

    def __init__(self, name: str, args: InfluxDbInstanceArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:InfluxDbInstance", name, None, opts)
        args = _args.validate("InfluxDbInstance", name, args, InfluxDbInstanceArgs)
        self._name = name
        self._tags = dict(args.get("tags", {}))
        lifecycle: LifecycleArgs = args.get("lifecycle", {})
        physical = args["instance_name"]
        multi_az = args.get("multi_az", False)
        if multi_az and len(args["subnet_ids"]) < 2:
            raise ComponentArgsError(f"InfluxDbInstance {name!r}: multi_az needs two subnet_ids "
                                     f"in different AZs (received {len(args['subnet_ids'])})")
        check_names("InfluxDbInstance", name, influx_physical_names(physical))
        self._key_arn = store_key(self, name, args, description=f"InfluxDB {physical} logs",
                                  caller_services=self.KMS_CALLER_SERVICES,
                                  service_principals=self.KMS_SERVICE_PRINCIPALS)
        self._ingress = StoreIngress(
            self, name, group_name=physical, vpc_id=args["vpc_id"], port=INFLUX_PORT,
            description=f"InfluxDB {physical}: 8086 from admitted security groups only",
            tags=self._tags, lifecycle=lifecycle,
            allowed_security_group_ids=list(args.get("allowed_security_group_ids", [])),
            allowed_cidrs=list(args.get("allowed_cidrs", [])))
        # The password is create-only on the instance: it must never regenerate.
        password = random.RandomPassword(
            f"{name}-password", length=32, special=False, min_lower=4, min_upper=4,
            min_numeric=4, opts=pulumi.ResourceOptions(parent=self))
        log_bucket, log_bucket_ready = encrypted_bucket(
            self, f"{name}-logs", f"{physical}-logs", kms_key_arn=self._key_arn,
            tags=self._tags, lifecycle=lifecycle, writer_service=INFLUX_LOG_WRITER,
            access_logs=args.get("server_access_logging", True))
        self._instance = aws.timestreaminfluxdb.DbInstance(
            f"{name}-instance", name=physical,
            db_instance_type=args.get("instance_type", DEFAULT_INFLUX_INSTANCE_TYPE),
            allocated_storage=args.get("allocated_storage_gib", DEFAULT_INFLUX_STORAGE_GIB),
            db_storage_type=INFLUX_STORAGE_TYPE,
            deployment_type="WITH_MULTIAZ_STANDBY" if multi_az else "SINGLE_AZ",
            username=args.get("username", DEFAULT_INFLUX_USERNAME), password=password.result,
            organization=args.get("organization", DEFAULT_INFLUX_ORGANIZATION),
            bucket=args.get("bucket", DEFAULT_INFLUX_BUCKET),
            port=INFLUX_PORT, publicly_accessible=False, network_type="IPV4",
            vpc_subnet_ids=list(args["subnet_ids"]),
            vpc_security_group_ids=[self._ingress.group_id],
            log_delivery_configuration=aws.timestreaminfluxdb.DbInstanceLogDeliveryConfigurationArgs(
                s3_configuration=aws.timestreaminfluxdb.
                DbInstanceLogDeliveryConfigurationS3ConfigurationArgs(
                    bucket_name=log_bucket.id, enabled=True)),
            tags=self._tags,
            # Log delivery starts with the instance: the bucket must admit and encrypt first.
            opts=lifecycle_options(self, lifecycle, depends_on=log_bucket_ready))
        self.arn = self._instance.arn
        self.endpoint = self._instance.endpoint
        self.security_group_id = self._ingress.group_id
        self.credentials_secret_arn = self._instance.influx_auth_parameters_secret_arn.apply(
            functools.partial(_created_secret, physical))
        self.log_bucket_name = log_bucket.id
        self.kms_key_arn = pulumi.Output.from_input(self._key_arn)
        self.register_outputs({"arn": self.arn, "endpoint": self.endpoint,
                               "securityGroupId": self.security_group_id,
                               "credentialsSecretArn": self.credentials_secret_arn,
                               "logBucketName": self.log_bucket_name,
                               "kmsKeyArn": self.kms_key_arn})

    def allow_from(self, name: str, security_group_id: pulumi.Input[str],
                   description: str = "") -> aws.vpc.SecurityGroupIngressRule:
        """Admit clients in `security_group_id` on 8086 (rule `<store>-allow-<name>`)."""
        return self._ingress.allow_from(name, security_group_id, description)

    def read_grants(self) -> list[Grant]:
        """Read the credentials secret. No key statement: the service's secret is not under
        the component's key (which only protects the engine logs, not granted here), and the
        key that does protect it is AWS's, usable by the account's principals through
        Secrets Manager. The secret's name is the service's: bounded by the generic ARN size."""
        return [grant([statement(SECRET_READ, [self.credentials_secret_arn],
                                 sid="ReadCredentials")], output_chars=ARN_CHARS)]

    def write_grants(self) -> list[Grant]:
        """InfluxDB authorises writes by its own credentials: the same secret as reads."""
        return self.read_grants()


    def metrics(self) -> list[Metric]:
        return influx_metrics(self._instance.name, self._name)

    def alarm_specs(self, thresholds: AlarmThresholds | None = None) -> list[AlarmSpec]:
        return influx_alarms(self.metrics(), thresholds or AlarmThresholds())

    def catalog_entry(self) -> dict[str, pulumi.Input[Any]]:
        return {"kind": self.kind, "name": self._name, "engine": "influxdb",
                "arn": self._instance.arn, "secret": self.credentials_secret_arn,
                "key": self._key_arn, "logBucket": self.log_bucket_name}


class TableRetentionArgs(TypedDict):
    """How long a LiveAnalytics table keeps records."""

    memory_retention_hours: int
    """How long records stay in the memory store (fast queries, late-arrival writes)."""
    magnetic_retention_days: int
    """How long records are kept in the magnetic store before they are deleted."""


class LiveAnalyticsDatabaseArgs(TypedDict):
    """Inputs of a LiveAnalyticsDatabase."""

    database_name: str
    """Physical database name, unique in the account and region, e.g. `dev-analytics`; also
    the prefix of the rejected-records bucket."""
    tables: Mapping[str, TableRetentionArgs]
    """Tables by name, with their retention."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Key of the database and its rejected-records bucket. Default: an own EncryptionKey
    `<name>-key` (callers through `timestream` and `s3`)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of every resource. Default: none."""
    lifecycle: NotRequired[LifecycleArgs]
    """Protection of the database, its tables and buckets. Default: see LifecycleArgs."""
    server_access_logging: NotRequired[bool]
    """S3 server access logs of the rejected-records bucket (FSBP S3.9), kept in a dedicated
    SSE-S3 bucket. Default: on."""


class LiveAnalyticsDatabase(GrantsAsPolicies, pulumi.ComponentResource):
    """A Timestream for LiveAnalytics database and its tables, encrypted with the owner's key.
    Closed to new customers since 2025-06-20: see LIVE_ANALYTICS_NOTICE."""

    KMS_CALLER_SERVICES = ("timestream", "s3")
    """Timestream (the database) and S3 (the rejected-records bucket) use the key as their
    caller."""
    kind = "timeseries"
    ports = ()  # AWS API only

    arn: pulumi.Output[str]
    """The database ARN."""
    database_name: pulumi.Output[str]
    """The database name."""
    rejected_bucket_name: pulumi.Output[str]
    """Bucket receiving the magnetic store's rejected-record reports."""
    kms_key_arn: pulumi.Output[str]
    """The key of the database."""

    def __init__(self, name: str, args: LiveAnalyticsDatabaseArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:LiveAnalyticsDatabase", name, None, opts)
        args = _args.validate("LiveAnalyticsDatabase", name, args, LiveAnalyticsDatabaseArgs)
        self._name, self._args = name, args
        self._tags = dict(args.get("tags", {}))
        lifecycle: LifecycleArgs = args.get("lifecycle", {})
        physical = args["database_name"]
        check_names("LiveAnalyticsDatabase", name,
                    live_analytics_physical_names(physical, list(args["tables"])))
        pulumi.log.warn(f"{name}: {LIVE_ANALYTICS_NOTICE}", resource=self)
        self._key_arn = store_key(self, name, args, description=f"Timestream {physical}",
                                  caller_services=self.KMS_CALLER_SERVICES)
        keep = lifecycle_options(self, lifecycle)
        self._database = aws.timestreamwrite.Database(
            f"{name}-database", database_name=physical, kms_key_id=self._key_arn,
            tags=self._tags, opts=keep)
        rejected, _ = encrypted_bucket(
            self, f"{name}-rejected", f"{physical}-rejected", kms_key_arn=self._key_arn,
            tags=self._tags, lifecycle=lifecycle,
            access_logs=args.get("server_access_logging", True))
        self._tables: dict[str, aws.timestreamwrite.Table] = {}
        for table, retention in args["tables"].items():
            self._tables[table] = aws.timestreamwrite.Table(
                f"{name}-{table}", database_name=self._database.database_name, table_name=table,
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
                            bucket_name=rejected.id, encryption_option="SSE_KMS",
                            kms_key_id=self._key_arn, object_key_prefix=f"{table}/"))),
                tags=self._tags, opts=keep)
        self.arn = self._database.arn
        self.database_name = self._database.database_name
        self.rejected_bucket_name = rejected.id
        self.kms_key_arn = pulumi.Output.from_input(self._key_arn)
        self.register_outputs({"arn": self.arn, "databaseName": self.database_name,
                               "rejectedBucketName": self.rejected_bucket_name,
                               "kmsKeyArn": self.kms_key_arn})

    def _grants(self, verb: str, actions: tuple[str, ...],
                key_actions: tuple[str, ...]) -> list[Grant]:
        longest = max([len(t) for t in self._tables] or [0])
        bound = max(arn_max_chars("timestream", len("database//table/")
                                  + len(self._args["database_name"]) + longest),
                    KMS_KEY_ARN_MAX_CHARS)
        return [grant([
            statement(actions, [t.arn for t in self._tables.values()],
                      sid=f"{verb.title()}Tables"),
            # Endpoint discovery is not a data action and AWS accepts only Resource "*" for it.
            statement(TIMESTREAM_DESCRIBE_ENDPOINTS, ["*"], sid="DiscoverEndpoints"),
            statement(key_actions, [self._key_arn], sid="Key"),
        ], output_chars=bound)]

    def read_grants(self) -> list[Grant]:
        """Query this database's tables; decrypt with the key."""
        return self._grants("read", TIMESTREAM_READ, KMS_DECRYPT)

    def write_grants(self) -> list[Grant]:
        """Write records to this database's tables; encrypt and decrypt with the key."""
        return self._grants("write", TIMESTREAM_WRITE, KMS_ENCRYPT_DECRYPT)


    def metrics(self) -> list[Metric]:
        return live_metrics(self._database.database_name,
                            {table: t.table_name for table, t in self._tables.items()})

    def alarm_specs(self, thresholds: AlarmThresholds | None = None) -> list[AlarmSpec]:
        del thresholds  # LiveAnalytics thresholds are absolute (errors, latency, rejections)
        return live_alarms(self.metrics())

    def catalog_entry(self) -> dict[str, pulumi.Input[Any]]:
        return {"kind": self.kind, "name": self._name, "engine": "liveanalytics",
                "arn": self._database.arn, "tables": sorted(self._tables), "key": self._key_arn,
                "rejectedRecordsBucket": self.rejected_bucket_name}


def _created_secret(instance_name: str, arn: str | None) -> str:
    """AWS fills `influxAuthParametersSecretArn` once the instance is available, which the
    provider waits for on create; an empty value would otherwise surface as an IAM error."""
    if not arn:
        raise ValueError(f"InfluxDB {instance_name} reports no influxAuthParametersSecretArn: "
                         "its credentials secret is not known yet")
    return arn


def influx_physical_names(instance_name: str) -> list[tuple[str, str]]:
    """The physical names an InfluxDbInstance creates, as (kind, name); pure."""
    return [("influxdb-instance", instance_name), ("security-group", instance_name),
            ("s3-bucket-prefix", bucket_prefix(f"{instance_name}-logs"))]


def live_analytics_physical_names(database_name: str,
                                  tables: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The physical names a LiveAnalyticsDatabase creates, as (kind, name); pure."""
    return [("timestream-database", database_name),
            *(("timestream-table", table) for table in tables),
            ("s3-bucket-prefix", bucket_prefix(f"{database_name}-rejected"))]
