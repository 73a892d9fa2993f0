"""The moto fixtures for this folder.

tests/conftest.py is meant to register ``tests.integration.aws.plugin`` for every folder
(``pytest_plugins``); until it does, import the fixtures here. Once it does, they are not imported
twice (two definitions would start a second session server).
"""

import tests.conftest as root

if "tests.integration.aws.plugin" not in getattr(root, "pytest_plugins", ()):
    from tests.integration.aws.plugin import _aws_proxy, aws, moto_server  # noqa: F401
