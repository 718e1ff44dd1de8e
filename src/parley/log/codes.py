"""What a party's audit of the log (``parley log verify``, ``parley.log.auditor``) finds wrong with the log as a
whole, and what the command says of it: each a stable code and its English template (``parley.errors.Code``),
the text the auditor's exceptions and its evidence carry. The command line shows each code's own message in the
reader's language (``parley.web.refusals.BY_CODE``)."""

from __future__ import annotations

from parley.errors import Code

# -- the published checkpoint against the one this auditor verified before ---------------------------------------
WENT_BACK = Code("audit.went_back", "the log went back from size {old_size} to {new_size}")
TWO_ROOTS = Code("audit.two_roots", "two different roots for size {size}")
NOT_CONSISTENT = Code("audit.not_consistent", "the consistency proof from {old_size} to {new_size} fails: {detail}")

# -- the tree the server serves under its checkpoint ---------------------------------------------------------------
TILES_ROOT = Code("audit.tiles_root", "the root computed from the hash tiles differs from the checkpoint's "
                                      "(size {size})")
TILE_PARENT = Code("audit.tile_parent", "hash tile {tile} does not hash to its entry in the tile above (leaves "
                                        "from {first})")
TILES_MALFORMED = Code("audit.tiles_malformed", "hash tiles are malformed: {detail}")
TILE_MISSING = Code("audit.tile_missing", "the server does not serve tile {tile} of the tree of size {size} its "
                                          "checkpoint commits to: {detail}")
TREE_SHORTER = Code("audit.tree_shorter", "the server lists a tree of {listed} records under its checkpoint for "
                                          "size {size}")

# -- the signed checkpoints the server lists (/api/log/checkpoints) -------------------------------------------------
LISTED_NOT_OF_TREE = Code("audit.listed_not_of_tree", "the log signed a checkpoint for size {size} that is not a "
                          "checkpoint of the tree its published checkpoint ({published}) commits to")
LISTED_INCONSISTENT = Code("audit.listed_inconsistent", "the log signed a checkpoint for size {size} inconsistent "
                           "with its published one ({published}): {detail}")
LISTED_VS_SAVED = Code("audit.listed_vs_saved", "the log signed a checkpoint for size {size} inconsistent with the "
                       "checkpoint for size {saved} this auditor verified before: {detail}")
LISTED_TWO_ROOTS = Code("audit.listed_two_roots", "the log signed two different roots for size {size}: the "
                        "checkpoint this auditor verified before and one the server lists")

# -- what the command says ---------------------------------------------------------------------------------------
FORK = Code("audit.fork", "FORK: {why}")
FAILED = Code("audit.failed", "FAILED: {why}")
EVIDENCE_SAVED = Code("audit.evidence_saved", "evidence saved in {path}")
STATE_KEPT = Code("audit.state_kept", "the stored checkpoint was kept; share the evidence with the other parties "
                                      "and their witnesses")

CODES: tuple[Code, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Code))
