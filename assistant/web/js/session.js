// One session: header and actions, the feedback note, the annotated transcript, and
// the side panel (coach, profile, client ratings).
import { api, download } from "./api.js";
import { openChat } from "./chat.js";
import { $, $$, fmtDate, fmtNumber, h, replace, showError, toast } from "./dom.js";
import { renderFeedback } from "./feedback.js";
import { renderProfile, summaryStrip } from "./profile.js";
import { closePopover, renderTranscript } from "./transcript.js";

const view = { id: null, detail: null, profile: null, measures: [] };

// ------------------------------------------------------------------ tabs
// On tablets the side panel is a bottom sheet that can be folded down to its tabs.
const narrow = matchMedia("(max-width: 1100px)");

function setCollapsed(collapsed) {
  $(".session-side").classList.toggle("collapsed", collapsed);
  const toggle = $("#side-toggle");
  toggle.setAttribute("aria-expanded", String(!collapsed));
  toggle.textContent = collapsed ? "Show panel" : "Hide panel";
}

function selectTab(tab, focus = false) {
  setCollapsed(false);
  for (const other of $$(".tabs [role=tab]")) {
    const on = other === tab;
    other.setAttribute("aria-selected", String(on));
    other.tabIndex = on ? 0 : -1;
    document.getElementById(other.getAttribute("aria-controls")).hidden = !on;
  }
  if (focus) tab.focus();
}

export function initSessionView({ onRehearseDrill }) {
  view.onRehearseDrill = onRehearseDrill;
  const tabs = $$(".tabs [role=tab]");
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (event) => {
      const i = tabs.indexOf(tab);
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      selectTab(tabs[(next + tabs.length) % tabs.length], true);
    });
  }
  $("#side-toggle").addEventListener("click", () => setCollapsed(!$(".session-side").classList.contains("collapsed")));
  $("#download-report").addEventListener("click", () => downloadReport());
  $("#download-csv").addEventListener("click", () => downloadCsv());
  $("#delete-session").addEventListener("click", () => confirmDelete());
  $("#srs-form").addEventListener("submit", (event) => saveMeasure(event, "srs"));
  $("#ors-form").addEventListener("submit", (event) => saveMeasure(event, "ors"));
}

function fileStem() {
  const d = view.detail;
  const parts = ["session", d.client_code, d.session_date || d.created_at.slice(0, 10)].filter(Boolean);
  return parts.join("-").replace(/[^A-Za-z0-9_.-]+/g, "_");
}

async function downloadReport() {
  try {
    await download(`/transcripts/${encodeURIComponent(view.id)}/report`, `${fileStem()}.html`);
  } catch (error) {
    toast(`The report could not be made: ${error.message}`);
  }
}

async function downloadCsv() {
  try {
    await download(`/transcripts/${encodeURIComponent(view.id)}/codes.csv`, `${fileStem()}-codes.csv`);
  } catch (error) {
    toast(`The codes could not be downloaded: ${error.message}`);
  }
}

async function confirmDelete() {
  const dialog = $("#confirm-dialog");
  const label = view.detail.title || view.detail.filename;
  $("#confirm-title").textContent = `Delete “${label}”?`;
  dialog.returnValue = "";
  dialog.showModal();
  dialog.addEventListener(
    "close",
    async () => {
      if (dialog.returnValue !== "confirm") {
        $("#delete-session").focus();
        return;
      }
      try {
        await api(`/transcripts/${encodeURIComponent(view.id)}`, { method: "DELETE" });
        toast("The session was deleted.");
        location.hash = "#/sessions";
      } catch (error) {
        toast(`The session could not be deleted: ${error.message}`);
      }
    },
    { once: true },
  );
}

// ------------------------------------------------------------------ measures
function latest(kind) {
  const rows = view.measures.filter((m) => m.kind === kind);
  return rows.length ? rows[rows.length - 1] : null;
}

