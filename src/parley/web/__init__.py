"""The web interface: server-rendered pages in Ukrainian, Russian and English, one module and ``router`` per
page group. ``routes`` holds the shell (sign-in, overview, error pages) and what every page shares;
``parties`` the parties and members, ``explorer`` the log explorer; each capability's pages are a package of
their own (``operations``, ``people``), with a ``common`` module for what its page groups share."""
