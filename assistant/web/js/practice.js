// Drill mode: a client statement, an answer box, feedback after each attempt, retry,
// the next statement at the adapted level; the practice plot; a trainer's cohort.
import { api, svgImageUrl } from "./api.js";
import { $, fmtPercent, h, replace, showError, toast } from "./dom.js";
import { skillLabel, swatch, tagInfo } from "./tags.js";

const REHEARSE_PREFIX = "rehearse-";
const drill = { skills: [], item: null, attempt: null, retry: false, pendingRehearse: null, urls: [] };

/** The library's title for a skill, else the page's own label. */
function skillTitle(skill) {
  return drill.skills.find((s) => s.id === skill)?.title || skillLabel(skill);
}

function levelLabel(level) {
  return { beginner: "Beginner", intermediate: "Intermediate", advanced: "Advanced" }[level] || level;
}

function revokeUrls() {
  for (const url of drill.urls) URL.revokeObjectURL(url);
  drill.urls = [];
}

function plotImage(svg, alt) {
  const url = svgImageUrl(svg);
  drill.urls.push(url);
  return h("img", { class: "plot-img", src: url, alt });
}

// ------------------------------------------------------------------ one statement
function showItem(item) {
  drill.item = item;
  drill.attempt = null;
  drill.retry = false;
  $("#drill-area").hidden = false;
  const rehearsed = item.id.startsWith(REHEARSE_PREFIX);
  // A rehearsed moment's context already says where it comes from.
  $("#drill-meta").textContent = [skillTitle(item.skill), rehearsed ? null : levelLabel(item.level), item.context].filter(Boolean).join(" · ");
  $("#drill-statement").textContent = item.client_statement;
  replace(
    $("#drill-task"),
    h("p", { text: "Respond in one or two sentences, as you would in the room. A good response:" }),
    h("ul", {}, item.criteria.map((c) => h("li", { text: c }))),
  );
  replace($("#drill-feedback"));
  $("#drill-feedback").className = "drill-feedback";
  $("#drill-actions").hidden = true;
  $("#drill-answer").value = "";
  $("#drill-answer").disabled = false;
  $("#drill-submit").disabled = false;
  $("#drill-answer").focus();
}

function list(title, items) {
  if (!items?.length) return null;
  return [h("p", { class: "fb-title", text: title }), h("ul", {}, items.map((t) => h("li", { text: t })))];
}

function showResult(outcome) {
  const r = outcome.result;
  const rehearsed = drill.item.id.startsWith(REHEARSE_PREFIX);
  const box = $("#drill-feedback");
  box.className = `drill-feedback ${r.passed ? "passed" : "missed"}`;
  const tags = r.tags.length
    ? h("p", { class: "turn-chips" }, "Coded as: ", r.tags.map((tag) => h("span", { class: "chip" }, swatch(tag), h("span", { text: tagInfo(tag).label }))))
    : h("p", { class: "muted", text: "The tagger found no code in this answer." });
  replace(
    box,
    h("p", { class: "verdict", text: `${r.passed ? "That works." : "Not quite yet."} Score ${fmtPercent(r.score)}` }),
    tags,
    list("What worked", r.worked),
    list("What to change", r.change),
    r.model_response ? [h("p", { class: "fb-title", text: "One way to say it" }), h("blockquote", { class: "quote" }, h("span", { class: "quote-text", text: `“${r.model_response}”` }))] : null,
    rehearsed ? null : h("p", { class: "help", text: `Next statement: ${levelLabel(outcome.next_level.level)}. ${outcome.next_level.reason}` }),
  );
  drill.attempt = outcome;
  $("#drill-actions").hidden = false;
  $("#drill-easy").hidden = rehearsed;
  $("#drill-hard").hidden = rehearsed;
  $("#drill-next").textContent = rehearsed ? "Practise this skill" : "Next statement";
  $("#drill-retry").focus();
}

