"""Serve the pack to the engine: the Analyzer servicer (`_servicer.py`), with the pack's own
version.

`pulumi_policy.PolicyPack` always reports version "0.0.1" over GetAnalyzerInfo and expects the
version in PulumiPolicy.yaml instead (the CLI prefers that file's `version` when it is set:
pulumi/pkg/resource/plugin/analyzer_plugin.go, GetAnalyzerInfo). Serving the servicer here lets
the pack report `__version__` itself, so the CLI, `pulumi policy publish` and `strata check` all
see the one version written in `__init__.py`. The serving loop is PolicyPack's own: print the
port on the first stdout line, then serve until terminated.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from concurrent import futures

import grpc
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel, Policy

from . import __version__
from ._catalog import PACK_NAME, all_controls
from ._servicer import PackServicer

__all__ = ["DESCRIPTION", "serve", "servicer"]

DESCRIPTION = ("AWS security controls (FSBP-mapped) for data platforms, and configurable "
               "governance: tag schema, single ownership, classified data, alarm coverage.")
# pulumi_policy.policy._MAX_RPC_MESSAGE_SIZE: AnalyzeStack carries the whole stack.
_MAX_MESSAGE = 400 * 1024 * 1024


def servicer(policies: Sequence[Policy] | None = None) -> PackServicer:
    """The Analyzer servicer for the pack (every control unless `policies` is given)."""
    chosen: list[Policy] = (list(policies) if policies is not None
                            else [c.to_policy() for c in all_controls()])
    return PackServicer(PACK_NAME, __version__, chosen, EnforcementLevel.ADVISORY,
                        description=DESCRIPTION)


def serve() -> None:
    """Start the gRPC server, print its port for the engine, block until terminated."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4),
                         options=[("grpc.max_receive_message_length", _MAX_MESSAGE)])
    analyzer_pb2_grpc.add_AnalyzerServicer_to_server(servicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.buffer.write(f"{port}\n".encode())
    sys.stdout.flush()
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop(0)
