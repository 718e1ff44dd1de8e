// Parley's few behaviours: sortable tables, the language switcher, confirmations. No dependencies.
"use strict";

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
