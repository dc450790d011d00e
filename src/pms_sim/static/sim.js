// Behaviour of the PMS simulator. Served as a file (never inline) so the
// sim can run under a CSP with script-src 'self'.
"use strict";

// After Set Card or Launch, open the hub's one-time URL in a new window, as
// Orthotrac does. The link stays visible only if the browser blocked it.
function openHubWindow() {
  var link = document.getElementById("hub-window");
  if (!link || !link.hasAttribute("data-auto-open")) {
    return;
  }
  var hint = document.getElementById("hub-window-hint");
  var opened = window.open(link.href, "_blank");
  if (opened) {
    try {
      opened.opener = null;
    } catch (err) {
      // Already navigated cross-origin: nothing left to detach.
    }
    // The URL works once; a second click would only show an error.
    link.hidden = true;
    if (hint) {
      hint.textContent = "The Patient Rewards Hub opened in a new window. Close that window when you are done.";
    }
  } else if (hint) {
    hint.textContent = "Your browser blocked the new window. Click the button to open the Patient Rewards Hub.";
  }
}

// Focus Card # as soon as the page is parsed: a card reader starts typing
// at once, and the autofocus attribute alone may apply a frame later.
// A refused number stays in the box; select it so the next swipe replaces
// it instead of being appended to it.
function focusCard() {
  var card = document.getElementById("card");
  if (!card) {
    return;
  }
  card.focus();
  if (card.value) {
    card.select();
  }
}

// Menus behave like a Windows menu bar: one open at a time, closed by a
// click elsewhere or by Escape.
function wireMenus() {
  var menus = Array.prototype.slice.call(document.querySelectorAll("details.menu"));
  function closeAll(except) {
    menus.forEach(function (menu) {
      if (menu !== except && !menu.contains(except)) {
        menu.open = false;
        menu.querySelectorAll("details").forEach(function (sub) { sub.open = false; });
      }
    });
  }
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () {
      if (menu.open) {
        closeAll(menu);
      }
    });
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest("details.menu")) {
      closeAll(null);
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      closeAll(null);
    }
  });
}

document.addEventListener("DOMContentLoaded", function () {
  openHubWindow();
  focusCard();
  wireMenus();
});
