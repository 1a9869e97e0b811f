"""The I/O-free half of the domain services: result types, statements and the rules computed in Python.

One module per domain (``organizations``, ``trunks``, ``numbers``, ``routing``, ``cdrs``, ``billing``,
``messaging``), shared by the async services (``warp_repo/_aio``) and the sync ones generated from them, so that a
result type is one class whichever flavour returned it.
"""
