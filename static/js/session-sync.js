// Pending session logs: kept in localStorage until the server has them.
//
// A log is stored *before* it is posted, under its client-generated UUID (client_id), and
// removed only when the server answers 200 or 201. The API treats a repeat of the same
// client_id as the same session, so retrying can never create a duplicate. Failed posts
// are retried with backoff, when the browser comes back online, and on the next page load
// of any page that imports this module. A 400 (bad data) is not retried automatically:
// the entry is kept, marked invalid, and the page shows the field errors.
//
// Events: window "kneadful:sync" with detail {clientId, state: "saved"|"retry"|"invalid", errors}.

const KEY = "kneadful:pending-sessions";
const API_URL = "/api/v1/sessions/";
const MAX_DELAY = 60_000;

let timer = null;
let delay = 2_000;
let flushing = null;

function read() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || "{}") || {};
  } catch {
    return {};
  }
}

function write(store) {
  try {
    if (Object.keys(store).length) localStorage.setItem(KEY, JSON.stringify(store));
    else localStorage.removeItem(KEY);
  } catch {
    /* private mode or full storage: the in-page form still holds the data */
  }
}

export function pending() {
  return read();
}

export function newClientId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function enqueue(payload) {
  const store = read();
  store[payload.client_id] = { payload, invalid: false, queuedAt: new Date().toISOString() };
  write(store);
}

export function forget(clientId) {
  const store = read();
  delete store[clientId];
  write(store);
}

function markInvalid(clientId, errors) {
  const store = read();
  if (store[clientId]) {
    store[clientId].invalid = true;
    store[clientId].errors = errors;
    write(store);
  }
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  return document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
}

function announce(clientId, state, errors = null) {
  window.dispatchEvent(new CustomEvent("kneadful:sync", { detail: { clientId, state, errors } }));
}

async function post(payload) {
  const response = await fetch(API_URL, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-CSRFToken": csrfToken(),
    },
    body: JSON.stringify(payload),
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    /* not JSON: treated by status */
  }
  return { status: response.status, data };
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(() => flush(), delay);
  delay = Math.min(delay * 2, MAX_DELAY);
}

/** Post every pending (not invalid) log once; schedule a retry if any is still pending. */
export function flush() {
  if (flushing) return flushing;
  flushing = (async () => {
    let retry = false;
    for (const [clientId, entry] of Object.entries(read())) {
      if (entry.invalid) continue;
      try {
        const { status, data } = await post(entry.payload);
        if (status === 200 || status === 201) {
          forget(clientId);
          announce(clientId, "saved", null);
        } else if (status === 400) {
          markInvalid(clientId, data);
          announce(clientId, "invalid", data || {});
        } else {
          retry = true;
          announce(clientId, "retry", { status });
        }
      } catch {
        retry = true;
        announce(clientId, "retry", { status: 0 });
      }
    }
    if (retry) schedule();
    else delay = 2_000;
  })().finally(() => {
    flushing = null;
  });
  return flushing;
}

/** Queue a log and send it now; resolves after the first attempt. */
export function submit(payload) {
  enqueue(payload);
  delay = 2_000;
  clearTimeout(timer);
  // A flush already running may have read the store before this entry was added.
  return (flushing || Promise.resolve()).then(() => flush());
}

window.addEventListener("online", () => {
  delay = 2_000;
  flush();
});

// Anything left over from an earlier page (closed tab, lost connection) is sent now.
if (Object.values(read()).some((entry) => !entry.invalid)) flush();

// Pages that show figures say when a log kept on this device has just reached the server.
const notice = document.querySelector("[data-sync-notice]");
if (notice) {
  window.addEventListener("kneadful:sync", (event) => {
    if (event.detail.state !== "saved") return;
    notice.hidden = false;
    notice.textContent =
      "A session kept on this device has just been saved. Reload the page to see it counted.";
  });
}
