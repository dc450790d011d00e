// Small progressive enhancements; every page works without them.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Practice switcher: switch as soon as a practice is picked.
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    const select = form.querySelector("select");
    if (select) select.addEventListener("change", () => form.requestSubmit());
  }

  // "Copy username": copy the 16-digit username to the clipboard.
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", async () => {
      const text = button.getAttribute("data-copy");
      try {
        await navigator.clipboard.writeText(text);
      } catch (err) {
        const field = document.createElement("textarea");
        field.value = text;
        document.body.appendChild(field);
        field.select();
        document.execCommand("copy");
        field.remove();
      }
      const label = button.textContent;
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = label; }, 1500);
    });
  }

  // Settings > Card batches: issuing answers with a download and the page stays;
  // say so, and keep a second press from issuing a second batch.
  for (const form of document.querySelectorAll("form[data-issue-batch]")) {
    form.addEventListener("submit", () => {
      const button = form.querySelector("button[type=submit]");
      const note = form.querySelector("[data-issued-note]");
      setTimeout(() => {
        if (button) button.disabled = true;
        if (note) note.hidden = false;
      }, 0);
    });
  }

  // Card fields: a reader types the stripe (starting % or ;) and Enter, which
  // submits the form; typed numbers need the confirm field, swipes do not.
  for (const field of document.querySelectorAll("input[data-card-input]")) {
    const confirmWrap = document.getElementById(field.getAttribute("data-confirm"));
    const update = () => {
      if (!confirmWrap) return;
      const swiped = /^[%;]/.test(field.value.trim());
      confirmWrap.hidden = swiped;
    };
    field.addEventListener("input", update);
    update();
    // Where the card is one field among many (Add member), the reader's Enter
    // moves on instead of submitting a half-filled form: to the confirm field
    // after a typed number, past it after a swipe.
    const nextId = field.getAttribute("data-enter-next");
    if (nextId) {
      field.addEventListener("keydown", (event) => {
        if (event.key !== "Enter") return;
        event.preventDefault();
        update();
        const confirmInput = confirmWrap && !confirmWrap.hidden ? confirmWrap.querySelector("input") : null;
        const next = confirmInput || document.getElementById(nextId);
        if (next) next.focus();
      });
    }
  }
});

// Back and Forward show a page as it is now, never a copy whose form is still
// filled in and invites a second submit (a second award). Pages say no-store,
// so the browser fetches them again, but it then puts back what was ticked and
// typed in the forms: empty the forms that post. Should a page come back from
// the back/forward cache all the same, fetch it again.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    window.location.reload();
    return;
  }
  const navigation = performance.getEntriesByType("navigation")[0];
  if (navigation && navigation.type === "back_forward") {
    for (const form of document.querySelectorAll("form")) {
      if (form.method === "post") form.reset();
    }
  }
});
