"""Repositories, database and cache access for the WARP schema."""
