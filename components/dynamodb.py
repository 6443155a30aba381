"""DynamoDB tables encrypted with the owner's key, point-in-time recoverable, deletion-protected
when protected, on-demand or autoscaled, with exact-ARN grants.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components._grant import attach_grant
from components._perms import DYNAMODB_READ, DYNAMODB_WRITE, statement
from components._store import AlarmSpec, AlarmThresholds, Metric
from components._tags import require_tags, stateful_options
from components.kms import EncryptionKey

__all__ = [
    "AttributeArgs",
    "CapacityArgs",
    "GlobalIndexArgs",
    "KeyValueTable",
    "KeyValueTableArgs",
]

NAMESPACE = "AWS/DynamoDB"
PERIOD_SECONDS = 300
CAPACITY_ALARM_FRACTION = 0.8
"""Consumed capacity above 80% of the autoscaling maximum: autoscaling has no room left and
throttling is next. Consumed*Units is a Sum per period, so the threshold is
0.8 x max units/s x period seconds."""
SYSTEM_ERROR_OPERATIONS = ("GetItem", "PutItem", "UpdateItem", "Query")
"""SystemErrors carries an Operation dimension; these are the calls services make most."""


class AttributeArgs(TypedDict):
    name: str
    """Attribute name."""
    type: NotRequired[Literal["S", "N", "B"]]
    """Scalar type. Default: `S` (string)."""


class GlobalIndexArgs(TypedDict):
    partition_key: AttributeArgs
    """The index's partition key."""
    sort_key: NotRequired[AttributeArgs]
    """The index's sort key. Default: none."""
    projection: NotRequired[Literal["ALL", "KEYS_ONLY"]]
    """Attributes copied into the index. Default: `ALL`."""


class CapacityArgs(TypedDict):
    read_min: int
    read_max: int
    write_min: int
    write_max: int
    target_utilization_percent: NotRequired[int]
    """Autoscaling target. Default: 70%."""


class KeyValueTableArgs(TypedDict):
    table_name: str
    """Physical table name, unique in the account and region (e.g. `dev-payments-intents`)."""
    key: EncryptionKey
    """The owner's key: server-side encryption of the table, its indexes, stream and backups."""
    tags: Mapping[str, str]
    """The five ownership tags."""
    partition_key: AttributeArgs
    """The table's partition key."""
    sort_key: NotRequired[AttributeArgs]
    """The table's sort key. Default: none (a simple primary key)."""
    global_indexes: NotRequired[Mapping[str, GlobalIndexArgs]]
    """Global secondary indexes by name. Default: none."""
    billing_mode: NotRequired[Literal["PAY_PER_REQUEST", "PROVISIONED"]]
    """Default: `PAY_PER_REQUEST` (on-demand, no capacity planning)."""
    capacity: NotRequired[CapacityArgs]
    """Required with `PROVISIONED`: autoscaling bounds for the table and each index."""
    ttl_attribute: NotRequired[str]
    """Epoch-seconds attribute after which items expire. Default: no TTL."""
    stream: NotRequired[bool]
    """Publish NEW_AND_OLD_IMAGES change records. Default: off."""
    pitr_recovery_days: NotRequired[int]
    """Point-in-time recovery window, 1-35 days. Default: 35 (the maximum)."""
    protect: NotRequired[bool]
    """Pulumi protect + retain on delete and DynamoDB deletion protection. Default: off."""


def _attribute(attr: AttributeArgs) -> tuple[str, str]:
    return attr["name"], attr.get("type", "S")


