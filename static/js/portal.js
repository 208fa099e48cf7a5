// DIR Portal page behaviour. No inline scripts anywhere (CSP); Tabler's bundled Bootstrap handles
// dropdowns, modals and alerts through data-bs-* attributes.
(function () {
  "use strict";

  // After htmx swaps new content in, let screen readers and keyboard users know where focus went.
  document.addEventListener("htmx:afterSwap", function (event) {
    var autofocus = event.detail.target.querySelector("[autofocus], .is-invalid");
    if (autofocus) {
      autofocus.focus();
    }
  });

  // A request that fails at the network level (server down, timeout) must not fail silently.
  document.addEventListener("htmx:sendError", function () {
    var box = document.getElementById("messages");
    if (!box) return;
    var alert = document.createElement("div");
    alert.className = "alert alert-danger";
    alert.setAttribute("role", "alert");
    alert.textContent = "The portal could not be reached. Check your connection and try again.";
    box.appendChild(alert);
  });
})();
