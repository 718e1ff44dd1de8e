"""Pages of humanitarian operations, one module and one ``router`` per page group (``board``, ``propose``,
``operation``, ``incidents``, ``zones``), listed in ``parley.assembly.routers``; what they share is in ``common``."""
