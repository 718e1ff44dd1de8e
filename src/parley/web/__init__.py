"""The web interface: server-rendered pages in Ukrainian, Russian and English. ``routes`` holds the spine's
pages (sign-in, overview, parties and members, the log explorer) and what every page shares; each
capability's pages are a module of their own (``operations``, ``people``)."""
