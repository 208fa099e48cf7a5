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
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    box.appendChild(alert);
    // The box sits at the top of the page; the button that failed may be far below it.
    alert.scrollIntoView({block: "nearest"});
  }

  // htmx swaps nothing on 4xx/5xx and on network errors; never let such a failure pass silently.
  document.addEventListener("htmx:sendError", function () {
    showError("The portal could not be reached. Check your connection and try again.");
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 403) {
      showError("You are not allowed to do that here, or the page is out of date. Reload the page and try again.");
    } else if (status === 413) {
      showError(event.detail.xhr.responseText || "That upload is too large. Choose a smaller file.");
    } else if (status === 404) {
      showError("That item no longer exists. Reload the page.");
    } else {
      showError("Something went wrong on our side (" + status + "). Try again in a moment.");
    }
  });
  // Character counters: <input data-char-counter="35" data-char-warn="15"> and an element
  // [data-char-counter-for="<input id>"] that shows "n / 35" (warning colour past data-char-warn).
  var EMOJI = /\p{Extended_Pictographic}/u;
  function updateCounter(input) {
    var out = document.querySelector('[data-char-counter-for="' + input.id + '"]');
    if (!out) return;
    var max = parseInt(input.dataset.charCounter, 10);
    var warn = parseInt(input.dataset.charWarn || "0", 10);
    var length = Array.from(input.value).length;
    var note = "";
    var level = "danger";
    if (length > max) note = " · too long";
    else if (input.value && !input.value.trim()) note = " · only spaces";
    else if (EMOJI.test(input.value)) note = " · no emoji";
    else if (warn && length > warn) { note = " · may be cut after " + warn + " on some phones"; level = "warning"; }
    out.textContent = length + " / " + max + note;
    out.classList.toggle("text-danger", note !== "" && level === "danger");
    out.classList.toggle("text-warning", note !== "" && level === "warning");
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("[data-char-counter]")) updateCounter(event.target);
  });

  // Searchable multi-selects that also take typed values: <select multiple data-tom-select>.
  function enhance(root) {
    root.querySelectorAll("[data-char-counter]").forEach(updateCounter);
    if (!window.TomSelect) return;
    root.querySelectorAll("select[data-tom-select]").forEach(function (select) {
      if (select.tomselect) return;
      var maxLength = parseInt(select.dataset.maxLength || "0", 10);
      new window.TomSelect(select, {
        create: true,
        createFilter: function (input) { return !maxLength || input.length <= maxLength; },
        maxItems: parseInt(select.dataset.maxItems || "0", 10) || null,
        plugins: ["remove_button"],
        persist: false,
        // role="option": Tom Select marks the active entry aria-selected, which needs an option role.
        render: { option_create: function (data, escape) { return '<div class="create" role="option">Add <strong>' + escape(data.input) + "</strong> (custom reason)</div>"; } },
      });
      // Tom Select points the field's <label> at its own input and gives the label an id; the
      // original <select> (visually hidden, still read by screen readers, and what htmx sends)
      // keeps the same name through that id.
      var label = document.getElementById(select.id + "-ts-label");
      if (label && !select.hasAttribute("aria-labelledby")) select.setAttribute("aria-labelledby", label.id);
    });
  }
  // --- Numbers and batches pages, removal
  // Row selection on the numbers page: the header box ticks the page, a live count names the
  // selection, and "Remove selected…" is only enabled while something is ticked.
  function updateSelection(form) {
    var boxes = form.querySelectorAll('input[name="numbers"]');
    var ticked = form.querySelectorAll('input[name="numbers"]:checked').length;
    var out = form.querySelector("[data-selected-count]");
    if (out) out.textContent = ticked ? ticked + " selected on this page" : "Tick numbers to remove them.";
    form.querySelectorAll("[data-needs-selection]").forEach(function (button) { button.disabled = ticked === 0; });
    var all = form.querySelector("[data-select-page]");
    if (all) {
      all.checked = ticked > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("#number-select-form");
    if (!form) return;
    if (event.target.matches("[data-select-page]")) {
      form.querySelectorAll('input[name="numbers"]').forEach(function (box) { box.checked = event.target.checked; });
    }
    updateSelection(form);
  });
  function enhanceSelection(root) {
    var form = root.querySelector ? root.querySelector("#number-select-form") : null;
    if (!form && root.id === "number-select-form") form = root;
    if (form) updateSelection(form);
  }
  document.addEventListener("DOMContentLoaded", function () { enhanceSelection(document); });
  document.addEventListener("htmx:load", function (event) { enhanceSelection(event.target); });

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();