async function submitAnswer(event) {
  event.preventDefault();
  const text = $("#drill-answer").value.trim();
  if (!text || !drill.item) return;
  const body = { item_id: drill.item.id, answer: text };
  if (drill.item.id.startsWith(REHEARSE_PREFIX)) Object.assign(body, { client_statement: drill.item.client_statement, skill: drill.item.skill });
  $("#drill-submit").disabled = true;
  showError($("#drill-error"), "");
  replace($("#drill-feedback"), h("p", { class: "muted", text: "Coding your answer…" }));
  try {
    const outcome = await api(drill.retry ? "/drills/retry" : "/drills/answer", { method: "POST", json: body });
    showResult(outcome);
    loadProgress();
  } catch (error) {
    replace($("#drill-feedback"));
    showError($("#drill-error"), error.message);
  } finally {
    $("#drill-submit").disabled = false;
  }
}

async function start(level) {
  showError($("#drill-error"), "");
  const skill = $("#drill-skill").value;
  const body = { skill };
  const chosen = level ?? $("#drill-level").value;
  if (chosen) body.level = chosen;
  if (drill.item && !drill.item.id.startsWith(REHEARSE_PREFIX)) body.exclude = drill.item.id;
  try {
    showItem(await api("/drills/start", { method: "POST", json: body }));
  } catch (error) {
    showError($("#drill-error"), error.message);
  }
}

async function rate(rating) {
  if (!drill.attempt) return;
  try {
    const change = await api("/drills/rate", { method: "POST", json: { attempt_id: drill.attempt.attempt_id, rating } });
    toast(`Noted. ${change.reason}`);
    drill.attempt.next_level = change;
    loadProgress();
  } catch (error) {
    showError($("#drill-error"), error.message);
  }
}

// ------------------------------------------------------------------ progress and cohort
function progressTable(skills, caption) {
  return h(
    "table",
    { class: "data-table" },
    h("caption", { class: "visually-hidden", text: caption }),
    h("thead", {}, h("tr", {}, ["Skill", "Attempts", "Passed", "Level", "Trend"].map((t, i) => h("th", { scope: "col", class: i === 1 || i === 2 ? "num" : null, text: t })))),
    h(
      "tbody",
      {},
      skills.map((s) =>
        h(
          "tr",
          {},
          h("td", { text: skillTitle(s.skill) }),
          h("td", { class: "num", text: String(s.attempts) }),
          h("td", { class: "num", text: fmtPercent(s.success_rate) }),
          h("td", { text: levelLabel(s.level) }),
          h("td", { text: s.trend, title: s.trend_reason || "" }),
        ),
      ),
    ),
  );
}

async function loadProgress() {
  const box = $("#drill-progress");
  try {
    const progress = await api("/drills/progress");
    revokeUrls();
    if (!progress.skills.length) {
      replace(box, h("p", { class: "muted", text: "No attempts yet. Your success rate per skill appears here after the first answer." }));
      return;
    }
    const summary = progress.skills.map((s) => `${skillTitle(s.skill)} ${fmtPercent(s.success_rate)} of ${s.attempts}`).join("; ");
    replace(box, plotImage(progress.svg, `Success rate over time per skill: ${summary}.`), progressTable(progress.skills, "Your practice per skill"));
  } catch (error) {
    replace(box, h("p", { class: "muted", text: `Progress is not available: ${error.message}` }));
  }
}

