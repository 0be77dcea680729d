"""The briefing report: self-contained (no external request), complete, escaped; the
``report`` command."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from helpers import HOSTILE, URL, item_dict, priors_dict

import forecast
from forecast.report import report_html, write_report

DRAWS = 400


@pytest.fixture
def hostile_report(hostile_scenario):
    result = forecast.run(hostile_scenario, draws=DRAWS, seed=1)
    result.attrs["command"] = "forecast run --seed 1"
    return result, report_html(result)


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parsed(text: str) -> Tags:
    p = Tags()
    p.feed(text)
    return p


def test_report_makes_no_external_request(hostile_report):
    _, text = hostile_report
    low = text.lower()
    for needle in ('src="http', "src='http", "<link", "<script", "@import", "url(http", "<iframe"):
        assert needle not in low, needle
    tags = parsed(text).tags
    assert not [t for t, _ in tags if t in ("script", "link", "img", "iframe", "object", "embed")]
    for _, attrs in tags:
        for name, value in attrs.items():
            if name in ("src", "href", "xlink:href", "data", "action"):
                assert not str(value).startswith(("http:", "https:", "//")), (name, value)
    # the only URL is the analyst's own field, as text
    assert re.findall(r"https?://[^\s<\"']+", text) == [html.escape(URL)]


def test_report_contains_question_ids_and_the_sentence(hostile_report):
    result, text = hostile_report
    assert text.startswith("<!DOCTYPE html>")
    assert html.escape("Will <b>it</b> happen & when?") in text
    for item in ("alpha-1", "beta_2", "gamma.3"):
        assert item in text
    t = result["trajectory"]
    p, lo, hi = (float(t[v][-1]) for v in ("p_outcome", "p_outcome_low", "p_outcome_high"))
    sentence = re.sub(r"<[^>]+>", "", re.search(r'<p class="lead">(.*?)</p>', text, re.S)[1])
    assert "As of 17 Feb 2022, after 3 evidence items" in sentence
    assert f"the probability of event is {100 * p:.0f}%" in sentence
    assert f"90% judgement band {100 * lo:.0f}% to {100 * hi:.0f}%" in sentence


def test_report_escapes_every_text_field(hostile_report):
    _, text = hostile_report
    assert "<script>alert" not in text
    assert "<b>it</b>" not in text
    assert text.count(html.escape(HOSTILE)) >= 4  # quote, rationale, source, title
    assert html.escape(URL) in text
    assert f'href="{URL}"' not in text and f'href="{html.escape(URL)}"' not in text


def test_report_has_every_chart_inline(hostile_report):
    _, text = hostile_report
    assert text.count("<svg") == 5
    assert "xmlns" not in text  # inline SVG in HTML needs no namespace URLs
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids)), "element ids collide between charts"
    for heading in (
        "How the forecast moved",
        "Evidence",
        "What moved it",
        "ACH",
        "Which judgements matter",
        "Reproducibility",
    ):
        assert heading in text


def test_report_reproducibility_block(hostile_scenario, hostile_report):
    result, text = hostile_report
    block = text[text.index("<h2>Reproducibility</h2>") :]
    assert "forecast run --seed 1" in block
    assert result.attrs["scenario_hash"] in block
    for path, digest in hostile_scenario.files.items():
        assert html.escape(path) in block and digest in block
    assert "pymc" in block and "numpy" in block
    assert re.search(r"<th>seed</th><td><code>1</code>", block)


def test_report_without_evidence(tmp_path):
    s = forecast.Scenario.from_dict({"priors": priors_dict(), "evidence": []})
    text = report_html(forecast.run(s, draws=DRAWS, seed=1))
    assert "Before any evidence, on the priors alone" in text
    assert "No evidence items yet" in text


def test_write_report_is_atomic(hostile_report, tmp_path):
    result, _ = hostile_report
    path = write_report(result, tmp_path / "out")
    assert path == tmp_path / "out" / "report.html"
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_report_lists_hypotheses_in_file_order(uncertain_scenario):
    # scenario_of() rebuilds the priors from sorted JSON; the report keeps the file's order
    text = report_html(forecast.run(uncertain_scenario, draws=DRAWS, seed=1))
    table = text[text.index("<h2>Hypotheses</h2>") : text.index("<h2>Evidence</h2>")]
    positions = [table.index(f"<code>{h}</code>") for h in ("calm", "bluff", "storm")]
    assert positions == sorted(positions)


def test_report_says_what_changed_since_the_kept_run(uncertain_scenario):
    from forecast.results import keep_previous

    before = forecast.run(uncertain_scenario.without("b"), draws=300, seed=2)
    now = keep_previous(forecast.run(uncertain_scenario, draws=300, seed=2), before)
    page = forecast.report_html(now)
    want = forecast.changes_since(before, now).describe("event").splitlines()
    assert '<p class="changes">' in page
    for line in want:
        assert html.escape(line) in page
    assert "The dashed line is the earlier run." in page
    assert '<p class="changes">' not in forecast.report_html(before)


def test_report_carries_a_csp_and_an_escaped_warning_at_the_top(hostile_report):
    result, text = hostile_report
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', text)
    assert csp is not None and text.index(csp.group(0)) < text.index("<body>")
    policy = dict(part.strip().split(" ", 1) for part in csp.group(1).split(";"))
    assert policy["default-src"] == "'none'" and policy["script-src"] == "'none'"
    assert "WARNING" not in text

    page = report_html(result, warning=f"the files changed {HOSTILE}")
    warning = page.index("WARNING: the files changed")
    assert warning < page.index("<h1>")
    assert html.escape(HOSTILE) in page[warning : page.index("<h1>")]
    assert "<script>" not in page


def test_report_shows_grades_and_notes_escaped(tmp_path):
    """Issue 11 points 7-8: a two-character Admiralty grade and a table's note columns are
    shown beside the item (escaped), and the grade's digit does not change the numbers."""
    priors = priors_dict()
    items = [
        item_dict("graded", {"storm": 3.0}, reliability="b-2", notes={"note_desk": "<b>two</b>"}),
        item_dict("plain", {"calm": 2.0}, date="2022-02-16", reliability="B"),
    ]
    s = forecast.Scenario.from_dict({"priors": priors, "evidence": items})
    html = forecast.report_html(forecast.run(s, draws=200, seed=1))
    assert "B2 (0.80), credibility 2 (not in the numbers)" in html
    assert "note_desk: &lt;b&gt;two&lt;/b&gt;" in html and "<b>two</b>" not in html
    same = forecast.Scenario.from_dict(
        {"priors": priors, "evidence": [dict(items[0], reliability="B", notes={}), items[1]]}
    )
    np.testing.assert_array_equal(
        forecast.probabilities(forecast.encode(s))[1],
        forecast.probabilities(forecast.encode(same))[1],
    )


def test_report_evidence_table_bounded_at_scale(monkeypatch):
    """Thousands of items: the table shows the items that moved the answer most, and says so."""
    from forecast import report

    monkeypatch.setattr(report, "EVIDENCE_ROWS", 3)
    monkeypatch.setattr(report, "EVIDENCE_SHOWN", 2)
    items = [item_dict(f"i{k}", {"storm": 1.0 + k}, date=f"2022-02-{10 + k}") for k in range(5)]
    s = forecast.Scenario.from_dict({"priors": priors_dict(), "evidence": items})
    html = forecast.report_html(forecast.run(s, draws=200, seed=1, attribution=True))
    table = html[html.index('<table class="evidence">') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 1 + 2  # the header and the two largest
    assert ">i4<" in table and ">i3<" in table and ">i0<" not in table
    assert "The 2 items with the largest share of the move (Shapley value) of 5" in html
