"""Entry point of this repository as a Pulumi plugin (PulumiPlugin.yaml).

The Python language host runs `<virtualenv>/bin/python <this directory> <engine address>` for a
plugin directory holding a `__main__.py` (pulumi/sdk/python/cmd/pulumi-language-python/main.go,
`RunPlugin`); this serves the component library (`components.provider`). The Pulumi program of
the blueprint is elsewhere (`infra/`, see Pulumi.yaml).
"""

from components.provider import main

main()
