// Injected by tests/browser/conftest.py (Playwright add_init_script, after vendor/axe-core/axe.min.js)
// into every document the browser tests open; page CSP does not apply to init scripts.
// It runs axe-core's WCAG 2.0/2.1 A and AA rules once the page has loaded and again whenever htmx
// settled a swap or a Bootstrap modal finished opening (debounced), and hands the violations to
// Python through the __axeReport binding. window.__axeCheck(reason) runs a check now (after any
// check in flight) and resolves once it has been reported: the fixture awaits it at the end of a test.
(function () {
  "use strict";
  if (window.top !== window || window.__axeCheck) return; // top document only; axe covers frames itself

  var TAGS = window.__axeTags || ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]; // AXE_TAGS overrides (axe.py)
  var queue = Promise.resolve();
  var timer = null;

  // Only the portal's own HTML pages: not about:blank, downloads, PDFs, images or JSON.
  function isPortalPage() {
    return /^https?:$/.test(location.protocol) && document.contentType === "text/html" &&
      !!document.body && typeof window.axe !== "undefined" && typeof window.__axeReport === "function";
  }

  function simplify(violations) {
    return violations.map(function (rule) {
      return {
        id: rule.id,
        impact: rule.impact,
        help: rule.help,
        helpUrl: rule.helpUrl,
        nodes: rule.nodes.map(function (node) {
          return {
            target: node.target.map(function (t) { return Array.isArray(t) ? t.join(" >>> ") : t; }).join(" | "),
            impact: node.impact,
            summary: (node.failureSummary || "").replace(/\s+/g, " ").trim(),
          };
        }),
      };
    });
  }

  // Check settled pages only: while an htmx request is in flight its trigger is dimmed on purpose
  // (portal.css), and while a transition runs (a modal fading in) colours are half-way; neither is
  // the page's real look. Infinite animations (the "in review" dot) never end and do not count.
  function busy() {
    if (document.querySelector(".htmx-request")) return true;
    return document.getAnimations().some(function (animation) {
      return animation.playState === "running" && animation.effect &&
        animation.effect.getTiming().iterations !== Infinity;
    });
  }

  function settled() {
    return new Promise(function (resolve) {
      var tries = 0;
      (function wait() {
        if (!busy() || ++tries > 30) resolve();
        else setTimeout(wait, 100);
      })();
    });
  }

  function run(reason) {
    if (!isPortalPage()) return Promise.resolve(false);
    var url, started = performance.now(), ran;
    return settled()
      .then(function () {
        url = location.href;
        ran = performance.now();
        return window.axe.run(document, { runOnly: { type: "tag", values: TAGS }, resultTypes: ["violations"] });
      })
      .then(function (results) {
        return window.__axeReport({
          url: url, reason: reason, violations: simplify(results.violations),
          waitedMs: Math.round(ran - started), ranMs: Math.round(performance.now() - ran),
        });
      })
      .then(function () { return true; });
  }

  window.__axeCheck = function (reason) {
    // One axe run at a time (axe refuses to start while another run is going).
    var next = queue.then(function () { return run(reason || "check"); });
    queue = next.catch(function () {});
    return next;
  };

  function schedule(reason, delay) {
    clearTimeout(timer);
    timer = setTimeout(function () {
      window.__axeCheck(reason).catch(function () {}); // a page torn down mid-run is not a finding
    }, delay);
  }

  window.addEventListener("load", function () { schedule("load", 50); });
  document.addEventListener("htmx:afterSettle", function () { schedule("htmx:afterSettle", 300); });
  document.addEventListener("shown.bs.modal", function () { schedule("shown.bs.modal", 100); });
})();
