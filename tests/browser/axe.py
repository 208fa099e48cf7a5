"""axe-core in the browser tests: every page a test visits is checked against WCAG 2.0/2.1 A and AA.

tests/browser/conftest.py installs an ``AxeAudit`` on each test's browser context: axe-core and
axe_runner.js are added as init scripts (so they run in every document, untouched by the page's
CSP), and the runner reports each check's violations to ``AxeAudit.record`` through a binding.
At the end of the test the current page is checked once more and any serious or critical
violation fails the test.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

HERE = Path(__file__).parent
AXE_JS = HERE / "vendor" / "axe-core" / "axe.min.js"
RUNNER_JS = HERE / "axe_runner.js"
BINDING = "__axeReport"
FAILING_IMPACTS = ("critical", "serious")
CHECK = "reason => window.__axeCheck ? window.__axeCheck(reason) : false"
IMPACT_ORDER = {"critical": 0, "serious": 1, "moderate": 2, "minor": 3}


@dataclass
class Finding:
    """One rule broken on one page, at one impact: the elements (selectors) and axe's summary for each."""

    rule: str
    impact: str
    help: str
    help_url: str
    url: str
    targets: dict[str, str] = field(default_factory=dict)  # selector -> failure summary


@dataclass
class AxeAudit:
    """Violations per (page URL, rule, impact), merged over every check of the page (load, swaps, modals)."""

    findings: dict[tuple[str, str, str], Finding] = field(default_factory=dict)
    checks: int = 0
    waited_ms: int = 0  # waiting for the page to settle before a check
    ran_ms: int = 0  # axe itself
    pages: set[str] = field(default_factory=set)
    reasons: Counter = field(default_factory=Counter)  # what started each check

    def install(self, context, tags: list[str] | None = None) -> None:
        context.expose_binding(BINDING, lambda source, report: self.record(report))
        if tags:  # other axe tags than WCAG 2.1 A/AA, e.g. for a look at "best-practice" by hand
            context.add_init_script(script=f"window.__axeTags = {json.dumps(tags)};")
        context.add_init_script(path=str(AXE_JS))
        context.add_init_script(path=str(RUNNER_JS))

    def record(self, report: dict) -> None:
        url = report["url"]
        self.checks += 1
        self.waited_ms += report.get("waitedMs", 0)
        self.ran_ms += report.get("ranMs", 0)
        self.pages.add(url)
        self.reasons[report.get("reason", "?")] += 1
        for rule in report["violations"]:
            for node in rule["nodes"]:
                impact = node.get("impact") or rule.get("impact") or "minor"
                key = (url, rule["id"], impact)
                finding = self.findings.setdefault(
                    key, Finding(rule["id"], impact, rule["help"], rule["helpUrl"], url)
                )
                finding.targets.setdefault(node["target"], node["summary"])

    def check_now(self, page) -> bool:
        """Run axe on the page's current document and wait for the result (False: not a portal page)."""
        if page.is_closed():
            return False
        for attempt in (1, 2):
            try:
                page.wait_for_load_state()
                return bool(page.evaluate(CHECK, "final"))
            except PlaywrightError:  # the page navigated while axe ran: check where it landed
                if attempt == 2:
                    raise
        return False

    def failing(self) -> list[Finding]:
        return sorted(
            (f for f in self.findings.values() if f.impact in FAILING_IMPACTS),
            key=lambda f: (IMPACT_ORDER[f.impact], f.rule, f.url),
        )

    def counts(self) -> Counter:
        """Elements in violation by (rule, impact), each element counted once per page."""
        counts: Counter = Counter()
        for f in self.findings.values():
            counts[(f.rule, f.impact)] += len(f.targets)
        return counts

    def failure_message(self, max_targets: int = 10) -> str:
        """Grouped by rule, then by element: what is wrong, where, and on which pages."""
        rules: dict[tuple[str, str], dict[str, tuple[str, list[str]]]] = {}
        about: dict[tuple[str, str], Finding] = {}
        for f in self.failing():
            about.setdefault((f.rule, f.impact), f)
            targets = rules.setdefault((f.rule, f.impact), {})
            for target, summary in f.targets.items():
                targets.setdefault(target, (summary, []))[1].append(f.url)
        elements = sum(len(f.targets) for f in self.failing())
        lines = [
            f"axe-core: serious or critical WCAG 2.1 A/AA violations ({elements} element(s), counted per page)"
        ]
        for key, targets in rules.items():
            f = about[key]
            lines.append(f"\n[{f.impact}] {f.rule}: {f.help} ({f.help_url.split('?')[0]})")
            for target, (summary, urls) in list(targets.items())[:max_targets]:
                lines.append(f"  - {target}")
                if summary:
                    lines.append(f"      {summary[:300]}")
                lines.append(
                    f"      on {', '.join(urls[:3])}{f' and {len(urls) - 3} more page(s)' if len(urls) > 3 else ''}"
                )
            if len(targets) > max_targets:
                lines.append(f"  … and {len(targets) - max_targets} more element(s)")
        return "\n".join(lines)
