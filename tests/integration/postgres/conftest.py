"""The PostgreSQL fixtures for this folder.

tests/conftest.py is meant to register ``tests.integration.postgres.plugin`` for every folder
(``pytest_plugins``); until it does, import the fixtures here. Once it does, they are not imported
twice (two definitions would start a second server).
"""

import tests.conftest as root

if "tests.integration.postgres.plugin" not in getattr(root, "pytest_plugins", ()):
    from tests.integration.postgres.plugin import postgres, postgres_url  # noqa: F401
