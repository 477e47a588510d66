// The API client: the bearer token, JSON requests, uploads with progress, downloads.
// Same origin only; the token lives in sessionStorage (or localStorage when the user
// chose to stay signed in) and is sent as "Authorization: Bearer <token>".

const KEY = "alliance.token";
const BASE = "/api/v1";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail || `request failed (${status})`);
    this.status = status;
  }
}

export function getToken() {
  return sessionStorage.getItem(KEY) || localStorage.getItem(KEY) || "";
}

export function setToken(token, remember) {
  clearToken();
  (remember ? localStorage : sessionStorage).setItem(KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}

function describe(status, body) {
  if (body && typeof body.detail === "string") return body.detail;
  if (body && Array.isArray(body.detail)) return body.detail.map((d) => d.msg).join("; ");
  if (status === 404) return "not found";
  if (status === 503) return "this part of the service is not available right now";
  return `request failed (${status})`;
}

async function parse(response) {
  const type = response.headers.get("content-type") || "";
  if (response.status === 204) return null;
  if (type.includes("application/json")) return response.json();
  return response.text();
}

/** A request to /api/v1; throws ApiError with the server's message on failure. */
export async function api(path, { method = "GET", json, token = getToken(), signal } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers, signal, credentials: "omit", cache: "no-store" };
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  const response = await fetch(BASE + path, init);
  const body = await parse(response).catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, describe(response.status, body));
    if (response.status === 401) document.dispatchEvent(new CustomEvent("signed-out", { detail: error.message }));
    throw error;
  }
  return body;
}

/**
 * Upload a file as multipart form data with upload progress (fetch has none).
 * onProgress(fraction) runs while bytes go out; onSent() once they are all sent
 * and the server is coding the session.
 */
export function upload(path, form, { onProgress, onSent } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", BASE + path);
    xhr.setRequestHeader("Authorization", `Bearer ${getToken()}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && onProgress) onProgress(event.loaded / event.total);
    });
    xhr.upload.addEventListener("load", () => onSent && onSent());
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response);
      else {
        if (xhr.status === 401) document.dispatchEvent(new CustomEvent("signed-out", { detail: "" }));
        reject(new ApiError(xhr.status, describe(xhr.status, xhr.response)));
      }
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "the service could not be reached")));
    xhr.send(form);
  });
}

/** Fetch a file with the token and hand it to the browser as a download. */
export async function download(path, fallbackName) {
  const response = await fetch(BASE + path, {
    headers: { Authorization: `Bearer ${getToken()}` },
    credentials: "omit",
    cache: "no-store",
  });
  if (!response.ok) {
    const body = await parse(response).catch(() => null);
    throw new ApiError(response.status, describe(response.status, body));
  }
  const disposition = response.headers.get("content-disposition") || "";
  const match = /filename="?([^";]+)"?/i.exec(disposition);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = match ? match[1] : fallbackName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Server-made SVG shown as an image (an <img> never runs anything inside the SVG). */
export function svgImageUrl(svgText) {
  return URL.createObjectURL(new Blob([svgText], { type: "image/svg+xml" }));
}
