"""DynamoDB tables encrypted with the owner's key, point-in-time recoverable, deletion-protected,
on-demand or autoscaled (FSBP DynamoDB.1), with exact-ARN grants.
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import _args
from components._args import ComponentArgsError
from components._arns import KMS_KEY_ARN_MAX_CHARS, arn_max_chars
from components._dynamodb_alarms import table_alarms, table_metrics
from components._perms import (
    DYNAMODB_READ,
    DYNAMODB_READ_STREAM,
    DYNAMODB_WRITE,
    KMS_DECRYPT,
    KMS_ENCRYPT_DECRYPT,
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
from components.lifecycle import LifecycleArgs, deletion_protection, lifecycle_options

__all__ = [
    "REPLACE_ON_CHANGE",
    "AttributeArgs",
    "AttributeType",
    "BillingMode",
    "CapacityArgs",
    "GlobalIndexArgs",
    "KeyValueTable",
    "KeyValueTableArgs",
    "Projection",
    "physical_names",
]

REPLACE_ON_CHANGE = ("table_name", "partition_key", "sort_key")
"""Inputs whose change replaces the table (an empty one): its name and key schema are
create-only (terraform-provider-aws dynamodb/table.go, ForceNew)."""
DEFAULT_PITR_RECOVERY_DAYS = 35
DEFAULT_TARGET_UTILIZATION_PERCENT = 70
_STREAM_LABEL_CHARS = len("2024-01-01T00:00:00.000")
"""A stream ARN ends `/stream/<label>`, the label being the stream's creation timestamp."""


class AttributeType(StrEnum):
    """DynamoDB scalar key types."""

    S = "S"
    """String."""
    N = "N"
    """Number."""
    B = "B"
    """Binary."""


class BillingMode(StrEnum):
    """How capacity is paid for."""

    PAY_PER_REQUEST = "PAY_PER_REQUEST"
    """On-demand: no capacity planning, pay per request."""
    PROVISIONED = "PROVISIONED"
    """Provisioned capacity, autoscaled between `capacity` bounds."""


class Projection(StrEnum):
    """Attributes copied into a global secondary index."""

    ALL = "ALL"
    """Every attribute."""
    KEYS_ONLY = "KEYS_ONLY"
    """The table's and the index's key attributes only."""


DEFAULT_ATTRIBUTE_TYPE = AttributeType.S
DEFAULT_BILLING_MODE = BillingMode.PAY_PER_REQUEST
DEFAULT_PROJECTION = Projection.ALL


class AttributeArgs(TypedDict):
    """A key attribute."""

    name: str
    """Attribute name."""
    type: NotRequired[AttributeType]
    """Scalar type. Default: `S` (string)."""


class GlobalIndexArgs(TypedDict):
    """A global secondary index."""

    partition_key: AttributeArgs
    """The index's partition key."""
    sort_key: NotRequired[AttributeArgs]
    """The index's sort key. Default: none."""
    projection: NotRequired[Projection]
    """Attributes copied into the index. Default: `ALL`."""


class CapacityArgs(TypedDict):
    """Autoscaling bounds (units per second), applied to the table and each index."""

    read_min: int
    """Fewest read capacity units."""
    read_max: int
    """Most read capacity units."""
    write_min: int
    """Fewest write capacity units."""
    write_max: int
    """Most write capacity units."""
    target_utilization_percent: NotRequired[int]
    """Autoscaling target, 20-90. Default: 70."""


class KeyValueTableArgs(TypedDict):
    """Inputs of a KeyValueTable."""

    table_name: str
    """Physical table name, unique in the account and region (e.g. `dev-payments-intents`)."""
    partition_key: AttributeArgs
    """The table's partition key."""
    sort_key: NotRequired[AttributeArgs]
    """The table's sort key. Default: none (a simple primary key)."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Key for server-side encryption of the table, its indexes, stream and backups.
    Default: an own EncryptionKey `<name>-key` (callers through `dynamodb`)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags of every resource. Default: none."""
    lifecycle: NotRequired[LifecycleArgs]
    """Protection of the table (deletion protection included). Default: see LifecycleArgs."""
    global_indexes: NotRequired[Mapping[str, GlobalIndexArgs]]
    """Global secondary indexes by name. Default: none."""
    billing_mode: NotRequired[BillingMode]
    """Default: `PAY_PER_REQUEST`."""
    capacity: NotRequired[CapacityArgs]
    """Required with `PROVISIONED` (and only then): autoscaling bounds."""
    ttl_attribute: NotRequired[str]
    """Epoch-seconds attribute after which items expire. Default: no TTL."""
    stream: NotRequired[bool]
    """Publish NEW_AND_OLD_IMAGES change records. Default: off."""
    pitr_recovery_days: NotRequired[int]
    """Point-in-time recovery window, 1-35 days. Default: 35 (the maximum)."""


