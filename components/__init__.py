"""Strata's component library: AWS data-platform building blocks for any Pulumi stack.

Each component takes plain inputs (IDs, ARNs, CIDRs), any tags and a lifecycle, and is the same
class whichever language uses it: Python imports it from here; TypeScript, Go, C# and YAML reach
it as `strata:index:<Class>` through the component provider host (`components.provider`).

Everything below is the public API, pinned by `tests/components/test_public_surface.py`: the
components, their argument TypedDicts, the enums and nested argument types those use,
`LifecycleArgs` and `ComponentArgsError`. Names not listed here (private `_x` modules,
module-level helpers) may change without notice.
"""

from __future__ import annotations

from components._args import ComponentArgsError
from components.alarms import (
    AlarmArgs,
    Alarms,
    AlarmsArgs,
    ComparisonOperator,
    ConsumerGroup,
    MetricArgs,
    MetricQueryArgs,
    MissingData,
)
from components.dynamodb import (
    AttributeArgs,
    AttributeType,
    BillingMode,
    CapacityArgs,
    GlobalIndexArgs,
    KeyValueTable,
    KeyValueTableArgs,
    Projection,
)
from components.eks import (
    ApiAccessArgs,
    EksCluster,
    EksClusterArgs,
    NodeAmi,
    NodeGroupArgs,
    UpgradePolicy,
)
from components.kafka import (
    CleanupPolicy,
    EnhancedMonitoring,
    KafkaCluster,
    KafkaClusterArgs,
    Topic,
    TopicArgs,
)
from components.kms import EncryptionKey, EncryptionKeyArgs
from components.lifecycle import LifecycleArgs
from components.network import NatMode, Network, NetworkArgs
from components.observability import (
    DashboardPanelArgs,
    DashboardRowArgs,
    EksSourceArgs,
    GrafanaAuth,
    KafkaSourceArgs,
    Observability,
    ObservabilityArgs,
)
from components.postgres import Engine, PartitionBy, PostgresShardSet, PostgresShardSetArgs
from components.tenancy import (
    ClusterDns,
    NamespaceQuotaArgs,
    PodSecurityGroupArgs,
    ServiceTenancy,
    ServiceTenancyArgs,
)
from components.timeseries import (
    InfluxDbInstance,
    InfluxDbInstanceArgs,
    LiveAnalyticsDatabase,
    LiveAnalyticsDatabaseArgs,
    TableRetentionArgs,
)

__all__ = [
    "AlarmArgs", "Alarms", "AlarmsArgs", "ApiAccessArgs", "AttributeArgs", "AttributeType",
    "BillingMode", "CapacityArgs", "CleanupPolicy", "ClusterDns", "ComparisonOperator",
    "ComponentArgsError", "ConsumerGroup", "DashboardPanelArgs", "DashboardRowArgs", "EksCluster",
    "EksClusterArgs", "EksSourceArgs", "EncryptionKey", "EncryptionKeyArgs", "Engine",
    "EnhancedMonitoring", "GlobalIndexArgs", "GrafanaAuth", "InfluxDbInstance",
    "InfluxDbInstanceArgs", "KafkaCluster", "KafkaClusterArgs", "KafkaSourceArgs", "KeyValueTable",
    "KeyValueTableArgs", "LifecycleArgs", "LiveAnalyticsDatabase", "LiveAnalyticsDatabaseArgs",
    "MetricArgs", "MetricQueryArgs", "MissingData", "NamespaceQuotaArgs", "NatMode", "Network",
    "NetworkArgs", "NodeAmi", "NodeGroupArgs", "Observability", "ObservabilityArgs", "PartitionBy",
    "PodSecurityGroupArgs", "PostgresShardSet", "PostgresShardSetArgs", "Projection",
    "ServiceTenancy", "ServiceTenancyArgs", "TableRetentionArgs", "Topic", "TopicArgs",
    "UpgradePolicy",
]
