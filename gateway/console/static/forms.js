/* The console's forms. A form sent once is not sent again by a second click while its answer is
   on its way: the submit buttons look busy and further submits are ignored for RESEND_AFTER ms (a
   slow line may then try again: orders, parcels and help requests carry an idempotency key, so a
   retry records nothing twice). A page shown again by the browser's back button is ready to send. */
(function () {
  "use strict";
  var RESEND_AFTER = 5000;
  function buttons(form) {
    return form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
  }
  function busy(form, on) {
    if (on) { form.setAttribute("data-sent", String(Date.now())); } else { form.removeAttribute("data-sent"); }
    Array.prototype.forEach.call(buttons(form), function (b) {
      if (on) { b.setAttribute("aria-disabled", "true"); } else { b.removeAttribute("aria-disabled"); }
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if ((form.getAttribute("method") || "").toLowerCase() !== "post") { return; }
    var sent = Number(form.getAttribute("data-sent") || "0");
    if (sent && Date.now() - sent < RESEND_AFTER) { event.preventDefault(); return; }
    busy(form, true);
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("form[data-sent]"), function (f) { busy(f, false); });
  });
})();