class KeyValueTable(GrantsAsPolicies, pulumi.ComponentResource):
    """One DynamoDB table, reached only through AWS APIs and its grants."""

    KMS_CALLER_SERVICES = ("dynamodb",)
    """DynamoDB uses the key as the principal that called it (the deployer, the workload)."""
    kind = "dynamodb"
    ports = ()  # AWS API only, through the gateway endpoint

    arn: pulumi.Output[str]
    """The table ARN."""
    table_name: pulumi.Output[str]
    """The table name."""
    stream_arn: pulumi.Output[str]
    """The stream ARN (empty without `stream`)."""
    kms_key_arn: pulumi.Output[str]
    """The key encrypting the table."""

    def __init__(self, name: str, args: KeyValueTableArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:KeyValueTable", name, None, opts)
        args = _args.validate("KeyValueTable", name, args, KeyValueTableArgs)
        self._name, self._args = name, args
        self._tags = dict(args.get("tags", {}))
        self._indexes: dict[str, GlobalIndexArgs] = dict(args.get("global_indexes", {}))
        self._stream = args.get("stream", False)
        mode = args.get("billing_mode", DEFAULT_BILLING_MODE)
        self._capacity = args.get("capacity")
        if (mode is BillingMode.PROVISIONED) != (self._capacity is not None):
            raise ComponentArgsError(
                f"KeyValueTable {name!r}: 'capacity' goes with billing_mode PROVISIONED and "
                f"only with it (billing_mode {mode.value}, capacity "
                f"{'given' if self._capacity else 'missing'})")
        check_names("KeyValueTable", name, physical_names(args["table_name"]))
        attributes = _attribute_definitions(name, args, self._indexes)
        self._key_arn = store_key(self, name, args, description=f"DynamoDB {args['table_name']}",
                                  caller_services=self.KMS_CALLER_SERVICES)
        lifecycle: LifecycleArgs = args.get("lifecycle", {})
        cap = self._capacity
        self._table = aws.dynamodb.Table(
            f"{name}-table",
            name=args["table_name"],
            billing_mode=mode.value,
            hash_key=args["partition_key"]["name"],
            range_key=args["sort_key"]["name"] if "sort_key" in args else None,
            attributes=[aws.dynamodb.TableAttributeArgs(name=n, type=t.value)
                        for n, t in attributes],
            global_secondary_indexes=[_index_args(index, spec, cap)
                                      for index, spec in self._indexes.items()] or None,
            read_capacity=cap["read_min"] if cap else None,
            write_capacity=cap["write_min"] if cap else None,
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(
                enabled=True, kms_key_arn=self._key_arn),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(
                enabled=True, recovery_period_in_days=args.get("pitr_recovery_days",
                                                               DEFAULT_PITR_RECOVERY_DAYS)),
            deletion_protection_enabled=deletion_protection(lifecycle),
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=args["ttl_attribute"], enabled=True)
            if "ttl_attribute" in args else None,
            stream_enabled=self._stream,
            stream_view_type="NEW_AND_OLD_IMAGES" if self._stream else None,
            table_class="STANDARD",
            tags=self._tags,
            # Autoscaling owns the live capacity; the declared numbers are only the start.
            opts=lifecycle_options(self, lifecycle, ignore_changes=(
                ["readCapacity", "writeCapacity"] if cap else [])))
        if cap:
            self._autoscale("table", pulumi.Output.concat("table/", self._table.name),
                            "table", cap)
            for index in self._indexes:
                self._autoscale(f"index-{index}", pulumi.Output.concat(
                    "table/", self._table.name, "/index/", index), "index", cap)
        self.arn = self._table.arn
        self.table_name = self._table.name
        self.stream_arn = self._table.stream_arn
        self.kms_key_arn = pulumi.Output.from_input(self._key_arn)
        self.register_outputs({"arn": self.arn, "tableName": self.table_name,
                               "streamArn": self.stream_arn, "kmsKeyArn": self.kms_key_arn})

    def _autoscale(self, label: str, resource_id: pulumi.Input[str], level: str,
                   cap: CapacityArgs) -> None:
        """Target tracking on read and write capacity (FSBP DynamoDB.1)."""
        target_percent = float(cap.get("target_utilization_percent",
                                       DEFAULT_TARGET_UTILIZATION_PERCENT))
        bounds = {"read": (cap["read_min"], cap["read_max"]),
                  "write": (cap["write_min"], cap["write_max"])}
        for direction, unit in (("read", "Read"), ("write", "Write")):
            target = aws.appautoscaling.Target(
                f"{self._name}-{label}-{direction}-target",
                service_namespace="dynamodb", resource_id=resource_id,
                scalable_dimension=f"dynamodb:{level}:{unit}CapacityUnits",
                min_capacity=bounds[direction][0], max_capacity=bounds[direction][1],
                tags=self._tags, opts=pulumi.ResourceOptions(parent=self))
            aws.appautoscaling.Policy(
                f"{self._name}-{label}-{direction}-policy",
                policy_type="TargetTrackingScaling", service_namespace="dynamodb",
                resource_id=target.resource_id, scalable_dimension=target.scalable_dimension,
                target_tracking_scaling_policy_configuration=aws.appautoscaling.
                PolicyTargetTrackingScalingPolicyConfigurationArgs(
                    target_value=target_percent,
                    predefined_metric_specification=aws.appautoscaling.
                    PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                        predefined_metric_type=f"DynamoDB{unit}CapacityUtilization")),
                opts=pulumi.ResourceOptions(parent=self))

    # --- access ----------------------------------------------------------------------------------

    def index_arns(self) -> list[pulumi.Output[str]]:
        """Each GSI's ARN, listed exactly (no `/index/*`)."""
        return [pulumi.Output.concat(self._table.arn, "/index/", index)
                for index in self._indexes]

    def _arn_bound(self) -> int:
        """The longest ARN a grant names: the table's, an index's or the stream's."""
        table = len("table/") + len(self._args["table_name"])
        suffixes = [len("/index/") + len(index) for index in self._indexes]
        suffixes.append(len("/stream/") + _STREAM_LABEL_CHARS if self._stream else 0)
        return max(arn_max_chars("dynamodb", table + max(suffixes)), KMS_KEY_ARN_MAX_CHARS)

    def read_grants(self) -> list[Grant]:
        """Read items and indexes (and the stream, when on); decrypt with the key."""
        statements = [statement(DYNAMODB_READ, [self._table.arn, *self.index_arns()],
                                sid="ReadTable")]
        if self._stream:
            statements.append(statement(DYNAMODB_READ_STREAM, [self._table.stream_arn],
                                        sid="ReadStream"))
        statements.append(statement(KMS_DECRYPT, [self._key_arn], sid="Key"))
        return [grant(statements, output_chars=self._arn_bound())]

    def write_grants(self) -> list[Grant]:
        """Write items; encrypt and decrypt with the key."""
        return [grant([statement(DYNAMODB_WRITE, [self._table.arn], sid="WriteTable"),
                       statement(KMS_ENCRYPT_DECRYPT, [self._key_arn], sid="Key")],
                      output_chars=self._arn_bound())]


    # --- monitoring ------------------------------------------------------------------------------

    def metrics(self) -> list[Metric]:
        """Throttles (table and each index), system errors per operation, and consumed
        capacity when provisioned."""
        return table_metrics(self._table.name, self._args["table_name"], list(self._indexes),
                             provisioned=self._capacity is not None)

    def alarm_specs(self, thresholds: AlarmThresholds | None = None) -> list[AlarmSpec]:
        del thresholds  # DynamoDB thresholds are absolute (throttles, errors, capacity share)
        capacity = self._capacity
        maxima = {"read": capacity["read_max"], "write": capacity["write_max"]} \
            if capacity else None
        return table_alarms(self.metrics(), maxima)

    def catalog_entry(self) -> dict[str, pulumi.Input[Any]]:
        return {
            "kind": self.kind,
            "name": self._name,
            "table": self._args["table_name"],
            "arn": self._table.arn,
            "billing": "provisioned" if self._capacity else "on-demand",
            "indexes": sorted(self._indexes),
            "stream": self._stream,
            "key": self._key_arn,
        }


