// The console's small scripts: live SMS part counter, broadcast progress bar, USSD simulator.
"use strict";

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

function messageClass() {
  const chosen = document.querySelector('input[name="message_class"]:checked');
  return chosen ? chosen.value : "";
}

function watchCounter(area) {
  const out = document.getElementById(area.dataset.counter);
  let timer = null;
  const update = async () => {
    const query = new URLSearchParams({ text: area.value, lang: area.dataset.lang, class: messageClass() });
    const found = await (await fetch(out.dataset.url + "?" + query, { credentials: "same-origin" })).json();
    const ucs2 = found.ucs2_chars.length > 0;
    out.classList.toggle("ucs2", ucs2);
    out.textContent = `${found.units} characters${found.opt_out ? " with the opt-out line" : ""}, ` +
      `${found.parts} SMS part(s), ${found.encoding}` +
      (ucs2 ? ` - warning: ${found.ucs2_chars.join(" ")} forces UCS-2 (70 per part)` : "");
  };
  area.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(update, 250); });
  document.querySelectorAll('input[name="message_class"]').forEach((radio) => {
    radio.addEventListener("change", update);
  });
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
  // After the last send, delivery reports keep arriving: follow them for a while, more slowly.
  const until = Date.now() + 15 * 60 * 1000;
  const poll = async () => {
    const counts = await (await fetch(box.dataset.url, { credentials: "same-origin" })).json();
    paint(counts);
    const reporting = counts.complete && counts.sent > 0 && Date.now() < until;
    if ((!counts.complete && counts.status !== "cancelled") || reporting) {
      setTimeout(poll, counts.complete ? 3000 : 1000);
    }
  };
  poll();
}

function simulator(phone) {
  const screen = document.getElementById("screen");
  const input = document.getElementById("sim-input");
  const send = document.getElementById("sim-send");
  let session = "";
  const post = async (url, body) => {
    // No second reply while one is on its way: it would be lost when the answer clears the box.
    input.disabled = send.disabled = true;
    let found;
    try {
      const answer = await fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(body),
      });
      found = await answer.json();
    } catch (error) {
      found = { error: "Network error. Try again.", open: Boolean(session), session };
    }
    const open = Boolean(found.open);
    session = open ? found.session : "";
    screen.textContent = (found.text || found.error || "Network error").replace(/^(CON|END) /, "");
    input.disabled = send.disabled = !open;
    input.value = "";
    if (open) input.focus();
  };
  document.getElementById("sim-dial").addEventListener("click", () => {
    post(phone.dataset.start, { phone: document.getElementById("sim-phone").value });
  });
  document.getElementById("sim-form").addEventListener("submit", (event) => {
    event.preventDefault();
    post(phone.dataset.url, { session, input: input.value });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("textarea[data-counter]").forEach(watchCounter);
  const box = document.getElementById("progress");
  if (box) watchProgress(box);
  const phone = document.getElementById("phone");
  if (phone) simulator(phone);
});
