// The sessions list (date, client, overall, trend) and the upload form.
import { api, upload } from "./api.js";
import { $, fmtDate, fmtNumber, h, replace, showError } from "./dom.js";

const upl = { file: null, busy: false };

function sortKey(row) {
  return `${row.session_date || row.created_at.slice(0, 10)} ${row.created_at}`;
}

/** Change in overall since the previous session with the same client (by date). */
export function trends(rows) {
  const byClient = new Map();
  for (const row of [...rows].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1))) {
    if (!row.client_code) continue;
    const previous = byClient.get(row.client_code);
    if (previous && previous.overall !== null && row.overall !== null) {
      row.trend = Math.round((row.overall - previous.overall) * 10) / 10;
    }
    byClient.set(row.client_code, row);
  }
  return rows;
}

function trendCell(row) {
  if (row.trend === undefined) return h("span", { class: "trend trend-none", text: "–", title: "No earlier session with this client" });
  if (Math.abs(row.trend) < 1) return h("span", { class: "trend trend-flat" }, h("span", { "aria-hidden": "true", text: "→" }), ` steady (${row.trend >= 0 ? "+" : ""}${fmtNumber(row.trend, 1)})`);
  const up = row.trend > 0;
  return h(
    "span",
    { class: `trend ${up ? "trend-up" : "trend-down"}` },
    h("span", { "aria-hidden": "true", text: up ? "▲" : "▼" }),
    ` ${up ? "up" : "down"} ${fmtNumber(Math.abs(row.trend), 1)}`,
  );
}

export async function showSessions() {
  const rows = trends(await api("/transcripts"));
  rows.sort((a, b) => (sortKey(a) < sortKey(b) ? 1 : -1));
  const tbody = $("#sessions-table tbody");
  replace(
    tbody,
    rows.map((row) =>
      h(
        "tr",
        {},
        h("td", { text: row.session_date ? fmtDate(row.session_date) : fmtDate(row.created_at) }),
        h("td", {}, row.client_code ? h("span", { class: "client-code", text: row.client_code }) : h("span", { class: "muted", text: "–" })),
        h("td", {}, h("a", { href: `#/session/${encodeURIComponent(row.id)}`, text: row.title || row.filename || "Untitled session" })),
        h("td", { class: "num" }, h("span", { class: "score-pill", text: row.overall === null ? "–" : fmtNumber(row.overall, 0) })),
        h("td", {}, trendCell(row)),
      ),
    ),
  );
  $("#sessions-table").hidden = !rows.length;
  $("#sessions-empty").hidden = rows.length > 0;
  $("#sessions-count").textContent = rows.length === 1 ? "1 session" : `${rows.length} sessions`;
}

// ------------------------------------------------------------------ upload
function choose(file) {
  upl.file = file || null;
  $("#file-chosen").textContent = file ? `Chosen: ${file.name} (${Math.max(1, Math.round(file.size / 1024))} KB)` : "";
  $("#upload-button").disabled = !file || upl.busy;
  showError($("#upload-error"), "");
}

function setProgress(fraction, text) {
  const bar = $("#upload-bar");
  if (fraction === null) bar.removeAttribute("value");
  else bar.value = Math.round(fraction * 100);
  $("#upload-status").textContent = text;
}

async function submit(event, onUploaded) {
  event.preventDefault();
  if (!upl.file || upl.busy) return;
  const form = new FormData();
  form.append("file", upl.file, upl.file.name);
  for (const [id, name] of [["upload-client", "client_code"], ["upload-date", "session_date"], ["upload-title-input", "title"], ["upload-therapist", "therapist"], ["upload-format", "format"]]) {
    const value = $(`#${id}`).value.trim();
    if (value) form.append(name, value);
  }
  if ($("#upload-redact").checked) form.append("redact", "true");
  upl.busy = true;
  $("#upload-button").disabled = true;
  $("#upload-progress").hidden = false;
  showError($("#upload-error"), "");
  setProgress(0, "Uploading…");
  try {
    const result = await upload("/transcripts", form, {
      onProgress: (f) => setProgress(f, `Uploading… ${Math.round(f * 100)}%`),
      onSent: () => setProgress(null, "Coding the session: reading turns, tagging, building the profile…"),
    });
    setProgress(1, `Done: ${result.turn_count} turns coded.`);
    $("#upload-form").reset();
    choose(null);
    onUploaded(result);
  } catch (error) {
    showError($("#upload-error"), `The file was not stored: ${error.message}`);
    $("#upload-progress").hidden = true;
  } finally {
    upl.busy = false;
    $("#upload-button").disabled = !upl.file;
  }
}

export function initUpload({ onUploaded }) {
  const input = $("#file-input");
  const zone = $("#drop-zone");
  input.addEventListener("change", () => choose(input.files[0]));
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  }
  for (const type of ["dragleave", "drop"]) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.remove("dragging");
    });
  }
  zone.addEventListener("drop", (event) => {
    const file = event.dataTransfer?.files?.[0];
    if (file) choose(file);
  });
  // A file dropped anywhere else must not navigate away from the page.
  window.addEventListener("dragover", (event) => event.preventDefault());
  window.addEventListener("drop", (event) => event.preventDefault());
  $("#upload-form").addEventListener("submit", (event) => submit(event, onUploaded));
}
