"""The domain modules in foreign-key order: importing this registers the tables in that order."""

# ruff: noqa: I001
from warp_models import organizations, trunks, numbers, routing, cdrs, billing, messaging
from warp_models import extensions, devices, voicemail, access

DOMAINS = (organizations, trunks, numbers, routing, cdrs, billing, messaging, extensions, devices, voicemail, access)
"""Each domain module, parents before children."""
