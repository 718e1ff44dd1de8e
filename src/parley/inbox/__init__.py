"""What needs a member now: one list across the capabilities, computed from the records the member may read
and the actions the rules let the member take — answers due (with their deadline), escalations, unread
channel messages (urgent first), review pairs, open inquiries, exchange sign-offs, lists and handover
confirmations awaited. Each item links to the page where it is done. The overview shows it, the header
counts it (``/api/inbox``, polled by the pages), and ``parley inbox`` prints it.

An item never carries more than its page would show the member: titles of operations, channels and
exchanges the member reads, counts of pairs and inquiries; never a person's name.
"""
