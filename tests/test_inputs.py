"""Reading the analyst's files (issues 11 and 15): templates, spreadsheet CSVs, Admiralty
grades, errors that say how to fix them, calendar dates, text kept as text, limits, and
nothing from outside the scenario folder echoed to the terminal."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import ROOT, item_dict, priors_dict, write_scenario

import forecast
from forecast import ScenarioError, load_scenario
from forecast.cli import main
from forecast.scenario import (
    LIMITS,
    TEMPLATE_README_SECTION,
    hypothesis_names,
    new_evidence,
    printable,
)
from forecast.yamlsafe import MAX_BYTES, MAX_CHARS, YamlError, load_yaml

HEAD = "id: z\ndate: 2022-02-15\ntitle: t\nsource: s\n"
CSV_HEAD = ["id", "date", "title", "source", "reliability", "likelihood.calm", "likelihood.storm"]
CSV_ROWS = [
    ["a", "2022-02-15", "first", "wire", "B", "0.3..0.8", ""],
    ["b", "2022-02-16", "second, with a comma", "paper", "0.7", "", "2"],
]


def problems_of(p: Path, e: Path) -> list:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p, e)
    return exc.value.problems


def messages(p: Path, e: Path) -> str:
    return "\n".join(str(x) for x in problems_of(p, e))


def cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def scenario_dir(tmp_path, monkeypatch) -> Path:
    """A two-hypothesis scenario with one item, as the current directory."""
    write_scenario(tmp_path, priors_dict(), [item_dict("a", {"storm": 2})])
    monkeypatch.chdir(tmp_path)
    return tmp_path


def csv_text(header: list[str], rows: list[list[str]], delimiter: str) -> str:
    def cell(c: str) -> str:
        return f'"{c}"' if delimiter in c else c

    return "".join(delimiter.join(cell(c) for c in r) + "\n" for r in [header, *rows])


# ----------------------------------------------------------------------------- new-evidence
@pytest.mark.parametrize("evidence", ["missing", "broken", "bad-id-file"])
def test_new_evidence_template_passes_validation_whatever_evidence_holds(
    scenario_dir, capsys, evidence
):
    e = scenario_dir / "evidence"
    if evidence == "missing":
        for f in e.iterdir():
            f.unlink()
        e.rmdir()
    elif evidence == "broken":
        (e / "broken.yaml").write_text("likelihoods: [unclosed\n")
    else:
        (e / "b.yaml").write_text(HEAD.replace("id: z", "id: 'bad id'") + "likelihoods: {x: 0}\n")
    code, _, err = cli(["new-evidence", "fresh"], capsys)
    assert code == 0, err
    text = (e / "fresh.yaml").read_text()
    assert "hypothesis_a" not in text
    assert re.search(r"^  calm: 1 ", text, re.M) and re.search(r"^  storm: 1 ", text, re.M)
    if evidence != "missing":
        (e / ("broken.yaml" if evidence == "broken" else "b.yaml")).unlink()
    (e / "a.yaml").unlink(missing_ok=True)
    code, out, err = cli(["validate"], capsys)
    assert code == 0, err
    assert "1 evidence item\n" in out  # singular
    assert "fresh: reliability 1" in out


def test_new_evidence_template_date_reliability_and_readme_section(tmp_path):
    path = new_evidence("x", evidence=tmp_path, hypotheses=["calm", "storm"])
    text = path.read_text()
    today = dt.date.today().isoformat()
    date_line = next(line for line in text.splitlines() if line.startswith("date:"))
    assert date_line.startswith(f"date: {today}") and "# today" in date_line
    assert "change it" in date_line
    # reliability is left for the analyst: no active reliability line, a comment saying so
    assert not re.search(r"^reliability:", text, re.M)
    assert re.search(r"^# reliability: ", text, re.M)
    assert "Reliability is yours to choose" in text
    # the header points to a README section that exists
    header = " ".join(line.lstrip("# ") for line in text.splitlines()[:2])
    assert f'section "{TEMPLATE_README_SECTION}"' in header
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"^#+ {re.escape(TEMPLATE_README_SECTION)}\s*$", readme, re.M)


def test_hit_rate_sentences_in_template_and_readme(tmp_path):
    text = new_evidence("x", evidence=tmp_path, hypotheses=["calm", "storm"]).read_text()
    comment = " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
    readme = " ".join((ROOT / "README.md").read_text().split())
    for where in (comment, readme):
        assert "right 80% of the time" in where
        assert "0.8" in where and "0.2" in where and "reliability 1" in where
        assert "chance that" in where


def test_hypothesis_names_from_a_priors_file_with_other_problems(tmp_path):
    p = tmp_path / "priors.yaml"
    p.write_text("hypotheses:\n  up: {prior: 55}\n  down: {prior: x}\n  'bad name': {}\n")
    assert hypothesis_names(p) == ["up", "down"]
    p.write_text("hypotheses: [\n")
    assert hypothesis_names(p) == []
    assert hypothesis_names(tmp_path / "missing.yaml") == []


def test_new_evidence_placeholder_names_come_with_a_note(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(["new-evidence", "fresh"], capsys)
    assert code == 0
    assert "no hypothesis names could be read" in err


@pytest.mark.parametrize("bad", ["ok\n", "ok ", "a\tb", "x\x1b[31m", "-lead", "", "a" * 201])
def test_new_evidence_refuses_ids_with_whitespace_or_control(scenario_dir, capsys, bad):
    before = sorted(os.listdir(scenario_dir / "evidence"))
    code, out, err = cli(["new-evidence", bad], capsys)
    assert code == 2
    assert "\x1b" not in err and "Traceback" not in err
    assert len(err) < 800
    assert sorted(os.listdir(scenario_dir / "evidence")) == before


# ----------------------------------------------------------------------------- CSV tables
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiters_give_the_same_items(tmp_path, delimiter):
    p, e = write_scenario(tmp_path, priors_dict(), [])
    (e / "t.csv").write_text(csv_text(CSV_HEAD, CSV_ROWS, delimiter))
    s = load_scenario(p, e)
    assert [x.id for x in s.evidence] == ["a", "b"]
    assert s.evidence[0].likelihoods == {"calm": (0.3, 0.8)}
    assert s.evidence[1].likelihoods == {"storm": 2.0}
    assert s.evidence[1].title == "second, with a comma"
    assert (s.evidence[0].reliability, s.evidence[1].r) == ("B", 0.7)


def test_semicolon_csv_reads_decimal_commas(tmp_path):
    p, e = write_scenario(tmp_path, priors_dict(), [])
    rows = [["a", "2022-02-15", "t", "s", "0,7", "0,3..0,8", "1,5"]]
    (e / "t.csv").write_text(csv_text(CSV_HEAD, rows, ";"))
    item = load_scenario(p, e).evidence[0]
    assert item.likelihoods == {"calm": (0.3, 0.8), "storm": 1.5}
    assert item.r == 0.7


def test_csv_column_names_in_any_case(tmp_path):
    priors = priors_dict(
        hypotheses={
            "on_track": {"prior": 0.5, "p_outcome": 0.9},
            "off_track": {"prior": 0.5, "p_outcome": 0.2},
        }
    )
    p, e = write_scenario(tmp_path, priors, [])
    header = ["ID", "Date", "TITLE", "Source", "Likelihood.On_Track", "LIKELIHOOD.off_track"]
    (e / "t.csv").write_text(csv_text(header, [["a", "2022-02-15", "t", "s", "2", "0.5"]], ";"))
    item = load_scenario(p, e).evidence[0]
    assert item.likelihoods == {"on_track": 2.0, "off_track": 0.5}


@pytest.mark.parametrize(
    ("column", "hint"),
    [("Likelihod.storm", "likelihood.storm"), ("Titel", "title"), ("Relability", "reliability")],
)
def test_csv_unknown_column_refused_with_a_hint(tmp_path, column, hint):
    p, e = write_scenario(tmp_path, priors_dict(), [])
    (e / "t.csv").write_text(csv_text([*CSV_HEAD, column], [[*CSV_ROWS[0], "x"]], ";"))
    (prob,) = problems_of(p, e)
    assert prob.field == f"column '{column}'"
    assert f"did you mean '{hint}'" in prob.message


def test_csv_unknown_hypothesis_column_names_the_column(tmp_path):
    p, e = write_scenario(tmp_path, priors_dict(), [])
    (e / "t.csv").write_text(csv_text(["id", "date", "title", "source", "Likelihood.Stormy"],
                                      [["a", "2022-02-15", "t", "s", "2"]], ","))  # fmt: skip
    (prob,) = problems_of(p, e)
    assert prob.field == "column 'likelihood.Stormy'"
    assert "did you mean 'storm'" in prob.message


def test_csv_note_columns_kept_as_free_text_and_listed(scenario_dir, capsys):
    e = scenario_dir / "evidence"
    header = [*CSV_HEAD, "Notes", "note_analyst"]
    rows = [[*CSV_ROWS[0], "seen twice", "=1+1 \x1b]0;x\x07"], [*CSV_ROWS[1], "", ""]]
    (e / "t.csv").write_text(csv_text(header, rows, ","))
    (e / "a.yaml").unlink()  # the table holds its own item a
    s = load_scenario(scenario_dir / "priors.yaml", e)
    first = next(x for x in s.evidence if x.id == "a")
    assert first.notes == {"Notes": "seen twice", "note_analyst": "=1+1 \x1b]0;x\x07"}
    assert next(x for x in s.evidence if x.id == "b").notes == {}
    code, out, _ = cli(["validate"], capsys)
    assert code == 0
    assert "Notes: seen twice" in out
    assert "note_analyst: =1+1 \\x1b]0;x\\x07" in out
    assert "\x1b" not in out


@pytest.mark.parametrize(
    "header",
    [
        [*CSV_HEAD, "likelihood.storm"],
        [*CSV_HEAD, "ID"],
        [*CSV_HEAD, "note", "NOTE"],
    ],
)
def test_csv_duplicate_headers_refused(tmp_path, header):
    p, e = write_scenario(tmp_path, priors_dict(), [])
    row = [*CSV_ROWS[0], *[""] * (len(header) - len(CSV_HEAD))]
    (e / "t.csv").write_text(csv_text(header, [row], ","))
    probs = problems_of(p, e)
    assert len(probs) == 1
    assert "is given twice" in probs[0].message
    assert probs[0].field == f"column '{header[-1]}'"


def test_csv_cell_over_the_field_limit_is_a_short_refusal(scenario_dir, capsys):
    e = scenario_dir / "evidence"
    rows = [["a2", "2022-02-15", "t", "s", "B", "", "2"], ["b2", "2022-02-15", "x" * 140_000]]
    (e / "t.csv").write_text(csv_text(CSV_HEAD[:3], [r[:3] for r in rows], ","))
    code, _, err = cli(["validate"], capsys)
    assert code == 2
    assert "t.csv: row 3: cannot be read as CSV" in err
    assert len(err) < 1000


def test_csv_nul_character_refused(tmp_path):
    p, e = write_scenario(tmp_path, priors_dict(), [])
    (e / "t.csv").write_text(csv_text(CSV_HEAD, [CSV_ROWS[0]], ",") + "b,\x00\n")
    (prob,) = problems_of(p, e)
    assert "line 3 holds a NUL character" in prob.message


# ----------------------------------------------------------------------------- Admiralty grades
@pytest.mark.parametrize("grade", ["B2", "b2", "B-2", " b - 2 "])
def test_two_character_admiralty_grade(tmp_path, grade):
    p, e = write_scenario(
        tmp_path,
        priors_dict(),
        [item_dict("a", {"storm": [1.5, 4]}, reliability=grade), item_dict("b", {"calm": 2})],
    )
    s = load_scenario(p, e)
    item = s.evidence[0]
    assert (item.reliability, item.r, item.credibility, item.grade) == ("B", 0.8, 2, "B2")
    # the digit does not change the numbers: the same as the letter alone
    p2, e2 = write_scenario(
        tmp_path / "letter",
        priors_dict(),
        [item_dict("a", {"storm": [1.5, 4]}, reliability="B"), item_dict("b", {"calm": 2})],
    )
    letter = load_scenario(p2, e2)
    assert letter.evidence[0].credibility is None
    _, p_grade = forecast.probabilities(forecast.encode(s))
    _, p_letter = forecast.probabilities(forecast.encode(letter))
    np.testing.assert_array_equal(p_grade, p_letter)
    # kept through the API round trip (what-if edits)
    assert s.without("b").evidence[0].credibility == 2


def test_admiralty_grade_in_csv_and_validate_listing(scenario_dir, capsys):
    e = scenario_dir / "evidence"
    (e / "a.yaml").unlink()
    rows = [["a", "2022-02-15", "t", "s", "c-3", "", "2"]]
    (e / "t.csv").write_text(csv_text(CSV_HEAD, rows, ";"))
    code, out, _ = cli(["validate"], capsys)
    assert code == 0
    assert "2022-02-15 a: reliability 0.6, credibility 3" in out


@pytest.mark.parametrize(
    ("grade", "match"),
    [("B7", "must be 1-6"), ("G2", "Admiralty letter A-F"), ("B22", "Admiralty letter")],
)
def test_bad_admiralty_grade(tmp_path, grade, match):
    p, e = write_scenario(
        tmp_path, priors_dict(), [item_dict("a", {"storm": 2}, reliability=grade)]
    )
    (prob,) = problems_of(p, e)
    assert prob.field == "reliability"
    assert match in prob.message


def test_grade_and_a_different_credibility_refused(tmp_path):
    item = item_dict("a", {"storm": 2}, reliability="B2", credibility=3)
    p, e = write_scenario(tmp_path, priors_dict(), [item])
    (prob,) = problems_of(p, e)
    assert "give it once" in prob.message


# ----------------------------------------------------------------------------- helpful errors
@pytest.mark.parametrize(
    ("where", "value", "fix"),
    [
        ("likelihood", "80%", "write 0.8"),
        ("likelihood", "[5%, 20%]", "write 0.05"),
        ("p_outcome", "80%", "write 0.8"),
        ("p_outcome", "80", "if 80 is a percentage, write 0.8"),
        ("prior", "55%", "write 0.55"),
        ("reliability", "80%", "write 0.8"),
    ],
)
def test_percentages_say_write_the_fraction(tmp_path, where, value, fix):
    priors = priors_dict()
    items = [item_dict("a", {"storm": 2})]
    if where == "p_outcome":
        priors["hypotheses"]["storm"]["p_outcome"] = value
    elif where == "prior":
        priors["hypotheses"]["storm"]["prior"] = value
    p, e = write_scenario(tmp_path, priors, items)
    text = (e / "a.yaml").read_text()
    if where == "likelihood":
        text = text.replace("storm: 2", f"storm: {value}")
    elif where == "reliability":
        text += f"reliability: {value}\n"
    (e / "a.yaml").write_text(text)
    assert fix in messages(p, e)


def test_priors_as_percentages_one_problem(tmp_path):
    priors = priors_dict(
        hypotheses={
            "calm": {"prior": 55, "p_outcome": 0.1},
            "storm": {"prior": 30, "p_outcome": 0.8},
            "bluff": {"prior": 15, "p_outcome": 0.3},
        }
    )
    p, e = write_scenario(tmp_path, priors, [item_dict("a", {"storm": 2})])
    (prob,) = problems_of(p, e)
    assert prob.field == "hypotheses"
    assert prob.message.startswith("the priors look like percentages; divide by 100")
    assert "write 0.55 for 55" in prob.message


def test_priors_sum_reported_with_the_field_errors(tmp_path):
    priors = priors_dict(
        hypotheses={
            "calm": {"prior": 0.5, "p_outcome": 1.5},
            "storm": {"prior": 0.4, "p_outcome": 0.8},
        }
    )
    p, e = write_scenario(tmp_path, priors, [item_dict("a", {"storm": 2})])
    fields = {x.field: x.message for x in problems_of(p, e)}
    assert "hypotheses.calm.p_outcome" in fields
    assert "sum to 0.9, not 1" in fields["hypotheses"]


def test_tab_indentation_says_use_spaces(tmp_path):
    p, e = write_scenario(tmp_path, priors_dict(), [])
    (e / "z.yaml").write_text(HEAD + "likelihoods:\n\tstorm: 2\n")
    (prob,) = problems_of(p, e)
    assert prob.message == "line 6: YAML does not allow tabs for indentation; use spaces"


def test_non_utf8_file_names_the_line(tmp_path):
    p, e = write_scenario(tmp_path, priors_dict(), [])
    (e / "z.yaml").write_bytes((HEAD + "quote: café\nlikelihoods: {storm: 2}\n").encode("latin-1"))
    (e / "t.csv").write_bytes(
        csv_text(CSV_HEAD, [["b", "2022-02-15", "Zürich", "s", "", "", "2"]], ",").encode("cp1252")
    )
    probs = {Path(x.file).name: x.message for x in problems_of(p, e)}
    assert "line 5, column 11: byte 0xe9 is not UTF-8 text; save it as UTF-8" in probs["z.yaml"]
    assert probs["t.csv"].startswith("line 2, column ") and "save it as UTF-8" in probs["t.csv"]


def test_validate_lists_ignored_files(scenario_dir, capsys):
    e = scenario_dir / "evidence"
    for name in ("b.yaml.txt", "c.yml.bak", "notes.docx", "_draft.yaml"):
        (e / name).write_text("anything")
    (e / ".hidden.yaml.swp").write_text("x")
    (e / "archive.yaml").mkdir()  # a folder, even one named like a file: its items not read
    (e / "archive.yaml" / "old.yaml").write_text("id: old\n")
    code, out, _ = cli(["validate"], capsys)
    assert code == 0
    assert "1 evidence item\n" in out
    for name in ("b.yaml.txt", "c.yml.bak", "notes.docx", "_draft.yaml"):
        assert f"ignored: {name} (" in out
    assert "ignored: archive.yaml/ (a folder: items in subfolders are not read)" in out
    assert ".hidden" not in out


# ----------------------------------------------------------------------------- outputs stay true
def test_dates_outside_nanosecond_range_kept_end_to_end(tmp_path):
    from forecast.results import load_result, save_result, trajectory_frame

    dates = ["0001-01-01", "1500-03-04", "2300-01-01", "9999-12-31"]
    items = [item_dict(f"d{k}", {"storm": 2}, date=d) for k, d in enumerate(dates)]
    p, e = write_scenario(tmp_path, priors_dict(), items)
    s = load_scenario(p, e)
    assert [x.date.isoformat() for x in s.evidence] == dates
    result = forecast.run(s, draws=200, seed=0)
    paths = save_result(result, tmp_path / "out")
    csv_dates = [line.split(",")[1] for line in paths["trajectory"].read_text().splitlines()[1:]]
    assert csv_dates == ["", *dates]
    back = load_result(paths["posterior"])
    assert list(trajectory_frame(back)["date"]) == ["", *dates]
    stored = np.datetime_as_string(back["evidence"]["date"].values, unit="D")
    assert list(stored) == dates


@pytest.mark.parametrize(
    "date", ["0000-01-01", "20220215", "2022-2-15", "10000-01-01", "'2022-02-15T10:00'"]
)
def test_dates_must_be_calendar_dates(tmp_path, date):
    p, e = write_scenario(tmp_path, priors_dict(), [])
    (e / "z.yaml").write_text(HEAD.replace("2022-02-15", date) + "likelihoods: {storm: 2}\n")
    (prob,) = problems_of(p, e)
    assert prob.field == "date"
    assert "expected a date YYYY-MM-DD" in prob.message


@pytest.mark.parametrize("clash", ["event_low", "event_high"])
def test_hypothesis_colliding_with_band_columns_refused(tmp_path, clash):
    priors = priors_dict(
        hypotheses={
            "calm": {"prior": 0.6, "p_outcome": 0.1},
            clash: {"prior": 0.4, "p_outcome": 0.8},
        }
    )
    p, e = write_scenario(tmp_path, priors, [item_dict("a", {"calm": 2})])
    (prob,) = problems_of(p, e)
    assert prob.field == "hypotheses"
    assert f"'{clash}'" in prob.message and "rename" in prob.message


@pytest.mark.parametrize(
    ("field", "written"),
    [("title", "0b101"), ("title", "yes"), ("source", "1e3"), ("quote", "0x1F"),
     ("rationale", "1_000"), ("id", "0o17"), ("group", "on"), ("url", "012")],
)  # fmt: skip
def test_yaml_1_1_coercion_never_changes_free_text(tmp_path, field, written):
    p, e = write_scenario(tmp_path, priors_dict(), [])
    text = HEAD + "likelihoods: {storm: 2}\n"
    text = re.sub(rf"^{field}: .*$", f"{field}: {written}", text, flags=re.M)
    if f"{field}: {written}" not in text:
        text += f"{field}: {written}\n"
    (e / "z.yaml").write_text(text)
    item = load_scenario(p, e).evidence[0]
    assert getattr(item, field) == written


def test_yaml_1_1_coercion_never_changes_priors_text(tmp_path):
    p, e = write_scenario(tmp_path, priors_dict(), [item_dict("a", {"storm": 2})])
    p.write_text(
        "question: no\noutcome: event\nhypotheses:\n  calm: {prior: 0.6, p_outcome: 0.1, "
        "description: 0b101}\n  storm: {prior: 0.4, p_outcome: 0.8}\n"
        "groups:\n  on: {description: 1e3}\n"
    )
    s = load_scenario(p, e)
    assert s.question == "no"
    assert s.priors.hypotheses["calm"].description == "0b101"
    assert s.priors.groups["on"].description == "1e3"


def test_yaml_numbers_still_numbers(tmp_path):
    (tmp_path / "x.yaml").write_text("likelihoods: {a: 1e3, b: 0.5, c: 2}\ntitle: 1e3\n")
    raw = load_yaml(tmp_path / "x.yaml", text_keys=frozenset({"title"}))
    assert raw == {"likelihoods": {"a": 1000.0, "b": 0.5, "c": 2}, "title": "1e3"}


# ----------------------------------------------------------------------------- limits
def assert_refused_quickly(p: Path, e: Path, match: str, limit: float = 3.0) -> str:
    start = time.perf_counter()
    text = messages(p, e)
    assert time.perf_counter() - start < limit
    assert re.search(match, text), text
    assert len(text) < 2000
    return text


def test_file_size_limit(tmp_path):
    p, e = write_scenario(tmp_path, priors_dict(), [])
    (e / "z.yaml").write_text(HEAD + "likelihoods: {storm: 2}\nquote: '" + "x" * MAX_BYTES + "'\n")
    assert_refused_quickly(p, e, r"z\.yaml: is larger than 1,048,576 bytes; refused")


def test_file_count_and_item_count_limits(tmp_path, monkeypatch):
    items = [item_dict(f"i{k}", {"storm": 2}) for k in range(6)]
    p, e = write_scenario(tmp_path, priors_dict(), items)
    monkeypatch.setitem(LIMITS, "files", 5)
    assert_refused_quickly(p, e, r"holds 6 entries; at most 5 are read")
    monkeypatch.setitem(LIMITS, "files", 100)
    monkeypatch.setitem(LIMITS, "items", 5)
    assert_refused_quickly(p, e, r"more than 5 evidence items; refused")
    with pytest.raises(ScenarioError, match="at most 5"):
        forecast.Scenario.from_dict(
            {
                "priors": priors_dict(),
                "evidence": [item_dict(f"i{k}", {"storm": 2}) for k in range(6)],
            }
        )


@pytest.mark.parametrize(
    ("field", "length", "match"),
    [("id", 20_000, "longer than 200"), ("title", 20_000, "at most 1000"),
     ("group", 5_000, "at most 100")],
)  # fmt: skip
def test_string_length_limits(tmp_path, field, length, match):
    item = item_dict("a", {"storm": 2})
    item[field] = "x" * length
    p, e = write_scenario(tmp_path, priors_dict(), [])
    (e / "a.yaml").write_text(yaml.safe_dump(item))
    text = assert_refused_quickly(p, e, match, limit=2.0)
    assert "x" * 400 not in text


def test_question_length_limit(tmp_path):
    p, e = write_scenario(tmp_path, priors_dict(question="q" * 100_000), [])
    assert_refused_quickly(p, e, "at most 2000 characters", limit=2.0)


def test_nesting_depth_limit(tmp_path):
    p, e = write_scenario(tmp_path, priors_dict(), [])
    (e / "z.yaml").write_text(HEAD + "likelihoods: " + "[" * 500 + "]" * 500 + "\n")
    assert_refused_quickly(p, e, r"nested deeper than 20 levels")


def test_alias_expansion_bytes_limit(tmp_path):
    p, e = write_scenario(tmp_path, priors_dict(), [])
    long = "x" * 40_000
    (e / "z.yaml").write_text(
        HEAD
        + f"likelihoods: {{storm: 2}}\nquote: &q '{long}'\nurl: ["
        + ", ".join(["*q"] * 60)
        + "]\n"
    )
    assert (e / "z.yaml").stat().st_size < 45_000
    assert_refused_quickly(p, e, rf"characters through aliases \(limit {MAX_CHARS:,}\); refused")


def test_recursive_alias_refused(tmp_path):
    (tmp_path / "x.yaml").write_text("a: &x [1, *x]\n")
    with pytest.raises(YamlError, match="refers to a node that contains it"):
        load_yaml(tmp_path / "x.yaml")


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x7f"])
def test_control_characters_in_yaml_refused_with_the_line(tmp_path, char):
    p, e = write_scenario(tmp_path, priors_dict(), [])
    (e / "z.yaml").write_text(HEAD + f"quote: a{char}b\nlikelihoods: {{storm: 2}}\n")
    text = assert_refused_quickly(p, e, rf"line 5: the control character U\+{ord(char):04X}")
    assert char not in text


def test_many_problems_are_listed_with_a_count(scenario_dir, capsys):
    likelihoods = ", ".join(f"h{k}: 2" for k in range(99))
    (scenario_dir / "evidence" / "z.yaml").write_text(HEAD + f"likelihoods: {{{likelihoods}}}\n")
    code, _, err = cli(["validate"], capsys)
    assert code == 2
    assert "error: 99 problems in the scenario files" in err
    assert f"... and {99 - LIMITS['shown_problems']} more" in err
    assert len(err.splitlines()) == LIMITS["shown_problems"] + 2


# ----------------------------------------------------------------------------- echoed text
SECRET = "root:$6$s3cr3t-hash:19000:0:99999:7:::"


@pytest.mark.parametrize("name", ["notes.csv", "x.yaml"])
def test_symlink_leaving_the_folder_refused_without_its_content(scenario_dir, capsys, name):
    outside = scenario_dir.parent / "shadow"
    outside.write_text(f"{SECRET}\n{SECRET}\n")
    (scenario_dir / "evidence" / name).symlink_to(outside)
    code, _, err = cli(["validate"], capsys)
    assert code == 2
    assert f"{name}: is a symbolic link to a file outside the scenario folder; refused" in err
    assert "s3cr3t" not in err


def test_symlinked_priors_leaving_the_folder_refused(scenario_dir, capsys):
    outside = scenario_dir.parent / "elsewhere.yaml"
    outside.write_text(f"question: {SECRET}\n")
    (scenario_dir / "priors.yaml").unlink()
    (scenario_dir / "priors.yaml").symlink_to(outside)
    code, _, err = cli(["validate"], capsys)
    assert code == 2
    assert "priors.yaml: is a symbolic link to a file outside the scenario folder" in err
    assert "s3cr3t" not in err


def test_symlink_inside_the_folder_is_read(scenario_dir, capsys):
    shared = scenario_dir / "shared"
    shared.mkdir()
    (shared / "b.yaml").write_text(yaml.safe_dump(item_dict("b", {"calm": 2})))
    (scenario_dir / "evidence" / "b.yaml").symlink_to(shared / "b.yaml")
    code, out, _ = cli(["validate"], capsys)
    assert code == 0 and "2 evidence items" in out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_files_are_listed_as_skipped_not_read(scenario_dir, capsys):
    os.mkfifo(scenario_dir / "evidence" / "pipe.yaml")  # reading it would block forever
    code, out, _ = cli(["validate"], capsys)
    assert code == 0
    assert "ignored: pipe.yaml (not a regular file: skipped)" in out


def test_terminal_output_strips_control_characters(scenario_dir, capsys):
    p = scenario_dir / "priors.yaml"
    p.write_text(p.read_text().replace("Will it happen?", '"Will it\\e]0;pwned\\a happen?\\e[2J"'))
    e = scenario_dir / "evidence"
    (e / "a.yaml").write_text((e / "a.yaml").read_text() + "group: 'imagery'\n")
    code, out, _ = cli(["validate"], capsys)
    assert code == 0
    assert "Will it\\x1b]0;pwned\\x07 happen?\\x1b[2J" in out
    assert "\x1b" not in out and "\x07" not in out
    # a file name with an escape sequence, in an error
    (e / "bad\x1b[31m.yaml").write_text("likelihoods: [\n")
    code, _, err = cli(["validate"], capsys)
    assert code == 2
    assert "bad\\x1b[31m.yaml" in err and "\x1b" not in err


def test_group_names_refuse_control_characters(tmp_path):
    p, e = write_scenario(tmp_path, priors_dict(), [])
    (e / "z.yaml").write_text(HEAD + 'group: "img\\e[31m"\nlikelihoods: {storm: 2}\n')
    (prob,) = problems_of(p, e)
    assert prob.field == "group" and "control character U+001B" in prob.message


def test_long_values_are_cut_in_messages(scenario_dir, capsys):
    (scenario_dir / "evidence" / "z.yaml").write_text(
        HEAD
        + "likelihoods: {storm: '"
        + "9" * 50_000
        + "x'}\nreliability: '"
        + "r" * 50_000
        + "'\n"
    )
    code, _, err = cli(["validate"], capsys)
    assert code == 2
    assert all(len(line) < 800 for line in err.splitlines())
    assert "characters)" in err


def test_printable_examples():
    assert printable("a\nb\tc") == "a b c"
    assert printable("x\x1b[2Jy\u202e") == "x\\x1b[2Jy\\u202e"
    assert printable("y" * 400, 10) == "yyyyyyyyyy... (400 characters)"


def test_hypothesis_count_limit(tmp_path, monkeypatch):
    monkeypatch.setitem(LIMITS, "hypotheses", 3)
    hyps = {f"h{k}": {"prior": 0.25, "p_outcome": 0.5} for k in range(4)}
    p, e = write_scenario(tmp_path, priors_dict(hypotheses=hyps), [])
    (prob,) = problems_of(p, e)
    assert prob.field == "hypotheses" and prob.message == "4 hypotheses; at most 3"


def test_validate_listing_stays_bounded(tmp_path, monkeypatch, capsys):
    import forecast.cli

    items = [item_dict(f"i{k}", {"storm": 2}) for k in range(5)]
    write_scenario(tmp_path, priors_dict(), items)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(forecast.cli, "LISTED", 2)
    code, out, _ = cli(["validate"], capsys)
    assert code == 0
    assert "5 evidence items" in out and "... and 3 more items, all valid" in out
    assert sum(": reliability" in line for line in out.splitlines()) == 2
