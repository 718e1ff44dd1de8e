"""A readable word-level difference between two versions of a text, in any script.

Words are runs of letters and digits with their apostrophes and hyphens inside (``\\w`` is Unicode-aware, so
Cyrillic and Latin alike); whitespace and punctuation are tokens of their own, so that a changed comma shows as
a change and the text joins back exactly. Each distinct token is mapped to one character and the two strings are
aligned by their longest common subsequence (rapidfuzz's ``Indel.opcodes``, bit-parallel C++: a 50 kB text against
one hundreds of edits away in milliseconds, with no time limit that would give up on it). A run of whitespace or
punctuation alone between two changes is folded into them, so "a b c" → "x y z" reads as one change, not three.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rapidfuzz.distance import Indel

TOKEN = re.compile(r"\w+(?:['’\-]\w+)*|\s+|[^\w\s]", re.UNICODE)
Op = Literal["same", "added", "removed"]


@dataclass(frozen=True)
class Piece:
    op: Op
    text: str


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def _encode(ta: list[str], tb: list[str]) -> tuple[str, str]:
    table: dict[str, str] = {}

    def enc(toks: list[str]) -> str:
        out = []
        for t in toks:
            c = table.get(t)
            if c is None:
                n = len(table)
                c = table[t] = chr(n + (0xE000 - 0xD800 if n >= 0xD800 else 0))  # no lone surrogates
            out.append(c)
        return "".join(out)

    return enc(ta), enc(tb)


def _trivial(text: str) -> bool:
    """Whitespace or punctuation alone, short: what sits between two changed words."""
    return len(text) <= 3 and not any(ch.isalnum() for ch in text)


def words(a: str, b: str) -> list[Piece]:
    """``b`` against ``a``: pieces in reading order, each kept, added or removed; adjacent pieces of one kind
    merged. Joining the "same" and "removed" pieces gives ``a``; the "same" and "added" ones give ``b``."""
    ta, tb = tokens(a), tokens(b)
    ea, eb = _encode(ta, tb)
    # Runs: ("same", text) or ("change", removed, added), consecutive changes together.
    runs: list[list[str]] = []
    for op in Indel.opcodes(ea, eb):
        if op.tag == "equal":
            runs.append(["same", "".join(ta[op.src_start:op.src_end])])
            continue
        removed = "".join(ta[op.src_start:op.src_end])
        added = "".join(tb[op.dest_start:op.dest_end])
        if runs and runs[-1][0] == "change":
            runs[-1][1] += removed
            runs[-1][2] += added
        else:
            runs.append(["change", removed, added])
    # Fold a trivial "same" run between two changes into both sides of one change.
    folded: list[list[str]] = []
    i = 0
    while i < len(runs):
        r = runs[i]
        if (r[0] == "same" and _trivial(r[1]) and folded and folded[-1][0] == "change" and i + 1 < len(runs)
                and runs[i + 1][0] == "change"):
            nxt = runs[i + 1]
            folded[-1][1] += r[1] + nxt[1]
            folded[-1][2] += r[1] + nxt[2]
            i += 2
            continue
        folded.append(list(r))
        i += 1
    out: list[Piece] = []
    for r in folded:
        if r[0] == "same":
            if r[1]:
                out.append(Piece("same", r[1]))
        else:
            if r[1]:
                out.append(Piece("removed", r[1]))
            if r[2]:
                out.append(Piece("added", r[2]))
    return out


def summary(pieces: list[Piece]) -> dict[str, int]:
    """How many words were added and removed (whitespace and punctuation not counted)."""
    count = {"added": 0, "removed": 0}
    for p in pieces:
        if p.op != "same":
            count[p.op] += sum(1 for t in tokens(p.text) if t[0].isalnum() or t[0] == "_")
    return count
