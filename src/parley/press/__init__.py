"""The press desk: statements a party drafts in Ukrainian, Russian and English and releases only when a second
member with authority approves the same text, embargoed until a time or an event, withdrawn or corrected by later
records; and the public side that shows what was released, verifiable by anyone against the log."""