function renderMeasures() {
  const box = $("#measures-history");
  if (!view.measures.length) {
    replace(box, h("p", { class: "muted", text: "No ratings entered for this session yet." }));
    return;
  }
  replace(
    box,
    h(
      "ul",
      { class: "measure-list" },
      [...view.measures].reverse().map((m) => {
        const flags = [];
        if (m.kind === "srs") {
          flags.push(m.values.alliance_concern ? h("span", { class: "badge badge-warn", text: "36 or below: talk about it" }) : h("span", { class: "badge badge-ok", text: "above 36" }));
          const check = m.values.items_to_check_in || [];
          if (check.length) flags.push(h("span", { class: "help", text: ` Ask about: ${check.map((i) => i.replaceAll("_", " ")).join(", ")} (below 9).` }));
        } else if (m.values.clinical_range) {
          flags.push(h("span", { class: "badge badge-warn", text: "clinical range" }));
        }
        return h(
          "li",
          {},
          h("strong", { text: m.kind.toUpperCase() }),
          " ",
          h("span", { class: "measure-total", text: `${fmtNumber(m.total, 1)} / 40` }),
          " ",
          flags,
          h("span", { class: "help", text: ` Entered ${fmtDate(m.created_at)}.` }),
        );
      }),
    ),
  );
}

async function saveMeasure(event, kind) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = form.querySelector(".error");
  const body = {};
  for (const input of form.querySelectorAll("input")) {
    const value = Number(input.value);
    if (input.value.trim() === "" || Number.isNaN(value) || value < 0 || value > 10) {
      showError(error, `${form.querySelector(`label[for="${input.id}"]`).textContent}: enter a number from 0 to 10.`);
      input.focus();
      return;
    }
    body[input.name] = value;
  }
  for (const select of form.querySelectorAll("select")) body[select.name] = select.value;
  showError(error, "");
  try {
    await api(`/transcripts/${encodeURIComponent(view.id)}/${kind}`, { method: "POST", json: body });
    form.reset();
    view.measures = await api(`/transcripts/${encodeURIComponent(view.id)}/measures`);
    renderMeasures();
    renderSummary();
    toast(`${kind.toUpperCase()} saved.`);
  } catch (err) {
    showError(error, err.message);
  }
}

// ------------------------------------------------------------------ the whole view
function renderHeader() {
  const d = view.detail;
  const title = d.title || d.filename || "Untitled session";
  $("#session-title").textContent = title;
  $("#crumb-current").textContent = title;
  document.title = `${title} · Alliance Assistant`;
  const meta = [
    d.session_date ? fmtDate(d.session_date) : `uploaded ${fmtDate(d.created_at)}`,
    d.client_code ? `client ${d.client_code}` : null,
    `${d.turn_count} turns (${d.therapist_turns} therapist, ${d.client_turns} client)`,
    `${d.source_format} file ${d.filename}`,
    d.redactions ? "redacted" : null,
    `coded by ${d.model}`,
  ].filter(Boolean);
  $("#session-meta").textContent = meta.join(" · ");
}

function renderSummary() {
  replace($("#session-summary"), summaryStrip(view.profile, latest("srs")));
}

async function loadFeedback(id) {
  const body = $("#feedback-body");
  try {
    const note = await api(`/transcripts/${encodeURIComponent(id)}/feedback`);
    if (view.id !== id) return;
    const turns = view.detail ? view.detail.turns.length : Infinity;
    replace(body, renderFeedback(note, { turns, onRehearse: (r) => view.onRehearseDrill({ ...r, transcript_id: id }) }));
  } catch (error) {
    if (view.id !== id) return;
    replace(body, h("p", { class: "muted", text: `The feedback note is not available: ${error.message}.` }));
  }
}

/** Show one session; returns false when it does not exist (or is not yours). */
export async function showSession(id) {
  closePopover(false);
  view.id = id;
  replace($("#feedback-body"), h("p", { class: "muted", text: "Loading the feedback note…" }));
  replace($("#turns"));
  replace($("#session-summary"));
  $("#session-title").textContent = "Loading…";
  $("#session-meta").textContent = "";
  selectTab($("#tab-coach"));
  setCollapsed(narrow.matches);
  let detail, profile, measures;
  try {
    [detail, profile, measures] = await Promise.all([
      api(`/transcripts/${encodeURIComponent(id)}`),
      api(`/transcripts/${encodeURIComponent(id)}/profile`),
      api(`/transcripts/${encodeURIComponent(id)}/measures`),
    ]);
  } catch (error) {
    if (error.status === 404) return false;
    throw error;
  }
  if (view.id !== id) return true;
  Object.assign(view, { detail, profile, measures });
  renderHeader();
  renderSummary();
  renderTranscript(detail, profile);
  replace($("#profile-body"), renderProfile(profile, detail.turns));
  renderMeasures();
  openChat(id, detail.turns.length, { onDrill: (drill) => view.onRehearseDrill({ ...drill, transcript_id: id }) });
  loadFeedback(id);
  return true;
}
