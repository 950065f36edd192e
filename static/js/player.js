// Guided player: timers, get-ready countdown, sound and vibration cues, wake lock, keyboard,
// and saving the finished session through the API without losing it on a flaky connection.
// The page works without this module (one step per page, links); this only enhances it.
import { forget, newClientId, submit } from "./session-sync.js";

const root = document.getElementById("player");
const dataNode = document.getElementById("player-data");

if (root && dataNode) {
  const data = JSON.parse(dataNode.textContent);
  const GET_READY_SECONDS = 3;
  const MUTE_KEY = "kneadful:player-muted";
  const positions = data.sides.flatMap((side) =>
    data.steps.map((step, i) => ({ ...step, number: i + 1, side })),
  );
  const $ = (id) => document.getElementById(id);
  const el = {
    progress: $("player-progress"),
    bar: $("player-progress-bar"),
    step: $("player-step"),
    title: $("step-title"),
    technique: $("step-technique"),
    instruction: $("step-instruction"),
    finger: $("step-finger"),
    timer: $("step-timer"),
    controls: $("player-controls"),
    stepForm: $("player-form"),
    did: $("step-did"),
    end: root.querySelector(".player-end"),
    live: $("player-live"),
    panel: $("finish-panel"),
    form: $("finish-form"),
    status: $("sync-status"),
    saved: $("finish-saved"),
    errors: $("finish-errors"),
    summary: $("finish-summary"),
    submit: $("finish-submit"),
    nothing: $("finish-nothing"),
  };

  const state = {
    index: Math.min(Math.max(data.start || 0, 0), positions.length - 1),
    phase: "idle", // idle | getready | running | paused | done
    pausedPhase: null,
    remaining: 0,
    deadline: 0,
    // Positions done: the member ticked "I did this step" or its timer ran most of its
    // length (data.doneFraction, the same rule as the pages without JavaScript).
    done: new Set(data.done || []),
    ran: positions.map(() => 0), // the longest run of each position's timer, in ms
    startedAt: null,
    endedAt: null,
    clientId: null,
    tick: null,
  };
  let muted = localStorage.getItem(MUTE_KEY) === "1";
  let audio = null;
  let wakeLock = null;

  // --- Controls (replace the no-JS links) ---------------------------------------------------
  const button = (text, cls, handler, extra = {}) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = text;
    for (const [k, v] of Object.entries(extra)) b.setAttribute(k, v);
    b.addEventListener("click", handler);
    return b;
  };
  const prevBtn = button("← Previous", "button button-secondary player-prev", () => go(-1), {
    "aria-keyshortcuts": "ArrowLeft",
  });
  const playBtn = button("Start", "button player-play", toggle, {
    "aria-keyshortcuts": "Space",
    id: "player-play",
  });
  const nextBtn = button("Next step →", "button button-secondary player-next", () => go(1), {
    "aria-keyshortcuts": "ArrowRight",
  });
  const muteBtn = button("", "button button-small button-secondary player-mute", () => {
    muted = !muted;
    localStorage.setItem(MUTE_KEY, muted ? "1" : "0");
    renderMute();
  });
  const endBtn = button("End early and log what I did", "link-button player-end-early", () =>
    finish(),
  );
  el.controls.replaceChildren(prevBtn, playBtn, nextBtn);
  el.stepForm.addEventListener("submit", (event) => event.preventDefault());
  el.did.addEventListener("change", () => markDone(state.index, el.did.checked));
  $("step-did-help").textContent =
    "A step also counts once its timer has run most of its length. Skipped steps are not logged.";
  el.end.replaceChildren(endBtn, document.createTextNode(" "), muteBtn);
  const hint = document.createElement("p");
  hint.className = "player-keys meta";
  hint.textContent = "Keys: Space to start or pause, ← and → for previous and next step.";
  el.end.after(hint);
  root.dataset.state = "idle";

  function renderMute() {
    // A toggle button: the name stays, aria-pressed (and the visible tick) says the state.
    muteBtn.setAttribute("aria-pressed", String(muted));
    const tick = document.createElement("span");
    tick.setAttribute("aria-hidden", "true");
    tick.textContent = muted ? "✓ " : "";
    muteBtn.replaceChildren(tick, "Mute sound and vibration");
  }
  renderMute();

  // --- Rendering ----------------------------------------------------------------------------
  const sideText = (side) => (side ? `${side} ${data.sideNoun}` : "");
  const fmt = (ms) => {
    const s = Math.max(0, Math.ceil(ms / 1000));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  };

  function progressText(p) {
    const side = sideText(p.side);
    return `Step ${p.number} of ${data.steps.length}${side ? ` · ${side}` : ""}`;
  }

  function renderStep(announceIt = true) {
    const p = positions[state.index];
    el.progress.textContent = progressText(p);
    el.bar.value = state.index + 1;
    el.bar.setAttribute("aria-label", `Session progress: ${state.index + 1} of ${positions.length}`);
    el.title.textContent = p.title;
    el.technique.textContent = p.technique;
    el.technique.hidden = !p.technique;
    el.instruction.textContent = p.instruction;
    el.finger.hidden = !p.perFinger;
    el.finger.textContent = p.perFinger ? `Repeat on each ${data.digit}: ${data.fingers.join(", ")}.` : "";
    el.did.checked = state.done.has(state.index);
    renderPicture(p);
    prevBtn.disabled = state.index === 0;
    nextBtn.textContent = state.index === positions.length - 1 ? "Finish" : "Next step →";
    renderTimer();
    const query = new URLSearchParams({ step: p.number });
    if (p.side) query.set("side", p.side);
    history.replaceState(null, "", `?${query}`);
    if (announceIt) {
      const side = sideText(p.side);
      const switched =
        state.index > 0 && positions[state.index - 1].side !== p.side ? `Now the ${side}. ` : "";
      say(`${switched}${progressText(p)}: ${p.title}`);
    }
  }

  function renderPicture(p) {
    // The step's picture, drawn by the server for the right side; the left is its mirror.
    const source = $(`step-picture-${p.number - 1}`);
    const slot = $("step-picture");
    if (!source || !slot) return;
    const figure = source.content.firstElementChild.cloneNode(true);
    if (p.side === "left" && figure.dataset.altLeft) {
      const body = figure.querySelector(".pic-body");
      body.setAttribute("transform", body.dataset.mirror);
      figure.querySelector("svg").setAttribute("aria-label", figure.dataset.altLeft);
      const caption = figure.querySelector(".pic-caption");
      if (caption) caption.textContent = figure.dataset.captionLeft;
    }
    slot.replaceChildren(figure);
  }

  function renderTimer() {
    const p = positions[state.index];
    const now = performance.now();
    const left = state.phase === "paused" ? state.remaining : state.deadline - now;
    root.dataset.state = state.phase;
    if (state.phase === "getready" || (state.phase === "paused" && state.pausedPhase === "getready")) {
      const previous = positions[state.index - 1];
      const switching = previous && previous.side !== p.side;
      const lead = switching ? `Switch to the ${sideText(p.side)}. ` : "";
      el.timer.textContent = `${lead}Get ready… ${Math.max(1, Math.ceil(left / 1000))}`;
    } else if (state.phase === "running" || state.phase === "paused") {
      el.timer.textContent = fmt(left) + (state.phase === "paused" ? " (paused)" : "");
      if (p.perFinger) {
        const span = (p.duration * 1000) / data.fingers.length;
        const elapsed = p.duration * 1000 - left;
        const finger = data.fingers[Math.min(data.fingers.length - 1, Math.floor(elapsed / span))];
        el.finger.textContent = `Now: ${finger}`;
      }
    } else {
      el.timer.textContent = fmt(p.duration * 1000);
    }
    playBtn.textContent =
      state.phase === "idle" ? "Start" : state.phase === "paused" ? "Resume" : "Pause";
    playBtn.setAttribute("aria-pressed", String(state.phase === "paused"));
  }

  function say(text) {
    el.live.textContent = "";
    // A fresh text node after a tick makes screen readers announce repeats too.
    setTimeout(() => {
      el.live.textContent = text;
    }, 50);
  }

  // --- Cues: soft tone, vibration, wake lock --------------------------------------------------
  function ensureAudio() {
    if (audio || muted) return;
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx) {
      try {
        audio = new Ctx();
      } catch {
        audio = null;
      }
    }
  }

  function cue() {
    if (muted) return;
    ensureAudio();
    if (audio) {
      const t = audio.currentTime;
      for (const [offset, freq] of [
        [0, 660],
        [0.22, 880],
      ]) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = "sine";
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, t + offset);
        gain.gain.exponentialRampToValueAtTime(0.18, t + offset + 0.03);
        gain.gain.exponentialRampToValueAtTime(0.0001, t + offset + 0.5);
        osc.connect(gain).connect(audio.destination);
        osc.start(t + offset);
        osc.stop(t + offset + 0.55);
      }
    }
    if (navigator.vibrate) navigator.vibrate([120, 80, 120]);
  }

  async function keepAwake() {
    if (!("wakeLock" in navigator) || wakeLock) return;
    try {
      wakeLock = await navigator.wakeLock.request("screen");
      wakeLock.addEventListener("release", () => {
        wakeLock = null;
      });
    } catch {
      wakeLock = null; // denied (battery saver, hidden tab): the session goes on
    }
  }

  function letSleep() {
    wakeLock?.release().catch(() => {});
    wakeLock = null;
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && ["getready", "running"].includes(state.phase)) {
      keepAwake();
    }
  });

  // --- Timing ---------------------------------------------------------------------------------
  function startTicking() {
    clearInterval(state.tick);
    state.tick = setInterval(onTick, 200);
  }

  function beginStep() {
    state.phase = "getready";
    state.deadline = performance.now() + GET_READY_SECONDS * 1000;
    startTicking();
    renderTimer();
  }

  function markDone(index, done) {
    if (done) state.done.add(index);
    else state.done.delete(index);
    if (index === state.index) el.did.checked = done;
  }

  function noteRun(leftMs) {
    // How far this run of the current step's timer got; enough of it makes the step done.
    const p = positions[state.index];
    const ran = p.duration * 1000 - leftMs;
    state.ran[state.index] = Math.max(state.ran[state.index], ran);
    if (!state.done.has(state.index) && ran >= data.doneFraction * p.duration * 1000) {
      markDone(state.index, true);
    }
  }

  function onTick() {
    if (state.phase !== "getready" && state.phase !== "running") return;
    if (state.phase === "running") noteRun(Math.max(0, state.deadline - performance.now()));
    if (performance.now() < state.deadline) {
      renderTimer();
      return;
    }
    if (state.phase === "getready") {
      state.phase = "running";
      state.deadline = performance.now() + positions[state.index].duration * 1000;
      renderTimer();
      return;
    }
    // The step's time is up: it is done.
    cue();
    markDone(state.index, true);
    if (state.index >= positions.length - 1) {
      finish();
    } else {
      state.index += 1;
      renderStep();
      beginStep();
    }
  }

  function markStarted() {
    if (!state.startedAt) {
      state.startedAt = new Date();
      state.clientId = newClientId();
    }
  }

  function toggle() {
    if (state.phase === "done") return;
    ensureAudio();
    audio?.resume?.();
    if (state.phase === "idle") {
      markStarted();
      keepAwake();
      beginStep();
      say(`Started. ${progressText(positions[state.index])}: ${positions[state.index].title}`);
    } else if (state.phase === "paused") {
      state.phase = state.pausedPhase;
      state.deadline = performance.now() + state.remaining;
      keepAwake();
      startTicking();
      renderTimer();
      say("Resumed");
    } else {
      state.pausedPhase = state.phase;
      state.remaining = state.deadline - performance.now();
      state.phase = "paused";
      clearInterval(state.tick);
      renderTimer();
      say("Paused");
    }
  }

  function go(delta) {
    if (state.phase === "done") return;
    markStarted();
    if (state.phase === "running") noteRun(Math.max(0, state.deadline - performance.now()));
    if (delta > 0 && state.index >= positions.length - 1) {
      finish();
      return;
    }
    const target = state.index + delta;
    if (target < 0 || target >= positions.length) return;
    state.index = target;
    renderStep();
    if (state.phase === "getready" || state.phase === "running") {
      beginStep();
    } else if (state.phase === "paused") {
      state.pausedPhase = "getready";
      state.remaining = GET_READY_SECONDS * 1000;
      renderTimer();
    } else {
      renderTimer();
    }
  }

  // --- Finishing and saving -------------------------------------------------------------------
  // Same rules as routines/player.py: outcome() and summary().
  function outcome(done) {
    const count = data.steps.length;
    const counts = data.sides.map(
      (_, k) => [...done].filter((i) => i >= k * count && i < (k + 1) * count).length,
    );
    if (data.sides.length === 1) return { steps: counts[0], sides: "", counts };
    const reached = data.sides.map((side, k) => [side, counts[k]]).filter(([, n]) => n > 0);
    if (!reached.length) return { steps: 0, sides: "", counts };
    if (reached.length === 1) return { steps: reached[0][1], sides: reached[0][0], counts };
    return { steps: Math.min(...counts), sides: "both", counts };
  }

  function summary(result) {
    const count = data.steps.length;
    if (result.sides === "both" && new Set(result.counts).size > 1) {
      const parts = data.sides.map((side, k) => `${result.counts[k]} of ${count} on the ${sideText(side)}`);
      return `Steps completed: ${parts.join(", ")}.`;
    }
    const sides =
      result.sides === "both" ? " (both sides)" : result.sides ? ` (${result.sides} side)` : "";
    return `Steps completed: ${result.steps} of ${count}${sides}.`;
  }

  function setHidden(name, value) {
    const input = el.form.elements.namedItem(name);
    if (input) input.value = value;
  }

  function finish() {
    if (state.phase === "done") return;
    markStarted();
    if (state.phase === "running") noteRun(Math.max(0, state.deadline - performance.now()));
    clearInterval(state.tick);
    state.phase = "done";
    state.endedAt = new Date();
    letSleep();
    const result = outcome(state.done);
    root.dataset.state = "done";
    el.step.hidden = true;
    el.stepForm.hidden = true;
    hint.hidden = true;
    el.panel.hidden = false;
    if (!result.steps) {
      // Skipping through is not a session: nothing is saved or counted.
      el.form.hidden = true;
      el.nothing.hidden = false;
      $("finish-heading").textContent = "Nothing to save this time";
      $("finish-heading").focus();
      say("No step was done, so this session is not saved.");
      return;
    }
    setHidden("client_id", state.clientId);
    setHidden("started_at", state.startedAt.toISOString());
    setHidden("ended_at", state.endedAt.toISOString());
    setHidden("steps_completed", String(result.steps));
    setHidden("sides", result.sides);
    el.summary.textContent = summary(result);
    $("finish-heading").focus();
    say(
      state.done.size >= positions.length
        ? "Routine complete. How did it go?"
        : "Session ended. How did it go?",
    );
  }

  function clearErrors() {
    el.errors.hidden = true;
    el.errors.replaceChildren();
    for (const node of el.form.querySelectorAll("[data-error-for]")) node.replaceChildren();
    for (const node of el.form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
    for (const node of el.form.querySelectorAll(".field-invalid")) node.classList.remove("field-invalid");
  }

  function showErrors(errors) {
    clearErrors();
    const general = [];
    for (const [name, messages] of Object.entries(errors || {})) {
      const list = Array.isArray(messages) ? messages : [String(messages)];
      const slot = el.form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
      const input = el.form.elements.namedItem(name);
      if (slot && input && input.type !== "hidden") {
        for (const message of list) {
          const p = document.createElement("p");
          p.textContent = message;
          slot.append(p);
        }
        input.setAttribute("aria-invalid", "true");
        slot.closest(".field")?.classList.add("field-invalid");
      } else {
        general.push(...list.map((m) => (name === "non_field_errors" ? m : `${name.replace(/_/g, " ")}: ${m}`)));
      }
    }
    if (general.length) {
      for (const message of general) {
        const p = document.createElement("p");
        p.textContent = message;
        el.errors.append(p);
      }
      el.errors.hidden = false;
    }
    (el.form.querySelector("[aria-invalid=true]") || el.errors).focus?.();
  }

  function numberOrNull(name) {
    const input = el.form.elements.namedItem(name);
    if (!input || input.value.trim() === "") return null;
    const n = Number(input.value);
    return Number.isInteger(n) ? n : input.value;
  }

  function payload() {
    const f = el.form.elements;
    const map = {};
    for (const input of el.form.querySelectorAll("input[name^=map_]")) {
      const match = input.name.match(/^map_(.+)_(before|after)$/);
      if (match && input.value.trim() !== "") {
        map[match[1]] = { ...(map[match[1]] || {}), [match[2]]: Number(input.value) };
      }
    }
    return {
      client_id: f.namedItem("client_id").value,
      routine: data.routine,
      started_at: f.namedItem("started_at").value,
      ended_at: f.namedItem("ended_at").value,
      steps_completed: Number(f.namedItem("steps_completed").value),
      sides: f.namedItem("sides").value,
      tension_before: numberOrNull("tension_before"),
      tension_after: numberOrNull("tension_after"),
      rating: numberOrNull("rating"),
      notes: f.namedItem("notes").value,
      tension_map: map,
      source: "player", // however it reaches the server, a guided session
    };
  }

  function localErrors(body) {
    const errors = {};
    for (const name of ["tension_before", "tension_after"]) {
      const v = body[name];
      if (v !== null && !(Number.isInteger(v) && v >= 0 && v <= 10)) {
        errors[name] = ["Enter a whole number from 0 to 10."];
      }
    }
    if (body.notes.length > 2000) errors.notes = ["Keep notes to 2000 characters."];
    return errors;
  }

  let current = null;
  const discard = el.form.querySelector("[data-discard]");
  discard.addEventListener("click", () => {
    if (current) forget(current); // a refused log the member gives up on
  });
  el.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = payload();
    const problems = localErrors(body);
    if (Object.keys(problems).length) {
      showErrors(problems);
      return;
    }
    clearErrors();
    current = body.client_id;
    discard.hidden = true;
    el.submit.disabled = true;
    el.status.textContent = "Saving…";
    submit(body);
  });

  window.addEventListener("kneadful:sync", (event) => {
    const { clientId, state: result, errors } = event.detail;
    if (clientId !== current) return;
    if (result === "saved") {
      el.status.textContent = "✓ Saved. Well done!";
      el.status.classList.add("sync-saved");
      el.status.classList.remove("sync-retry");
      for (const input of el.form.elements) input.disabled = true;
      el.submit.hidden = true;
      el.saved.hidden = false;
    } else if (result === "retry") {
      el.status.textContent =
        errors?.status === 401 || errors?.status === 403
          ? "Not saved yet: please check you are still logged in. Your session is kept on this device and we will keep trying."
          : "Not saved yet: no connection. Your session is kept on this device and will be sent automatically.";
      el.status.classList.add("sync-retry");
      el.submit.disabled = false;
      el.submit.textContent = "Try again now";
    } else if (result === "invalid") {
      el.status.textContent = "Please correct the highlighted fields and save again.";
      el.submit.disabled = false;
      discard.hidden = false;
      showErrors(errors);
    }
  });

  // --- Keyboard -------------------------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    if (state.phase === "done" || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target.closest?.("input, textarea, select, [contenteditable]")) return;
    if (event.key === " " || event.code === "Space") {
      if (target.closest?.("button, a, summary")) return; // they have their own Space action
      event.preventDefault();
      toggle();
    } else if (event.key === "ArrowRight") {
      event.preventDefault();
      go(1);
    } else if (event.key === "ArrowLeft") {
      event.preventDefault();
      go(-1);
    }
  });

  renderStep(false);
}
