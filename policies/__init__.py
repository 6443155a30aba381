"""Strata's CrossGuard policy pack: controls as small pure functions, assembled in __main__.py.

Run by the Pulumi engine (`pulumi preview --policy-pack policies`) or offline by
`strata check`, which speaks the same Analyzer gRPC protocol.
"""

from __future__ import annotations

__all__: list[str] = []
