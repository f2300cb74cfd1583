// The dashboard's trial table (tunebook/dashboard/_table_view.py): the kernel sends the
// table's HTML; a click on a column's header asks to sort by it, a click on a row opens
// that trial. The HTML marks them: <th data-column="..."> and <tr data-trial="...">.

function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "tunebook-table";
  el.appendChild(box);
  const draw = () => {
    box.innerHTML = model.get("html");
    const chosen = model.get("chosen");
    for (const row of box.querySelectorAll("tr[data-trial]")) {
      row.classList.toggle("tunebook-chosen", row.dataset.trial === chosen);
    }
  };
  const click = (event) => {
    const header = event.target.closest("th[data-column]");
    if (header) {
      model.send({ kind: "sort", column: header.dataset.column });
      return;
    }
    const row = event.target.closest("tr[data-trial]");
    if (row) model.send({ kind: "open", trial: row.dataset.trial });
  };
  box.addEventListener("click", click);
  model.on("change:html", draw);
  model.on("change:chosen", draw);
  draw();
  return () => {
    box.removeEventListener("click", click);
    model.off("change:html", draw);
    model.off("change:chosen", draw);
  };
}

export default { render };
