"""Attach a grant (scoped statements) to a role as its own inline policy.

One RolePolicy per grant, parented to the store that granted it: the policy's property
dependencies then name exactly the stores it reaches, which is what the ownership policy
checks, and removing a store removes its grants with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components._perms import policy_document

__all__ = ["attach_grant"]


def attach_grant(parent: pulumi.Resource, name: str, role: aws.iam.Role,
                 statements: Sequence[dict[str, Any]]) -> aws.iam.RolePolicy:
    return aws.iam.RolePolicy(
        name,
        role=role.name,
        policy=policy_document(statements),
        opts=pulumi.ResourceOptions(parent=parent),
    )
