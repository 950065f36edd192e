// Tension by body part: what is typed in the table shows on the body map beside it, and
// a click on a body part of the map goes to its fields. The table works without this.
for (const details of document.querySelectorAll(".tension-map")) {
  const form = details.closest("form");
  const map = details.querySelector(".pic-map svg");
  if (!form || !map) continue;
  const value = (name) => form.elements.namedItem(name)?.value.trim() ?? "";
  const show = (slug) => {
    const detail = map.querySelector(`[data-label-for="${CSS.escape(slug)}"] [data-detail]`);
    if (!detail) return;
    const before = value(`map_${slug}_before`);
    const after = value(`map_${slug}_after`);
    detail.textContent = before || after ? `${before || "–"} → ${after || "–"}` : "";
  };
  for (const input of form.querySelectorAll("input[name^='map_']")) {
    const slug = input.name.replace(/^map_/, "").replace(/_(before|after)$/, "");
    input.addEventListener("input", () => show(slug));
    show(slug);
  }
  for (const region of map.querySelectorAll("[data-region]")) {
    const field = form.elements.namedItem(`map_${region.dataset.region}_before`);
    if (!field) continue;
    region.classList.add("pic-clickable");
    region.addEventListener("click", () => {
      details.open = true;
      field.focus();
    });
  }
}
