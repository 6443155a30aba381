"""The library as a Pulumi package: every public component served to TypeScript, Go, C#, YAML.

Pulumi's component provider host infers the package schema (`strata:index:<Class>`) from the
components' annotations and constructs them when another language's program asks for one
(pulumi/provider/experimental). The Pulumi CLI starts this through `PulumiPlugin.yaml` and the
repository's root `__main__.py`: the Python language host runs `<virtualenv>/bin/python <plugin
dir> <engine address>` (pulumi/sdk/python/cmd/pulumi-language-python/main.go, `RunPlugin`), and the
engine reads the gRPC port from the first line this process prints.

`python -m components.provider --schema` prints the schema the provider serves, for authoring
without the Pulumi CLI.
"""

from __future__ import annotations

import inspect
import json
import sys
from importlib import metadata
from typing import Any

import pulumi
from pulumi.provider.experimental import component_provider_host
from pulumi.provider.experimental.component import ComponentProvider

import components

__all__ = ["DISTRIBUTION", "PACKAGE", "main", "package_version", "public_components", "schema"]

PACKAGE = "strata"
"""The Pulumi package name: resource types are `strata:index:<Class>`."""
DISTRIBUTION = "strata-aws-data-platform"
"""The Python distribution whose version the package carries."""


def public_components() -> list[type[pulumi.ComponentResource]]:
    """The component classes `components.__all__` exports, in that order."""
    exported = (getattr(components, name) for name in components.__all__)
    return [c for c in exported
            if inspect.isclass(c) and issubclass(c, pulumi.ComponentResource)]


def package_version() -> str:
    """The installed distribution's version (pyproject.toml), which SDKs generated from the
    schema record; without an installed distribution the plugin cannot say what it serves."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise SystemExit(
            f"{DISTRIBUTION} is not installed in {sys.executable}: run `pip install -e .` in the "
            "repository (or `pulumi install`, which reads requirements.txt)") from None


def schema() -> dict[str, Any]:
    """The package schema exactly as the provider serves it from GetSchema."""
    provider = ComponentProvider(public_components(), PACKAGE, version=package_version())
    document: dict[str, Any] = json.loads(provider.schema or "{}")
    return document


def main() -> None:
    """Serve the components (the engine passes its address as the argument), or print the
    schema with `--schema`."""
    if sys.argv[1:] == ["--schema"]:
        json.dump(schema(), sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
        return
    component_provider_host(public_components(), name=PACKAGE, version=package_version())


if __name__ == "__main__":
    main()