def physical_names(table_name: str) -> list[tuple[str, str]]:
    """The physical names a table creates, as (kind, name); pure."""
    return [("dynamodb-table", table_name)]


def _attribute(attr: AttributeArgs) -> tuple[str, AttributeType]:
    return attr["name"], attr.get("type", DEFAULT_ATTRIBUTE_TYPE)


def _attribute_definitions(name: str, args: KeyValueTableArgs,
                           indexes: Mapping[str, GlobalIndexArgs]
                           ) -> list[tuple[str, AttributeType]]:
    """Every key attribute of the table and its indexes, once; a clash in type is an error."""
    keys: list[AttributeArgs] = [args["partition_key"]]
    keys += [args["sort_key"]] if "sort_key" in args else []
    for spec in indexes.values():
        keys += [spec["partition_key"], *([spec["sort_key"]] if "sort_key" in spec else [])]
    seen: dict[str, AttributeType] = {}
    for attr in keys:
        attr_name, attr_type = _attribute(attr)
        if seen.setdefault(attr_name, attr_type) != attr_type:
            raise ComponentArgsError(
                f"KeyValueTable {name!r}: attribute {attr_name!r} is declared as both "
                f"{seen[attr_name].value} and {attr_type.value}")
    return list(seen.items())


def _index_args(index: str, spec: GlobalIndexArgs, cap: CapacityArgs | None
                ) -> aws.dynamodb.TableGlobalSecondaryIndexArgs:
    schema = [aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
        attribute_name=spec["partition_key"]["name"], key_type="HASH")]
    if "sort_key" in spec:
        schema.append(aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
            attribute_name=spec["sort_key"]["name"], key_type="RANGE"))
    return aws.dynamodb.TableGlobalSecondaryIndexArgs(
        name=index, key_schemas=schema,
        projection_type=spec.get("projection", DEFAULT_PROJECTION).value,
        read_capacity=cap["read_min"] if cap else None,
        write_capacity=cap["write_min"] if cap else None)

