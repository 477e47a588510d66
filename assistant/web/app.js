// Alliance Assistant, the page: sign-in, a small hash router and the wiring between
// views. Plain ES modules served from this machine; no framework, nothing external.
import { api, clearToken, getToken, setToken } from "./js/api.js";
import { initChat } from "./js/chat.js";
import { $, $$, focusTurn, showError, toast } from "./js/dom.js";
import { initPractice, queueRehearse, showPractice } from "./js/practice.js";
import { showProgress } from "./js/progress.js";
import { initSessionView, showSession } from "./js/session.js";
import { initUpload, showSessions } from "./js/sessions.js";

const VIEWS = ["signin", "sessions", "session", "progress", "practice", "missing"];
const TITLES = { signin: "Sign in", sessions: "Sessions", progress: "My progress", practice: "Practice", missing: "Not found" };
const app = { user: null, after: null };

function showView(name) {
  for (const view of VIEWS) $(`#view-${view}`).hidden = view !== name;
  for (const link of $$("#main-nav a")) {
    if (link.dataset.nav === name || (name === "session" && link.dataset.nav === "sessions")) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (TITLES[name]) document.title = `${TITLES[name]} · Alliance Assistant`;
  window.scrollTo(0, 0);
}

function moveFocus(name) {
  // Screen readers hear the new view's heading; keyboard users start at the top of it.
  const heading = $(`#view-${name} h1`);
  if (!heading) return;
  heading.tabIndex = -1;
  heading.focus({ preventScroll: true });
}

function signedIn(user) {
  app.user = user;
  $("#account-name").textContent = `${user.name} (${user.role})`;
  $("#sign-out").title = `Signed in as ${user.name}`;
  $("#main-nav").hidden = false;
  $("#account").hidden = false;
}

function signOut(message) {
  clearToken();
  app.user = null;
  $("#main-nav").hidden = true;
  $("#account").hidden = true;
  showView("signin");
  showError($("#signin-error"), message || "");
  $("#token-input").focus();
}

async function route() {
  const hash = location.hash || "#/sessions";
  if (!hash.startsWith("#/")) return; // an in-page link such as #turn-12
  if (!app.user) {
    app.after = hash;
    showView("signin");
    return;
  }
  const [, name, ...rest] = hash.split("/");
  try {
    if (name === "signin") {
      location.replace("#/sessions"); // already signed in
    } else if (name === "sessions" || name === "") {
      showView("sessions");
      moveFocus("sessions");
      await showSessions();
    } else if (name === "session" && rest[0]) {
      showView("session");
      moveFocus("session");
      const found = await showSession(decodeURIComponent(rest[0]));
      if (!found) {
        $("#missing-text").textContent = "This session does not exist, or it is not one of yours (it may have been deleted).";
        showView("missing");
      }
    } else if (name === "progress") {
      showView("progress");
      moveFocus("progress");
      await showProgress();
    } else if (name === "practice") {
      showView("practice");
      moveFocus("practice");
      await showPractice(app.user);
    } else {
      $("#missing-text").textContent = "There is nothing at this address.";
      showView("missing");
    }
  } catch (error) {
    if (error.status !== 401) toast(`Something went wrong: ${error.message}`);
  }
}

async function trySignIn(token, remember) {
  const user = await api("/me", { token });
  setToken(token, remember);
  signedIn(user);
  const next = app.after && app.after !== "#/signin" ? app.after : "#/sessions";
  app.after = null;
  if (location.hash === next) route();
  else location.hash = next;
}

function initSignIn() {
  $("#signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = $("#token-input").value.trim();
    if (!token) {
      showError($("#signin-error"), "Enter your API token.");
      return;
    }
    showError($("#signin-error"), "");
    try {
      await trySignIn(token, $("#remember").checked);
      $("#token-input").value = "";
    } catch (error) {
      const message = error.status === 401 ? "That token was not accepted. Check it, or ask for a new one." : error.message;
      showError($("#signin-error"), message);
    }
  });
  $("#sign-out").addEventListener("click", () => {
    signOut("");
    location.hash = "#/signin";
  });
  document.addEventListener("signed-out", (event) => {
    if (app.user) signOut(event.detail ? `Signed out: ${event.detail}.` : "Signed out.");
  });
}

function initTurnLinks() {
  // In-page links to turns scroll and highlight instead of changing the route.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.turn-link");
    if (!link) return;
    event.preventDefault();
    if (!focusTurn(Number(link.dataset.turn))) toast("That turn is not on this page.");
  });
}

async function start() {
  initSignIn();
  initTurnLinks();
  initUpload({ onUploaded: (result) => { location.hash = `#/session/${encodeURIComponent(result.id)}`; } });
  initSessionView({
    onRehearseDrill: (moment) => {
      queueRehearse(moment);
      location.hash = "#/practice";
    },
  });
  initChat();
  initPractice();
  window.addEventListener("hashchange", route);
  const token = getToken();
  if (token) {
    try {
      signedIn(await api("/me", { token }));
    } catch {
      clearToken();
    }
  }
  if (!app.user) {
    app.after = location.hash && location.hash !== "#/signin" ? location.hash : null;
    showView("signin");
    return;
  }
  route();
}

start();
