"""How a stateful component may be deleted: one argument, applied to the component's primary
resource and to every helper that must live and die with it.

A protected database whose subnet group, security group or parameter group can still be deleted
is not protected: `pulumi destroy` would fail halfway, or a replacement would orphan the
database. So each stateful component passes `lifecycle_options(...)` to its primary and to those
helpers alike, and reads `deletion_protection` / `final_snapshot` for the service-side switches.
The defaults are defined here and nowhere else.
"""

from typing import Any, NotRequired, TypedDict

import pulumi

__all__ = ["LifecycleArgs", "deletion_protection", "final_snapshot", "lifecycle_options",
           "protected"]


class LifecycleArgs(TypedDict):
    """What may happen to stored data when the resource is deleted or replaced."""

    protect: NotRequired[bool]
    """Pulumi `protect`: refuse to delete or replace the resources. Default: off."""
    retain_on_delete: NotRequired[bool]
    """Pulumi `retain_on_delete`: removing them from the program leaves them in AWS.
    Default: off."""
    deletion_protection: NotRequired[bool]
    """The service's own deletion protection (RDS, DynamoDB, EKS), which AWS checks even for
    deletions outside Pulumi. Default: on (AWS FSBP RDS.8, DynamoDB.6)."""
    final_snapshot: NotRequired[bool]
    """Take a final snapshot before a database is deleted. Default: on."""


_DEFAULTS: dict[str, bool] = {
    "protect": False,
    "retain_on_delete": False,
    "deletion_protection": True,
    "final_snapshot": True,
}


def _get(lifecycle: LifecycleArgs | None, key: str) -> bool:
    return bool((lifecycle or {}).get(key, _DEFAULTS[key]))


def lifecycle_options(parent: pulumi.Resource, lifecycle: LifecycleArgs | None,
                      **extra: Any) -> pulumi.ResourceOptions:
    """Options for a resource holding data, and for the helpers it cannot live without."""
    return pulumi.ResourceOptions(parent=parent, protect=_get(lifecycle, "protect"),
                                  retain_on_delete=_get(lifecycle, "retain_on_delete"), **extra)


def deletion_protection(lifecycle: LifecycleArgs | None) -> bool:
    return _get(lifecycle, "deletion_protection")


def final_snapshot(lifecycle: LifecycleArgs | None) -> bool:
    return _get(lifecycle, "final_snapshot")


def protected(lifecycle: LifecycleArgs | None) -> bool:
    """Whether anything guards the data (used to choose e.g. retention of automated backups)."""
    return _get(lifecycle, "protect") or _get(lifecycle, "retain_on_delete")
