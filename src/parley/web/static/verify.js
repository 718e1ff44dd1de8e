// Checks a released statement in the reader's browser, with nothing but the browser's own Web Crypto (SHA-256 and
// Ed25519): no account, no other server. The same checks as `parley log verify-statement`, but for the members'
// signatures, whose keys the public is not given:
//  1. each record's checkpoint is signed by the log's key (the key shown on the page, or one the reader pastes);
//  2. each record is included in that checkpoint (RFC 9162 inclusion proof of its leaf, SHA-256(0x00 || note));
//  3. each record's payload is the one its signed text names by SHA-256;
//  4. the approval approved exactly this version's text (SHA-256 of its RFC 8785 canonical JSON), by another member
//     of the same party than the version's author;
//  5. the text this page shows is the text that was signed.
"use strict";

(function () {
  const section = document.getElementById("browser-check");
  if (!section) return;
  const button = document.getElementById("browser-check-run");
  const keyInput = document.getElementById("browser-check-key");
  const out = document.getElementById("browser-check-result");
  const msg = (name) => section.dataset["msg" + name] || name;
  section.hidden = false;

  const enc = new TextEncoder();
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const concat = (...parts) => {
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { all.set(p, at); at += p.length; }
    return all;
  };
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  // RFC 8785: ECMAScript's own JSON serialisation of strings and numbers, object keys sorted by UTF-16 code units.
  function jcs(v) {
    if (v === null || typeof v !== "object") return JSON.stringify(v);
    if (Array.isArray(v)) return "[" + v.map(jcs).join(",") + "]";
    return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + jcs(v[k])).join(",") + "}";
  }

  // A verifier key "name+keyid+base64(0x01 || public key)" as a Web Crypto key with its name and id.
  async function verifierKey(vkey) {
    const parts = vkey.trim().split("+");
    const [name, id, data] = [parts[0], parts[1], parts.slice(2).join("+")];
    const raw = b64(data || "");
    if (!name || !/^[0-9a-f]{8}$/i.test(id || "") || raw.length !== 33 || raw[0] !== 1) throw new Error(msg("Badkey"));
    const expect = (await sha256(concat(enc.encode(name + "\n"), raw))).slice(0, 4);
    if (hex(expect) !== id.toLowerCase()) throw new Error(msg("Badkey"));
    const key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
    return { name, id: expect, key };
  }

  // A signed note: its text (up to and with the newline before the blank line) and its signature lines.
  function splitNote(note) {
    const at = note.lastIndexOf("\n\n");
    if (at < 0) throw new Error("not a signed note");
    const sigs = note.slice(at + 2).split("\n").filter((l) => l).map((line) => {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m) throw new Error("malformed signature line");
      const raw = b64(m[2]);
      return { name: m[1], id: raw.slice(0, 4), sig: raw.slice(4) };
    });
    return { text: note.slice(0, at + 1), sigs };
  }

  async function checkpointOf(proofText, verifier) {
    const at = proofText.indexOf("\n\n");
    const head = proofText.slice(0, at).split("\n");
    if (head[0] !== "c2sp.org/tlog-proof@v1") throw new Error("not a C2SP tlog-proof");
    let pos = 1;
    if (head[pos] && head[pos].startsWith("extra ")) pos += 1;
    const m = /^index (\d+)$/.exec(head[pos] || "");
    if (!m) throw new Error("the proof has no index");
    const hashes = head.slice(pos + 1).map(b64);
    const note = splitNote(proofText.slice(at + 2));
    const sig = note.sigs.find((s) => s.name === verifier.name && same(s.id, verifier.id));
    if (!sig) throw new Error(msg("Nologsig"));
    if (!(await crypto.subtle.verify({ name: "Ed25519" }, verifier.key, sig.sig, enc.encode(note.text)))) {
      throw new Error(msg("Badlogsig"));
    }
    const lines = note.text.slice(0, -1).split("\n");
    if (lines[0] !== verifier.name) throw new Error("the checkpoint is of another log");
    return { index: Number(m[1]), hashes, size: Number(lines[1]), root: b64(lines[2]),
             cosignatures: note.sigs.length - 1 };
  }

  async function included(leafData, index, size, proof, root) {
    if (!(index >= 0 && index < size)) return false;
    let inner = 0;
    for (let x = index ^ (size - 1); x > 0; x = Math.floor(x / 2)) inner += 1;
    let border = 0;
    for (let x = Math.floor(index / 2 ** inner); x > 0; x = Math.floor(x / 2)) border += x % 2;
    if (proof.length !== inner + border) return false;
    let h = await sha256(concat(new Uint8Array([0]), leafData));
    for (let i = 0; i < proof.length; i++) {
      const left = i < inner && Math.floor(index / 2 ** i) % 2 === 0;
      h = await sha256(concat(new Uint8Array([1]), left ? h : proof[i], left ? proof[i] : h));
    }
    return same(h, root);
  }

  function field(text, name) {
    const line = text.split("\n").find((l) => l.startsWith(name + " "));
    return line ? line.slice(name.length + 1) : "";
  }

  async function check(bundle, vkey) {
    const lines = [];
    const verifier = await verifierKey(vkey);
    const parsed = {};
    for (const rec of bundle.records || []) {
      const cp = await checkpointOf(rec.proof, verifier);
      if (cp.index !== rec.index) throw new Error(`#${rec.index}: the proof is for another record`);
      if (!(await included(enc.encode(rec.note), cp.index, cp.size, cp.hashes, cp.root))) {
        throw new Error(`#${rec.index}: ${msg("Notincluded")}`);
      }
      const text = splitNote(rec.note).text;
      if (field(text, "payload") !== "sha256:" + hex(await sha256(enc.encode(rec.payload)))) {
        throw new Error(`#${rec.index}: ${msg("Badpayload")}`);
      }
      const kind = field(text, "kind");
      parsed[kind] = { author: field(text, "author"), party: field(text, "party"), payload: JSON.parse(rec.payload) };
      lines.push(`#${rec.index} ${kind} ${field(text, "author")}: ${msg("Included")} ${cp.size}` +
                 (cp.cosignatures ? ` (+${cp.cosignatures} ${msg("Cosignatures")})` : ""));
    }
    const draft = parsed["statement.draft"], approval = parsed["statement.approve"];
    if (!draft || !approval) throw new Error(msg("Incomplete"));
    const approved = hex(await sha256(enc.encode(jcs(bundle.text))));
    if (approval.payload.sha256 !== approved || approval.payload.version !== draft.payload.version ||
        approval.payload.statement !== bundle.statement || draft.payload.statement !== bundle.statement) {
      throw new Error(msg("Notapproved"));
    }
    if (approval.author === draft.author || approval.party !== draft.party) throw new Error(msg("Ownapproval"));
    for (const [lang, t] of Object.entries(bundle.text.texts || {})) {
      const signed = (draft.payload.texts || {})[lang] || {};
      const shown = document.getElementById("text-" + lang);
      if (signed.title !== t.title || signed.body !== t.body || !shown ||
          shown.querySelector("h3").textContent !== t.title ||
          shown.querySelector(".text-body").textContent !== t.body) {
        throw new Error(msg("Textdiffers") + ` (${lang})`);
      }
    }
    lines.push(`${msg("Approvedby")} ${approval.author} (SHA-256 ${approved})`);
    return lines;
  }

  button.addEventListener("click", async () => {
    out.textContent = "";
    out.className = "check-result";
    try {
      if (!(window.crypto && crypto.subtle)) throw new Error(msg("Nocrypto"));
      const r = await fetch(section.dataset.bundle, { credentials: "omit" });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const lines = await check(await r.json(), keyInput.value);
      const list = document.createElement("ul");
      for (const l of lines) {
        const li = document.createElement("li");
        li.textContent = l;
        list.appendChild(li);
      }
      const head = document.createElement("p");
      head.textContent = msg("Ok");
      out.append(head, list);
      out.classList.add("ok");
      out.dataset.state = "ok";
    } catch (e) {
      out.textContent = `${msg("Failed")} ${e.message}`;
      out.classList.add("failed");
      out.dataset.state = "failed";
    }
  });
})();
