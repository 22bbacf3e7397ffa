// The waiting-hall display: polls the centre's board and redraws the called tickets in place.
"use strict";

function row(entry, latest) {
  const tr = document.createElement("tr");
  if (latest) tr.className = "latest";
  for (const value of [entry.ticket, entry.counter]) {
    const td = document.createElement("td");
    td.textContent = value;
    tr.appendChild(td);
  }
  return tr;
}

function paintBoard(found) {
  const body = document.getElementById("called");
  const rows = found.called.map((entry, index) => row(entry, index === 0));
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 2;
    td.textContent = "Please wait for your number.";
    tr.appendChild(td);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
  document.getElementById("hall-waiting").textContent = found.waiting;
  document.getElementById("hall-time").textContent = found.time;
}

function watchBoard(board) {
  const every = Number(board.dataset.poll) || 2000;
  const status = document.getElementById("hall-status");
  let failures = 0;
  const poll = async () => {
    try {
      const answer = await fetch(board.dataset.url, { cache: "no-store" });
      if (!answer.ok) throw new Error(String(answer.status));
      paintBoard(await answer.json());
      failures = 0;
    } catch (error) {
      failures += 1;
    }
    status.hidden = failures === 0;
    // A screen left on all day: wait longer while the server is away, never more than 30 s.
    setTimeout(poll, Math.min(every * 2 ** failures, 30000));
  };
  setTimeout(poll, every);
}

document.addEventListener("DOMContentLoaded", () => {
  const board = document.getElementById("board");
  if (board) watchBoard(board);
});
