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

  function showError(text) {
    var box = document.getElementById("messages");
    if (!box) return;
    var alert = document.createElement("div");
    alert.className = "alert alert-danger";
    alert.textContent = text;
    box.appendChild(alert);
  }

  // htmx swaps nothing on 4xx/5xx and on network errors; never let such a failure pass silently.
  document.addEventListener("htmx:sendError", function () {
    showError("The portal could not be reached. Check your connection and try again.");
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 403) {
      showError("You are not allowed to do that here, or the page is out of date. Reload the page and try again.");
    } else if (status === 404) {
      showError("That item no longer exists. Reload the page.");
    } else {
      showError("Something went wrong on our side (" + status + "). Try again in a moment.");
    }
  });
})();