// --- Signature pads (the add page's "Sign the letters here"): the drawn PNG goes into a hidden field.
(function () {
  function setUp(canvas) {
    if (canvas.dataset.ready || typeof SignaturePad === "undefined") return;
    canvas.dataset.ready = "1";
    const field = document.getElementById(canvas.dataset.signaturePad);
    const pad = new SignaturePad(canvas, { penColor: "#1d273b", minWidth: 1, maxWidth: 2.8 });
    function fit() {
      if (!canvas.isConnected) {  // swapped out by htmx: stop listening
        window.removeEventListener("resize", fit);
        return;
      }
      // Drawn at the screen's pixel density, so the PNG is sharp; what was drawn survives a resize.
      const ratio = Math.max(window.devicePixelRatio || 1, 1);
      const strokes = pad.toData();
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      pad.fromData(strokes);
      if (typeof typed === "function" && typed()) drawTyped();  // the typed name, redrawn at the new size
    }
    pad.addEventListener("endStroke", function () {
      field.value = pad.isEmpty() ? "" : pad.toDataURL("image/png");
      // A complaint about an empty pad no longer holds once something is drawn.
      canvas.classList.remove("is-invalid");
      const complaint = document.getElementById(canvas.id + "-error");
      if (complaint) complaint.remove();
    });
    const clear = document.querySelector('[data-signature-clear="' + canvas.id + '"]');
    if (clear) {
      clear.addEventListener("click", function () {
        pad.clear();
        field.value = "";
      });
    }
    // "Type my name": the typed name is drawn in a script font (vendored) and sent as the image.
    const name = document.getElementById(canvas.dataset.signatureName);
    const methods = document.querySelectorAll('[data-signature-method="' + canvas.id + '"]');
    function typed() {
      const chosen = document.querySelector('[data-signature-method="' + canvas.id + '"]:checked');
      return chosen && chosen.value === "typed";
    }
    function drawTyped() {
      if (!typed()) return;  // switched back to drawing while the font loaded
      pad.clear();
      const text = (name && name.value || "").trim();
      if (!text) { field.value = ""; return; }
      const ctx = canvas.getContext("2d");
      const width = canvas.offsetWidth, height = canvas.offsetHeight;
      let size = Math.min(64, height * 0.5);
      do {
        ctx.font = size + 'px "Dancing Script", cursive';
        size -= 2;
      } while (ctx.measureText(text).width > width - 40 && size > 14);
      ctx.fillStyle = "#1d273b";
      ctx.textBaseline = "middle";
      ctx.fillText(text, 20, height / 2);
      field.value = canvas.toDataURL("image/png");
    }
    function apply() {
      if (typed()) {
        pad.off();
        const font = document.fonts ? document.fonts.load('48px "Dancing Script"') : Promise.resolve();
        font.then(drawTyped, drawTyped);
      } else {
        pad.on();
        pad.clear();
        field.value = "";
      }
    }
    methods.forEach(function (radio) { radio.addEventListener("change", apply); });
    if (name) name.addEventListener("input", function () { if (typed()) drawTyped(); });
    fit();
    window.addEventListener("resize", fit);
  }
  function scan(root) {
    (root || document).querySelectorAll("canvas[data-signature-pad]").forEach(setUp);
  }
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:afterSettle", function (event) { scan(event.target); });
})();
