"""A CrossGuard policy pack for AWS stacks: security controls and configurable governance.

`security/` holds AWS (and Kubernetes-on-EKS) security controls that assume nothing about the
stack, most mapped to AWS Foundational Security Best Practices; `governance/` holds platform
conventions (tag schema, single ownership, classified data, alarm coverage) that another stack
configures or disables. Run by the Pulumi engine (`pulumi preview --policy-pack <this folder>`)
or offline by `strata check`, which speaks the same Analyzer gRPC protocol.

`__version__` is the pack's version, reported to the engine over GetAnalyzerInfo; it is the one
place the version is written (PulumiPolicy.yaml leaves `version` unset so the CLI uses it).
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.2.0"
