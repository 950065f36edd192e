// Refreshes a sending campaign's progress (staff page) from its JSON endpoint.
// Without JavaScript the page shows the same <progress> and figures; reload to update.
const panel = document.querySelector("[data-progress-url]");

if (panel) {
  const url = panel.dataset.progressUrl;
  const bar = panel.querySelector("progress");
  const fields = (name) => panel.querySelectorAll(`[data-field="${name}"]`);
  let status = panel.dataset.status;
  panel.querySelectorAll(".js-hide").forEach((el) => (el.hidden = true));

  const show = (data) => {
    for (const name of ["status_label", "recipients", "sent", "failed", "skipped"]) {
      fields(name).forEach((el) => (el.textContent = String(data[name])));
    }
    fields("pause_reason").forEach((el) => {
      el.textContent = data.pause_reason;
      el.hidden = !data.pause_reason;
    });
    if (bar) {
      bar.max = Math.max(1, data.recipients);
      bar.value = data.done;
      bar.textContent = `${data.percent}%`;
    }
  };

  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const data = await response.json();
        show(data);
        if (data.status !== status) {
          // The buttons depend on the status: let the server draw them again.
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // Offline for a moment: try again on the next tick.
    }
    window.setTimeout(poll, 2000);
  };

  if (status === "sending" || status === "scheduled") {
    window.setTimeout(poll, 2000);
  }
}
