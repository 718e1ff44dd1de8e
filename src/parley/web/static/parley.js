// Parley's few behaviours: sortable tables, the language switcher, confirmations, the CSRF header. No dependencies.
"use strict";

// Writes to this site's API with the session cookie carry the page's CSRF token (the server refuses them
// without it): every same-origin fetch that is not GET/HEAD/OPTIONS gets the X-CSRF-Token header.
(function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta || !window.fetch) return;
  const token = meta.content;
  const plainFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    const request = input instanceof Request ? input : null;
    const method = ((init && init.method) || (request ? request.method : "GET")).toUpperCase();
    const url = new URL(request ? request.url : String(input), window.location.href);
    if (url.origin !== window.location.origin || ["GET", "HEAD", "OPTIONS"].includes(method)) {
      return plainFetch(input, init);
    }
    const headers = new Headers((init && init.headers) || (request ? request.headers : undefined));
    headers.set("X-CSRF-Token", token);
    return plainFetch(input, Object.assign({}, init, { headers: headers }));
  };
})();

function cellValue(row, index, kind) {
  const cell = row.cells[index];
  const raw = cell ? (cell.dataset.value || cell.textContent.trim()) : "";
  return kind === "number" ? parseFloat(raw.replace(/[^0-9.\-]/g, "")) || 0 : raw.toLocaleLowerCase();
}

function sortTable(table, th) {
  const index = Array.from(th.parentNode.children).indexOf(th);
  const kind = th.dataset.sort;
  const ascending = th.getAttribute("aria-sort") !== "ascending";
  table.querySelectorAll("th[aria-sort]").forEach((h) => h.removeAttribute("aria-sort"));
  th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = cellValue(a, index, kind), y = cellValue(b, index, kind);
    return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
  });
  rows.forEach((r) => body.appendChild(r));
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable th[data-sort]").forEach((th) => {
    th.tabIndex = 0;
    const table = th.closest("table");
    th.addEventListener("click", () => sortTable(table, th));
    th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortTable(table, th); } });
  });
  document.querySelectorAll("select[data-autosubmit]").forEach((s) => s.addEventListener("change", () => s.form.submit()));
  document.querySelectorAll("form[data-confirm]").forEach((f) => f.addEventListener("submit", (e) => {
    if (!window.confirm(f.dataset.confirm)) e.preventDefault();
  }));
});

// What needs the member now: the header's count (GET /api/inbox) and, on the overview, the list itself
// (GET /inbox/items, rendered in the page's language), fetched again every INBOX_POLL_MS while the page is
// visible and whenever it becomes visible again.
const INBOX_POLL_MS = 20000;

function showInboxCount(count, urgent) {
  const badge = document.querySelector("[data-inbox-badge]");
  if (!badge) return;
  badge.hidden = count === 0;
  badge.classList.toggle("urgent", urgent > 0);
  badge.querySelector("[data-inbox-n]").textContent = String(count);
}

async function refreshInbox() {
  const badge = document.querySelector("[data-inbox-badge]");
  if (!badge || !window.fetch) return;
  const list = document.querySelector("[data-refresh]");
  try {
    if (list) {
      const r = await fetch(list.dataset.refresh, { credentials: "same-origin" });
      if (!r.ok) return;
      const holder = document.createElement("div");
      holder.innerHTML = await r.text();
      const fresh = holder.querySelector(".inbox-items");
      const old = list.querySelector(".inbox-items");
      if (fresh && old) {
        old.replaceWith(fresh);
        showInboxCount(Number(fresh.dataset.inboxCount), Number(fresh.dataset.inboxUrgent));
      }
    } else {
      const r = await fetch("/api/inbox", { credentials: "same-origin" });
      if (!r.ok) return;
      const data = await r.json();
      showInboxCount(data.count, data.urgent);
    }
  } catch (e) {
    // Offline or signed out: the count stays as it was and the next poll tries again.
  }
}
window.parleyRefreshInbox = refreshInbox;

document.addEventListener("DOMContentLoaded", () => {
  if (!document.querySelector("[data-inbox-badge]")) return;
  const items = document.querySelector(".inbox-items");
  if (items) showInboxCount(Number(items.dataset.inboxCount), Number(items.dataset.inboxUrgent));
  else refreshInbox();
  setInterval(() => { if (document.visibilityState === "visible") refreshInbox(); }, INBOX_POLL_MS);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") refreshInbox(); });
});

// A family's reference and secret: copied to the clipboard with one button each, or printed (with JavaScript
// only; without it the page shows them as text to write down, which is what it asks first).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("button[data-copy]").forEach((b) => {
    if (!navigator.clipboard) return;
    b.hidden = false;
    const label = b.textContent;
    b.addEventListener("click", async () => {
      const source = document.querySelector(b.dataset.copy);
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        b.textContent = b.dataset.copied;
        setTimeout(() => { b.textContent = label; }, 2500);
      } catch (e) {
        const range = document.createRange();  // at least select it, for the reader to copy by hand
        range.selectNodeContents(source);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
      }
    });
  });
  document.querySelectorAll("button[data-print]").forEach((b) => {
    b.hidden = false;
    b.addEventListener("click", () => window.print());
  });
});

// A table wider than its box scrolls inside .table-wrap: the box then takes keyboard focus (arrow keys scroll
// it) and is named after the table's caption or the section's heading, so scrolling needs no mouse.
function markScrollingTables() {
  document.querySelectorAll(".table-wrap").forEach((wrap) => {
    const scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
    if (scrolls && !wrap.hasAttribute("tabindex")) {
      const table = wrap.querySelector("table");
      const caption = table && table.caption ? table.caption.textContent : "";
      const section = wrap.closest("section, .card, main");
      const heading = section && section.querySelector("h1, h2, h3");
      const name = (caption || (heading ? heading.textContent : "") || document.title).trim();
      wrap.tabIndex = 0;
      wrap.setAttribute("role", "region");
      if (name) wrap.setAttribute("aria-label", name);
      wrap.dataset.scrolls = "";
    } else if (!scrolls && wrap.hasAttribute("data-scrolls")) {
      wrap.removeAttribute("tabindex");
      wrap.removeAttribute("role");
      wrap.removeAttribute("aria-label");
      delete wrap.dataset.scrolls;
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  markScrollingTables();
  let pending = 0;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(markScrollingTables, 150);
  });
});
