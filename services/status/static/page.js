// What the crisis centre's pages share: text from the directory or from other issuers goes
// into the page as text, never as HTML.
"use strict";

function asText(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span;
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
  return td;
}
