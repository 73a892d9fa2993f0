"""The real-Prometheus fixtures for this folder.

tests/conftest.py is meant to register ``tests.integration.prometheus.server`` for every folder
(``pytest_plugins``); until it does, import the fixtures here. Once it does, they are not imported
twice (two definitions would start a second session server).
"""

import tests.conftest as root

if "tests.integration.prometheus.server" not in getattr(root, "pytest_plugins", ()):
    from tests.integration.prometheus.server import (  # noqa: F401
        prometheus,
        prometheus_factory,
    )