async function loadCohorts(user) {
  const card = $("#cohort-card");
  if (!["trainer", "admin"].includes(user.role)) {
    card.hidden = true;
    return;
  }
  card.hidden = false;
  const body = $("#cohort-body");
  try {
    const cohorts = await api("/drills/cohorts");
    if (!cohorts.length) {
      replace(body, h("p", { class: "muted", text: "You have no cohorts yet. Create one through the API (POST /api/v1/drills/cohorts) and add trainees by user name." }));
      return;
    }
    replace(
      body,
      cohorts.map((cohort) => [
        h("h3", { text: `${cohort.name} (${cohort.members.length} ${cohort.members.length === 1 ? "trainee" : "trainees"})` }),
        h(
          "table",
          { class: "data-table" },
          h("caption", { class: "visually-hidden", text: `Progress of ${cohort.name}` }),
          h("thead", {}, h("tr", {}, ["Trainee", "Attempts", "Passed", "Skills practised", ""].map((t, i) => h("th", { scope: "col", class: i === 1 || i === 2 ? "num" : null, text: t })))),
          h(
            "tbody",
            {},
            cohort.members.map((m) => {
              const plotCell = h("td", {});
              const button = h("button", { type: "button", class: "btn btn-small", text: "Show plot" });
              button.addEventListener("click", async () => {
                try {
                  const progress = await api(`/drills/trainees/${m.user_id}/progress`);
                  replace(plotCell, plotImage(progress.svg, `Practice of ${m.name}`));
                } catch (error) {
                  replace(plotCell, h("span", { class: "error", text: error.message }));
                }
              });
              plotCell.append(button);
              return h(
                "tr",
                {},
                h("td", { text: m.name }),
                h("td", { class: "num", text: String(m.attempts) }),
                h("td", { class: "num", text: fmtPercent(m.success_rate) }),
                h("td", { text: m.skills.map((s) => `${skillTitle(s.skill)} (${s.level}, ${s.trend})`).join("; ") || "none yet" }),
                plotCell,
              );
            }),
          ),
        ),
      ]),
    );
  } catch (error) {
    replace(body, h("p", { class: "muted", text: `The cohort is not available: ${error.message}` }));
  }
}

// ------------------------------------------------------------------ entry points
/** Remember a session moment to drill; the practice view starts with it. */
export function queueRehearse(moment) {
  drill.pendingRehearse = moment;
}

async function startRehearse(moment) {
  const body = { skill: moment.skill };
  if (moment.transcript_id && moment.turn_index !== undefined && moment.turn_index !== null) {
    Object.assign(body, { transcript_id: moment.transcript_id, turn_index: moment.turn_index });
  } else body.client_statement = moment.client_statement;
  if ([...$("#drill-skill").options].some((o) => o.value === moment.skill)) $("#drill-skill").value = moment.skill;
  try {
    showItem(await api("/drills/rehearse", { method: "POST", json: body }));
  } catch (error) {
    showError($("#drill-error"), `This moment cannot be drilled: ${error.message}`);
  }
}

export async function showPractice(user) {
  if (!drill.skills.length) {
    try {
      drill.skills = await api("/drills/skills");
    } catch (error) {
      showError($("#drill-error"), `Drills are not available: ${error.message}`);
      return;
    }
    replace($("#drill-skill"), drill.skills.map((s) => h("option", { value: s.id, text: s.title || skillLabel(s.id) })));
    const levels = $("#drill-level");
    for (const level of ["beginner", "intermediate", "advanced"]) levels.append(h("option", { value: level, text: levelLabel(level) }));
  }
  loadProgress();
  loadCohorts(user);
  if (drill.pendingRehearse) {
    const moment = drill.pendingRehearse;
    drill.pendingRehearse = null;
    await startRehearse(moment);
  }
}

export function initPractice() {
  $("#drill-setup").addEventListener("submit", (event) => {
    event.preventDefault();
    drill.item = null;
    start();
  });
  $("#drill-answer-form").addEventListener("submit", submitAnswer);
  $("#drill-answer").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("#drill-answer-form").requestSubmit();
  });
  $("#drill-retry").addEventListener("click", () => {
    drill.retry = true;
    $("#drill-actions").hidden = true;
    $("#drill-answer").select();
    $("#drill-answer").focus();
  });
  $("#drill-next").addEventListener("click", () => {
    if (drill.item?.id.startsWith(REHEARSE_PREFIX)) {
      $("#drill-skill").value = drill.item.skill;
      drill.item = null;
      start("");
      return;
    }
    start(drill.attempt?.next_level?.level || "");
  });
  $("#drill-easy").addEventListener("click", () => rate("too_easy"));
  $("#drill-hard").addEventListener("click", () => rate("too_hard"));
}
