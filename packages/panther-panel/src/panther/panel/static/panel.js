// The panel's only script (the pages work without it): a click anywhere on a table row opens its record.
// It reads no record data: rows carry their URL in `data-href`, written by the server and escaped there.
"use strict";
document.addEventListener("click", (event) => {
  const row = event.target.closest("tr[data-href]");
  if (!row || event.target.closest("a, button, input")) return;
  window.location.assign(row.dataset.href);
});