class KeyValueTable(pulumi.ComponentResource):
    """One DynamoDB table owned by one service."""

    kind = "dynamodb"
    ports: tuple[int, ...] = ()  # AWS API only, through the gateway endpoint
    table: aws.dynamodb.Table
    arn: pulumi.Output[str]
    table_name: str

    def __init__(self, name: str, args: KeyValueTableArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("strata:index:KeyValueTable", name, None, opts)
        self._store_name, self._args = name, args
        tags = require_tags(args["tags"], name)
        self._key: EncryptionKey = args["key"]
        self._indexes: Mapping[str, GlobalIndexArgs] = dict(args.get("global_indexes", {}))
        self._provisioned = args.get("billing_mode", "PAY_PER_REQUEST") == "PROVISIONED"
        self._capacity = args.get("capacity")
        if self._provisioned and self._capacity is None:
            raise ValueError(f"{name}: PROVISIONED billing needs capacity bounds")
        self._stream = args.get("stream", False)
        self.table_name = args["table_name"]
        protect = args.get("protect", False)
        cap = self._capacity if self._provisioned else None

        self.table = aws.dynamodb.Table(
            f"{name}-table",
            name=self.table_name,
            billing_mode=args.get("billing_mode", "PAY_PER_REQUEST"),
            hash_key=args["partition_key"]["name"],
            range_key=args["sort_key"]["name"] if "sort_key" in args else None,
            attributes=[aws.dynamodb.TableAttributeArgs(name=n, type=t)
                        for n, t in self._attribute_definitions()],
            global_secondary_indexes=[self._index_args(index, spec, cap)
                                      for index, spec in self._indexes.items()] or None,
            read_capacity=cap["read_min"] if cap else None,
            write_capacity=cap["write_min"] if cap else None,
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(
                enabled=True, kms_key_arn=self._key.arn),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(
                enabled=True, recovery_period_in_days=args.get("pitr_recovery_days", 35)),
            deletion_protection_enabled=protect,
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=args["ttl_attribute"], enabled=True)
            if "ttl_attribute" in args else None,
            stream_enabled=self._stream,
            stream_view_type="NEW_AND_OLD_IMAGES" if self._stream else None,
            table_class="STANDARD",
            tags=tags,
            # Autoscaling owns the live capacity; the declared numbers are only the start.
            opts=stateful_options(self, protect, ignore_changes=(
                ["readCapacity", "writeCapacity"] if cap else [])),
        )
        self.arn = self.table.arn
        if cap:
            self._autoscale("table", pulumi.Output.concat("table/", self.table.name),
                            "table", cap, tags)
            for index in self._indexes:
                self._autoscale(f"index-{index}", pulumi.Output.concat(
                    "table/", self.table.name, "/index/", index), "index", cap, tags)
        self.register_outputs({"arn": self.arn, "streamArn": self.table.stream_arn})

    def _attribute_definitions(self) -> list[tuple[str, str]]:
        """Every key attribute of the table and its indexes, once; a clash in type is an error."""
        keys = [self._args["partition_key"], *([self._args["sort_key"]]
                                               if "sort_key" in self._args else [])]
        for spec in self._indexes.values():
            keys += [spec["partition_key"], *([spec["sort_key"]] if "sort_key" in spec else [])]
        seen: dict[str, str] = {}
        for attr in keys:
            attr_name, attr_type = _attribute(attr)
            if seen.setdefault(attr_name, attr_type) != attr_type:
                raise ValueError(f"{self._store_name}: attribute {attr_name!r} is declared as "
                                 f"both {seen[attr_name]} and {attr_type}")
        return list(seen.items())

    @staticmethod
    def _index_args(index: str, spec: GlobalIndexArgs,
                    cap: CapacityArgs | None) -> aws.dynamodb.TableGlobalSecondaryIndexArgs:
        schema = [aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
            attribute_name=spec["partition_key"]["name"], key_type="HASH")]
        if "sort_key" in spec:
            schema.append(aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
                attribute_name=spec["sort_key"]["name"], key_type="RANGE"))
        return aws.dynamodb.TableGlobalSecondaryIndexArgs(
            name=index, key_schemas=schema, projection_type=spec.get("projection", "ALL"),
            read_capacity=cap["read_min"] if cap else None,
            write_capacity=cap["write_min"] if cap else None)

    def _autoscale(self, label: str, resource_id: pulumi.Input[str], level: str,
                   cap: CapacityArgs, tags: dict[str, str]) -> None:
        target_percent = float(cap.get("target_utilization_percent", 70))
        for direction, unit in (("read", "Read"), ("write", "Write")):
            dimension = f"dynamodb:{level}:{unit}CapacityUnits"
            target = aws.appautoscaling.Target(
                f"{self._store_name}-{label}-{direction}-target",
                service_namespace="dynamodb", resource_id=resource_id,
                scalable_dimension=dimension,
                min_capacity=cap[f"{direction}_min"],  # type: ignore[literal-required]
                max_capacity=cap[f"{direction}_max"],  # type: ignore[literal-required]
                tags=tags, opts=pulumi.ResourceOptions(parent=self))
            aws.appautoscaling.Policy(
                f"{self._store_name}-{label}-{direction}-policy",
                policy_type="TargetTrackingScaling", service_namespace="dynamodb",
                resource_id=target.resource_id, scalable_dimension=target.scalable_dimension,
                target_tracking_scaling_policy_configuration=aws.appautoscaling.
                PolicyTargetTrackingScalingPolicyConfigurationArgs(
                    target_value=target_percent,
                    predefined_metric_specification=aws.appautoscaling.
                    PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                        predefined_metric_type=f"DynamoDB{unit}CapacityUtilization")),
                opts=pulumi.ResourceOptions(parent=self))

    # --- DataStore -------------------------------------------------------------------------------

    def index_arns(self) -> list[pulumi.Output[str]]:
        """Each GSI's ARN, listed exactly (no `/index/*`)."""
        return [pulumi.Output.concat(self.table.arn, "/index/", index) for index in self._indexes]

    def grant_read(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Read items and indexes (and the stream, when on); decrypt with the owner's key."""
        resources: list[Any] = [self.table.arn, *self.index_arns()]
        if self._stream:
            resources.append(self.table.stream_arn)
        return attach_grant(self, f"{self._store_name}-read-{role.pulumi_resource_name}", role, [
            statement(DYNAMODB_READ, resources, sid="ReadTable"),
            self._key.decrypt_statement(),
        ])

    def grant_write(self, role: aws.iam.Role) -> aws.iam.RolePolicy:
        """Write items; encrypt and decrypt with the owner's key."""
        return attach_grant(self, f"{self._store_name}-write-{role.pulumi_resource_name}", role, [
            statement(DYNAMODB_WRITE, [self.table.arn], sid="WriteTable"),
            self._key.encrypt_decrypt_statement(),
        ])

    def metrics(self) -> list[Metric]:
        """Throttles (table and each index), system errors per operation, and consumed
        capacity when provisioned."""
        table: dict[str, pulumi.Input[str]] = {"TableName": self.table.name}
        out = [Metric(NAMESPACE, f"{d}ThrottleEvents", table, "Sum", PERIOD_SECONDS,
                      f"{self.table_name} {d} throttles") for d in ("Read", "Write")]
        for index in self._indexes:
            dims = {**table, "GlobalSecondaryIndexName": index}
            out += [Metric(NAMESPACE, f"{d}ThrottleEvents", dims, "Sum", PERIOD_SECONDS,
                           f"{self.table_name}/{index} {d} throttles") for d in ("Read", "Write")]
        out += [Metric(NAMESPACE, "SystemErrors", {**table, "Operation": op}, "Sum",
                       PERIOD_SECONDS, f"{self.table_name} {op} system errors")
                for op in SYSTEM_ERROR_OPERATIONS]
        if self._provisioned:
            out += [Metric(NAMESPACE, f"Consumed{d}CapacityUnits", table, "Sum", PERIOD_SECONDS,
                           f"{self.table_name} consumed {d.lower()} units")
                    for d in ("Read", "Write")]
        return out

    def alarm_specs(self, thresholds: AlarmThresholds) -> list[AlarmSpec]:
        specs: list[AlarmSpec] = []
        for metric in self.metrics():
            index = metric.dimensions.get("GlobalSecondaryIndexName")
            where = f"index {index}" if index else "table"
            slug = f"index-{index}-" if index else ""
            if metric.name.endswith("ThrottleEvents"):
                direction = metric.name.removesuffix("ThrottleEvents").lower()
                specs.append(AlarmSpec(
                    f"{slug}{direction}-throttles", metric, "GreaterThanThreshold", 0.0,
                    f"Requests to the {where} are being throttled ({direction}s): callers see "
                    "ProvisionedThroughputExceeded and retry. Any sustained throttling is a "
                    "capacity or hot-key problem, hence a threshold of zero over 3 periods.",
                    treat_missing_data="notBreaching"))
            elif metric.name == "SystemErrors":
                op = metric.dimensions["Operation"]
                specs.append(AlarmSpec(
                    f"system-errors-{str(op).lower()}", metric, "GreaterThanThreshold", 0.0,
                    f"DynamoDB returned HTTP 500s for {op}: an AWS-side fault. SDKs retry, but "
                    "errors in three consecutive periods mean callers are failing.",
                    treat_missing_data="notBreaching"))
            elif self._capacity is not None:
                direction = "read" if "Read" in metric.name else "write"
                maximum = self._capacity[f"{direction}_max"]  # type: ignore[literal-required]
                specs.append(AlarmSpec(
                    f"{direction}-capacity", metric, "GreaterThanThreshold",
                    CAPACITY_ALARM_FRACTION * maximum * PERIOD_SECONDS,
                    f"Consumed {direction} capacity is above {CAPACITY_ALARM_FRACTION:.0%} of the "
                    f"autoscaling maximum ({maximum} units/s x {PERIOD_SECONDS} s per period): "
                    "autoscaling is nearly out of room and throttling follows. Raise the "
                    "maximum or move to on-demand."))
        return specs

    def catalog_entry(self) -> dict[str, pulumi.Input[Any]]:
        return {
            "kind": self.kind,
            "name": self._store_name,
            "table": self.table_name,
            "arn": self.table.arn,
            "billing": "provisioned" if self._provisioned else "on-demand",
            "indexes": sorted(self._indexes),
            "stream": self._stream,
            "key": self._key.arn,
        }
