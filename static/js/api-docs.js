// The API docs (templates/drf_spectacular/swagger_ui.html): Swagger UI draws the request
// body's editor without a label; name it for screen readers whenever it appears.
const root = document.getElementById("swagger-ui");

function labelBodies() {
  for (const area of root.querySelectorAll("textarea.body-param__text:not([aria-label])")) {
    area.setAttribute("aria-label", "Request body (JSON)");
  }
}

new MutationObserver(labelBodies).observe(root, { childList: true, subtree: true });
