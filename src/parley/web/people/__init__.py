"""Pages of the registry of persons, one module and one ``router`` per page group (``registry``, ``review``,
``lists``, ``inquiries``, ``family``), listed in ``parley.assembly.routers``; what they share is in ``common``."""
