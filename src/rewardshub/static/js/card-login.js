// The portal login page opened from the QR code on a rewards card:
// the address ends in #card=<16 digits>. A browser never sends the part
// after # to the server, so the number stays out of every server log; this
// fills the card number field from it, then takes it off the address bar
// and the history.
(function () {
  "use strict";
  const match = /^#card=(\d{16})$/.exec(window.location.hash);
  if (!match) return;
  const field = document.getElementById("id_identifier");
  if (field && !field.value) field.value = match[1];
  history.replaceState(null, "", window.location.pathname + window.location.search);
  const password = document.getElementById("id_password");
  if (password) password.focus();
})();
