// Editor: drag and drop to reorder routines and steps. An enhancement only: the
// "Move up" / "Move down" buttons (plain forms, keyboard friendly) do the same without
// JavaScript. On drop the new order is posted, as a form, to the list's
// data-reorder-url: the server reorders in one transaction and sends the page back.

function csrfToken() {
  return document.querySelector("input[name='csrfmiddlewaretoken']")?.value ?? "";
}

function postOrder(list) {
  const form = document.createElement("form");
  form.method = "post";
  form.action = list.dataset.reorderUrl;
  form.hidden = true;
  const fields = [["csrfmiddlewaretoken", csrfToken()]];
  for (const item of list.children) fields.push(["order", item.dataset.id]);
  for (const [name, value] of fields) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
}

for (const list of document.querySelectorAll("[data-reorder-url]")) {
  if (list.children.length < 2) continue;
  let dragged = null;
  let before = "";
  const order = () => [...list.children].map((item) => item.dataset.id).join(",");
  list.classList.add("reorderable");
  for (const item of list.children) {
    item.draggable = true;
    item.addEventListener("dragstart", (event) => {
      event.stopPropagation(); // a step inside a routine moves the step only
      dragged = item;
      before = order();
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.id);
    });
    item.addEventListener("dragend", () => {
      item.classList.remove("dragging");
      dragged = null;
    });
    item.addEventListener("dragover", (event) => {
      if (!dragged || dragged.parentElement !== list || dragged === item) return;
      event.preventDefault();
      event.stopPropagation();
      const box = item.getBoundingClientRect();
      const after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? item.nextSibling : item);
    });
    item.addEventListener("drop", (event) => {
      if (!dragged || dragged.parentElement !== list) return;
      event.preventDefault();
      event.stopPropagation();
      if (order() !== before) postOrder(list);
    });
  }
}
