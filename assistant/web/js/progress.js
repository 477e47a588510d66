// Progress across sessions: each profile metric over time with the client's SRS total
// aligned beneath it, the rank correlation where there are enough rated sessions, and
// every number in a table.
import { api } from "./api.js";
import { $, fmtDate, fmtNumber, h, replace } from "./dom.js";
import { pairedPanels } from "./plots.js";

function fmtMetric(metric, value) {
  if (value === null || value === undefined) return "–";
  return metric.percent ? `${Math.round(value * 100)}%` : fmtNumber(value, metric.digits ?? 1);
}

function association(metric, assoc) {
  if (!assoc || assoc.rho === null || assoc.rho === undefined) {
    return h("p", { class: "assoc", text: `Too few sessions with an SRS to compare (${assoc?.n ?? 0}; at least ${assoc?.min_n ?? 4} needed).` });
  }
  const strength = Math.abs(assoc.rho) >= 0.5 ? "clearly" : Math.abs(assoc.rho) >= 0.3 ? "somewhat" : "hardly";
  const direction = assoc.rho >= 0 ? "higher" : "lower";
  const text = Math.abs(assoc.rho) < 0.3
    ? `Across ${assoc.n} rated sessions, ${metric.label.toLowerCase()} hardly moves with the SRS (Spearman ρ = ${fmtNumber(assoc.rho, 2)}).`
    : `Across ${assoc.n} rated sessions, the SRS was ${strength} ${direction} when ${metric.label.toLowerCase()} was higher (Spearman ρ = ${fmtNumber(assoc.rho, 2)}).`;
  return h("p", { class: "assoc", text });
}

function table(data) {
  return h(
    "details",
    { class: "more card" },
    h("summary", { text: "All numbers, session by session" }),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data-table" },
        h("caption", { class: "visually-hidden", text: "Profile metrics and client ratings per session" }),
        h(
          "thead",
          {},
          h("tr", {}, h("th", { scope: "col", text: "#" }), h("th", { scope: "col", text: "Session" }), data.metrics.map((m) => h("th", { scope: "col", class: "num", text: m.short || m.label })), h("th", { scope: "col", class: "num", text: "SRS" }), h("th", { scope: "col", class: "num", text: "ORS" })),
        ),
        h(
          "tbody",
          {},
          data.sessions.map((row, i) =>
            h(
              "tr",
              {},
              h("td", { text: String(i + 1) }),
              h("td", {}, h("a", { href: `#/session/${encodeURIComponent(row.id)}`, text: row.label })),
              data.metrics.map((m) => h("td", { class: "num", text: fmtMetric(m, row.metrics[m.key]) })),
              h("td", { class: "num", text: row.srs_total === null ? "–" : fmtNumber(row.srs_total, 1) }),
              h("td", { class: "num", text: row.ors_total === null ? "–" : fmtNumber(row.ors_total, 1) }),
            ),
          ),
        ),
      ),
    ),
  );
}

export async function showProgress() {
  const box = $("#progress-body");
  replace(box, h("p", { class: "muted", text: "Loading…" }));
  let data;
  try {
    data = await api("/progress/sessions");
  } catch (error) {
    replace(box, h("p", { class: "muted", text: `Progress is not available: ${error.message}` }));
    return;
  }
  if (!data.sessions.length) {
    replace(box, h("div", { class: "card" }, h("p", { class: "empty", text: "No sessions yet. Upload a few sessions and enter your clients' SRS to see how your practice and their ratings move together." })));
    return;
  }
  for (const row of data.sessions) {
    row.label = [row.session_date ? fmtDate(row.session_date) : fmtDate(row.created_at), row.client_code].filter(Boolean).join(" · ");
  }
  const rated = data.sessions.filter((r) => r.srs_total !== null).length;
  const intro = h(
    "p",
    { class: "muted" },
    `${data.sessions.length === 1 ? "1 session" : `${data.sessions.length} sessions`} in date order (numbered along the bottom of each plot), ${rated} with an SRS. `,
    "Dashed lines mark the published fair and good levels where there are some, and the SRS total of 36 at or below which the alliance is worth talking about with the client.",
  );
  const cards = data.metrics.map((metric) =>
    h(
      "section",
      { class: "card", "aria-labelledby": `metric-${metric.key}` },
      h("h2", { id: `metric-${metric.key}`, text: metric.label }),
      metric.help ? h("p", { class: "help", text: metric.help }) : null,
      pairedPanels({ sessions: data.sessions, metricKey: metric.key, metric, srsConcern: data.srs_concern }),
      association(metric, data.associations[metric.key]),
    ),
  );
  replace(box, intro, h("div", { class: "progress-grid" }, cards), table(data));
}
