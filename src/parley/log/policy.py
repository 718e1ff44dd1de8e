"""C2SP tlog-policy: the policy file naming the logs whose signatures a checkpoint may carry, the
witnesses whose cosignatures count, threshold groups of them, and the quorum a checkpoint needs;
parsing, formatting and checking a checkpoint note against it.

    log <vkey> [url]
    witness <name> <vkey> [url]
    group <name> <N|all|any> <member> <member>...
    quorum <name|none>
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parley.log.checkpoint import Checkpoint, CheckpointError
from parley.log.note import (
    ALG_COSIGNATURE_V1,
    NoteError,
    Verifier,
    open_note,
    verify_cosignature,
)

# The spec's whitespace is ASCII space and tab only; its only control characters are tab and newline.
_WS = re.compile(r"[ \t]+")
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_THRESHOLD = re.compile(r"[1-9][0-9]{0,5}")
MAX_NAMES = 4096


class PolicyError(ValueError):
    pass


@dataclass
class Policy:
    logs: list[Verifier] = field(default_factory=list)
    witnesses: dict[str, Verifier] = field(default_factory=dict)
    groups: dict[str, tuple[int, list[str]]] = field(default_factory=dict)
    quorum: str | None = None
    witness_urls: dict[str, str] = field(default_factory=dict)
    log_urls: dict[str, str] = field(default_factory=dict)

    def _met(self, name: str, cosigned: set[str], depth: int = 0) -> bool:
        # Groups only name earlier definitions, so there are no cycles; the bound guards hand-built policies.
        if depth > 64:
            raise PolicyError("groups nest too deeply")
        if name in self.witnesses:
            return name in cosigned
        if name not in self.groups:
            raise PolicyError(f"{name} is neither a witness nor a group")
        threshold, members = self.groups[name]
        return sum(self._met(m, cosigned, depth + 1) for m in members) >= threshold

    def satisfied(self, cosigned: set[str]) -> bool:
        return self.quorum is None or self._met(self.quorum, cosigned)

    def verify_checkpoint(self, note: bytes) -> tuple[Checkpoint, set[str]]:
        if not self.logs:
            raise PolicyError("the policy names no log key")
        try:
            text, verified, unverified = open_note(note, self.logs)
            cp = Checkpoint.parse(text)
        except (NoteError, CheckpointError) as exc:
            raise PolicyError(f"checkpoint is not signed by the log: {exc}") from exc
        # tlog-policy: a log's key name is its origin, so a log key vouches for its own log only.
        if cp.origin not in {s.name for s in verified}:
            raise PolicyError(f"checkpoint origin {cp.origin!r} is not the signing log's name")
        by_key = {(v.name, v.key_id): name for name, v in self.witnesses.items()}
        cosigned = set()
        for sig in unverified:
            name = by_key.get((sig.name, sig.key_id))
            if name is None:
                continue
            if not verify_cosignature(self.witnesses[name], text, sig):
                # signed-note: a failing signature by a known key rejects the whole note.
                raise PolicyError(f"invalid cosignature by witness {name}")
            cosigned.add(name)
        if not self.satisfied(cosigned):
            raise PolicyError(f"the checkpoint lacks the policy's quorum of cosignatures ({sorted(cosigned)})")
        return cp, cosigned


def parse_policy(text: str) -> Policy:
    p = Policy()
    names: set[str] = set()
    log_keys: set[bytes] = set()
    witness_keys: set[bytes] = set()
    quorum_seen = False
    if _BAD_CHARS.search(text):
        raise PolicyError("policy contains control characters other than tab and newline")
    for num, raw in enumerate(text.split("\n"), 1):
        line = raw.strip(" \t")
        if not line or line.startswith("#"):
            continue
        words = _WS.split(line)

        def fail(msg: str, num: int = num) -> PolicyError:
            return PolicyError(f"line {num}: {msg}")

        def define(name: str) -> None:
            if name == "none":
                raise fail("'none' is reserved")
            if name in names:
                raise fail(f"{name} defined twice")
            if len(names) >= MAX_NAMES:
                raise fail("too many witnesses and groups")
            names.add(name)

        try:
            if words[0] == "log" and len(words) in (2, 3):
                v = Verifier.from_vkey(words[1])
                if v.public_key in log_keys:
                    raise fail("duplicate log key")
                log_keys.add(v.public_key)
                p.logs.append(v)
                if len(words) == 3:
                    p.log_urls[v.name] = words[2]
            elif words[0] == "witness" and len(words) in (3, 4):
                name = words[1]
                v = Verifier.from_vkey(words[2])
                if v.alg != ALG_COSIGNATURE_V1:
                    raise fail("witness keys must be cosignature (type 0x04) keys")
                if v.public_key in witness_keys:
                    raise fail("duplicate witness key")
                define(name)
                witness_keys.add(v.public_key)
                p.witnesses[name] = v
                if len(words) == 4:
                    p.witness_urls[name] = words[3]
            elif words[0] == "group" and len(words) >= 4:
                name, spec, members = words[1], words[2], words[3:]
                for m in members:
                    if m not in names:
                        raise fail(f"{m} is not defined before this group")
                if len(set(members)) != len(members):
                    raise fail("a group lists each member at most once")
                if spec == "all":
                    threshold = len(members)
                elif spec == "any":
                    threshold = 1
                elif _THRESHOLD.fullmatch(spec) and int(spec) <= len(members):
                    threshold = int(spec)
                else:
                    raise fail(f"threshold must be all, any or 1..{len(members)}")
                define(name)
                p.groups[name] = (threshold, members)
            elif words[0] == "quorum" and len(words) == 2:
                if quorum_seen:
                    raise fail("a policy has exactly one quorum line")
                if words[1] != "none" and words[1] not in names:
                    raise fail("quorum names an undefined witness or group")
                quorum_seen = True
                p.quorum = None if words[1] == "none" else words[1]
            else:
                raise fail("unknown or malformed line")
        except NoteError as exc:
            raise fail(str(exc)) from exc
    if not quorum_seen:
        raise PolicyError("the policy has no quorum line")
    return p


def format_policy(p: Policy) -> str:
    """The policy as a file that parse_policy reads back to an equal policy."""
    lines = []
    for v in p.logs:
        url = p.log_urls.get(v.name)
        lines.append(f"log {v.vkey()}" + (f" {url}" if url else ""))
    for name, v in p.witnesses.items():
        url = p.witness_urls.get(name)
        lines.append(f"witness {name} {v.vkey()}" + (f" {url}" if url else ""))
    for name, (threshold, members) in p.groups.items():
        lines.append(f"group {name} {threshold} {' '.join(members)}")
    lines.append(f"quorum {p.quorum or 'none'}")
    return "\n".join(lines) + "\n"
