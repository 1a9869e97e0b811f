"""Machinery that names no domain: statements, the executors, cursors, retries, the services' shared helpers.

Nothing here is public: ``warp_repo`` and the domain packages re-export what callers use.
"""
