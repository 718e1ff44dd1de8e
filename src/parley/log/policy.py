"""C2SP tlog-policy: which log keys and which witnesses' cosignatures a checkpoint needs.

    log <vkey> [url]
    witness <name> <vkey> [url]
    group <name> <N|all|any> <member> <member>...
    quorum <name|none>
"""

from __future__ import annotations

from dataclasses import dataclass, field

from parley.log.checkpoint import Checkpoint
from parley.log.note import ALG_COSIGNATURE_V1, NoteError, Verifier, open_note, verify_cosignature


class PolicyError(ValueError):
    pass


@dataclass
class Policy:
    logs: list[Verifier] = field(default_factory=list)
    witnesses: dict[str, Verifier] = field(default_factory=dict)
    groups: dict[str, tuple[int, list[str]]] = field(default_factory=dict)
    quorum: str | None = None
    witness_urls: dict[str, str] = field(default_factory=dict)

    def _met(self, name: str, cosigned: set[str], depth: int = 0) -> bool:
        if depth > 32:
            raise PolicyError("groups nest too deeply")
        if name in self.witnesses:
            return name in cosigned
        threshold, members = self.groups[name]
        return sum(self._met(m, cosigned, depth + 1) for m in members) >= threshold

    def satisfied(self, cosigned: set[str]) -> bool:
        return self.quorum is None or self._met(self.quorum, cosigned)

    def verify_checkpoint(self, note: bytes) -> tuple[Checkpoint, set[str]]:
        try:
            text, _, unverified = open_note(note, self.logs)
        except NoteError as exc:
            raise PolicyError(f"checkpoint is not signed by the log: {exc}") from exc
        cp = Checkpoint.parse(text)
        by_key = {(v.name, v.key_id): name for name, v in self.witnesses.items()}
        cosigned = set()
        for sig in unverified:
            name = by_key.get((sig.name, sig.key_id))
            if name and verify_cosignature(self.witnesses[name], text, sig):
                cosigned.add(name)
        if not self.satisfied(cosigned):
            raise PolicyError(f"the checkpoint lacks the policy's quorum of cosignatures ({sorted(cosigned)})")
        return cp, cosigned


def parse_policy(text: str) -> Policy:
    p = Policy()
    names: set[str] = set()
    for num, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        try:
            if words[0] == "log" and len(words) in (2, 3):
                p.logs.append(Verifier.from_vkey(words[1]))
            elif words[0] == "witness" and len(words) in (3, 4):
                name = words[1]
                if name in names:
                    raise PolicyError(f"line {num}: {name} defined twice")
                v = Verifier.from_vkey(words[2])
                if v.alg != ALG_COSIGNATURE_V1:
                    raise PolicyError(f"line {num}: witness keys must be cosignature keys")
                p.witnesses[name] = v
                names.add(name)
                if len(words) == 4:
                    p.witness_urls[name] = words[3]
            elif words[0] == "group" and len(words) >= 4:
                name, spec, members = words[1], words[2], words[3:]
                if name in names:
                    raise PolicyError(f"line {num}: {name} defined twice")
                for m in members:
                    if m not in names:
                        raise PolicyError(f"line {num}: {m} is not defined before this group")
                if spec == "all":
                    threshold = len(members)
                elif spec == "any":
                    threshold = 1
                elif spec.isdigit() and 1 <= int(spec) <= len(members):
                    threshold = int(spec)
                else:
                    raise PolicyError(f"line {num}: threshold must be all, any or 1..{len(members)}")
                p.groups[name] = (threshold, members)
                names.add(name)
            elif words[0] == "quorum" and len(words) == 2:
                if words[1] != "none" and words[1] not in names:
                    raise PolicyError(f"line {num}: quorum names an undefined witness or group")
                p.quorum = None if words[1] == "none" else words[1]
            else:
                raise PolicyError(f"line {num}: unknown or malformed line")
        except NoteError as exc:
            raise PolicyError(f"line {num}: {exc}") from exc
    if not p.logs:
        raise PolicyError("the policy names no log key")
    return p
