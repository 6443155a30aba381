"""The no-op pack: one resource policy that returns at once, served by pulumi_policy's PolicyPack
(its stock servicer converts each resource's properties once for the one policy)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def _nothing(args: object, report_violation: object) -> None:
    return None


PolicyPack(name="noop", enforcement_level=EnforcementLevel.ADVISORY,
           policies=[ResourceValidationPolicy(name="noop", description="Returns at once.",
                                              validate=_nothing)])
