"""The service tests of this folder share one migrated database, made by ``tests/service_db.py``."""

from tests.service_db import (  # noqa: F401 - fixtures, found by pytest in this module's namespace
    admin_url,
    autocommit,
    database_url,
    domain_admin_url,
    domain_platform_url,
    domain_url,
    platform_autocommit,
    platform_url,
)
