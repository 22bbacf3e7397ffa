// The console's small scripts: live SMS part counter, broadcast progress bar, USSD simulator.
"use strict";

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

function watchCounter(area) {
  const out = document.getElementById(area.dataset.counter);
  let timer = null;
  const update = async () => {
    const url = out.dataset.url + "?text=" + encodeURIComponent(area.value);
    const found = await (await fetch(url, { credentials: "same-origin" })).json();
    const ucs2 = found.ucs2_chars.length > 0;
    out.classList.toggle("ucs2", ucs2);
    out.textContent = `${found.units} characters, ${found.parts} SMS part(s), ${found.encoding}` +
      (ucs2 ? ` - warning: ${found.ucs2_chars.join(" ")} forces UCS-2 (70 per part)` : "");
  };
  area.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(update, 250); });
  update();
}

function watchProgress(box) {
  const bar = box.querySelector(".bar");
  const paint = (counts) => {
    const total = Math.max(counts.total, 1);
    for (const key of ["delivered", "sent", "failed"]) {
      bar.querySelector("." + key).style.width = (100 * counts[key] / total) + "%";
    }
    box.querySelectorAll("[data-count]").forEach((el) => { el.textContent = counts[el.dataset.count]; });
    bar.setAttribute("aria-valuenow", counts.delivered + counts.sent + counts.failed);
    document.getElementById("status").textContent = counts.status.replace("_", " ");
    document.getElementById("complete").hidden = !counts.complete;
    const actions = document.getElementById("actions");
    if (actions && counts.complete) actions.hidden = true;
  };
  const poll = async () => {
    const counts = await (await fetch(box.dataset.url, { credentials: "same-origin" })).json();
    paint(counts);
    if (!counts.complete && counts.status !== "cancelled") setTimeout(poll, 1000);
  };
  poll();
}

function simulator(phone) {
  const screen = document.getElementById("screen");
  const input = document.getElementById("sim-input");
  const send = document.getElementById("sim-send");
  let inputs = [], session = "";
  const hop = async () => {
    const body = { session, phone: document.getElementById("sim-phone").value, text: inputs.join("*") };
    const answer = await fetch(phone.dataset.url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    });
    const found = await answer.json();
    const text = found.text || found.error || "Network error";
    const open = text.startsWith("CON ");
    screen.textContent = text.replace(/^(CON|END) /, "");
    input.disabled = send.disabled = !open;
    input.value = "";
    if (open) input.focus();
  };
  document.getElementById("sim-dial").addEventListener("click", () => {
    inputs = []; session = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    hop();
  });
  document.getElementById("sim-form").addEventListener("submit", (event) => {
    event.preventDefault();
    inputs.push(input.value);
    hop();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("textarea[data-counter]").forEach(watchCounter);
  const box = document.getElementById("progress");
  if (box) watchProgress(box);
  const phone = document.getElementById("phone");
  if (phone) simulator(phone);
});
