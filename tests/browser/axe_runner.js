// Injected by tests/browser/conftest.py (Playwright add_init_script, after vendor/axe-core/axe.min.js)
// into every document the browser tests open; page CSP does not apply to init scripts.
// It runs axe-core's WCAG 2.0/2.1 A and AA rules on the whole page once it has loaded, on what htmx
// swapped in once it settled, and on a Bootstrap modal once it is shown (debounced, one run at a
// time, and only when no htmx request or transition is running), and hands the violations to
// Python through the __axeReport binding. window.__axeCheck(reason) checks the whole page (after any
// check in flight) and resolves once that has been reported: the fixture awaits it at the end of a
// test. It is skipped when a whole-page check already saw the page as it is.
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

  // What changed since the last check: a whole-page check covers everything; after an htmx swap or
  // a modal opening only the new content is checked (much cheaper on pages that poll).
  var wantWhole = false;
  var pending = [];
  var dirty = true; // the DOM changed since the last whole-page check started
  var wholeChecked = false;
  function changed() { dirty = true; }
  new MutationObserver(changed)
    .observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  // Ticking a box or typing changes no attribute, but CSS may show or hide content on :checked.
  document.addEventListener("change", changed, true);
  document.addEventListener("input", changed, true);

  // scope: null for the whole document, or the elements to check.
  function run(reason, scope) {
    if (!isPortalPage()) return Promise.resolve(false);
    var url, started = performance.now(), ran;
    return settled()
      .then(function () {
        url = location.href;
        ran = performance.now();
        var context = document;
        if (scope) {
          scope = scope.filter(function (el) { return el.isConnected; });
          if (!scope.length) return null;
          context = { include: scope };
        } else {
          dirty = false;
        }
        return window.axe.run(context, { runOnly: { type: "tag", values: TAGS }, resultTypes: ["violations"] });
      })
      .then(function (results) {
        if (!results) return true;
        if (!scope) wholeChecked = true;
        return window.__axeReport({
          url: url, reason: reason, violations: simplify(results.violations),
          waitedMs: Math.round(ran - started), ranMs: Math.round(performance.now() - ran),
        }).then(function () { return true; });
      });
  }

  function enqueue(job) {
    // One axe run at a time (axe refuses to start while another run is going).
    var next = queue.then(job);
    queue = next.catch(function () {});
    return next;
  }

  // The whole page now, after any check in flight; skipped when a whole-page check already saw
  // the page as it is (nothing changed since).
  window.__axeCheck = function (reason) {
    return enqueue(function () {
      if (wholeChecked && !dirty && !pending.length) return isPortalPage();
      return run(reason || "check", null);
    });
  };

  function schedule(reason, delay, elements) {
    if (elements) pending.push.apply(pending, elements);
    else wantWhole = true;
    clearTimeout(timer);
    timer = setTimeout(function () {
      var scope = wantWhole ? null : pending.slice();
      wantWhole = false;
      pending = [];
      enqueue(function () { return run(reason, scope); })
        .catch(function () {}); // a page torn down mid-run is not a finding
    }, delay);
  }

  window.addEventListener("load", function () { schedule("load", 50, null); });
  // htmx fires afterSettle on each element it swapped in (the target itself for innerHTML swaps).
  document.addEventListener("htmx:afterSettle", function (event) {
    var el = event.target;
    schedule("htmx:afterSettle", 300, el === document.body || el === document.documentElement ? null : [el]);
  });
  document.addEventListener("shown.bs.modal", function (event) { schedule("shown.bs.modal", 100, [event.target]); });
})();
