"""Scenario files: every bad input is a ScenarioError naming the file and the field."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import item_dict, priors_dict, write_scenario

import forecast
from forecast import Problem, Scenario, ScenarioError, load_scenario
from forecast.scenario import ADMIRALTY, DEFAULT_CORRELATION
from forecast.yamlsafe import MAX_NODES, YamlError, load_yaml

# A valid evidence file up to (not including) its likelihoods, as YAML text.
HEAD = "id: z\ndate: 2022-02-15\ntitle: t\nsource: s\n"


def setup(tmp_path: Path, priors=None, items=(), raw: dict[str, str] | None = None):
    """priors.yaml + evidence/<id>.yaml for ``items`` + raw text files in evidence/."""
    p, e = write_scenario(tmp_path, priors if priors is not None else priors_dict(), list(items))
    for name, text in (raw or {}).items():
        (e / name).write_text(text)
    return p, e


def problems(p: Path, e: Path) -> list[Problem]:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p, e)
    assert exc.value.problems, "a ScenarioError without problems"
    return exc.value.problems


def only(probs: list[Problem]) -> Problem:
    assert len(probs) == 1, probs
    return probs[0]


# ----------------------------------------------------------------------------- unknown keys
@pytest.mark.parametrize(
    ("extra", "field", "hint"),
    [
        ({"prior_strenght": 10}, "prior_strenght", "prior_strength"),
        ({"questoin": "typo"}, "questoin", "question"),
        (
            {"groups": {"imagery": {"corelation": 0.5}}},
            "groups.imagery.corelation",
            "correlation",
        ),
        (
            {
                "hypotheses": {
                    "calm": {"prior": 0.6, "p_outcome": 0.1, "descripton": "x"},
                    "storm": {"prior": 0.4, "p_outcome": 0.8},
                }
            },
            "hypotheses.calm.descripton",
            "description",
        ),
    ],
)
def test_unknown_key_in_priors_has_hint(tmp_path, extra, field, hint):
    p, e = setup(tmp_path, priors_dict(**extra), [item_dict("a", {"storm": 2})])
    with pytest.raises(ScenarioError, match=f"did you mean '{hint}'") as exc:
        load_scenario(p, e)
    prob = only(exc.value.problems)
    assert prob.file == str(p)
    assert prob.field == field
    assert prob.message.startswith(f"unknown key '{field.rsplit('.', 1)[-1]}'")


@pytest.mark.parametrize(
    ("key", "hint"), [("relability", "reliability"), ("rationle", "rationale"), ("dat", "date")]
)
def test_unknown_key_in_evidence_has_hint(tmp_path, key, hint):
    item = item_dict("a", {"storm": 2}, **{key: "x"})
    p, e = setup(tmp_path, items=[item])
    with pytest.raises(ScenarioError, match=f"unknown key '{key}'; did you mean '{hint}'"):
        load_scenario(p, e)
    prob = next(x for x in problems(p, e) if x.field == key)
    assert prob.file == str(e / "a.yaml")


def test_unknown_key_without_near_miss_lists_allowed_keys(tmp_path):
    p, e = setup(tmp_path, items=[item_dict("a", {"storm": 2}, zzzzzz=1)])
    prob = only(problems(p, e))
    assert prob.field == "zzzzzz"
    assert "did you mean" not in prob.message
    assert "allowed: id, date, title" in prob.message


# ----------------------------------------------------------------------------- hypotheses
def test_unknown_hypothesis_in_likelihoods_has_hint(tmp_path):
    p, e = setup(tmp_path, items=[item_dict("a", {"strom": 2, "calm": 1})])
    with pytest.raises(ScenarioError, match="unknown hypothesis 'strom'; did you mean 'storm'"):
        load_scenario(p, e)
    prob = only(problems(p, e))
    assert (prob.file, prob.field) == (str(e / "a.yaml"), "likelihoods.strom")
    assert "hypotheses: calm, storm" in prob.message


def test_unknown_hypothesis_without_near_miss(tmp_path):
    p, e = setup(tmp_path, items=[item_dict("a", {"volcano": 2})])
    prob = only(problems(p, e))
    assert prob.field == "likelihoods.volcano"
    assert "unknown hypothesis 'volcano'" in prob.message
    assert "did you mean" not in prob.message


@pytest.mark.parametrize(
    "hypotheses",
    [
        {},
        {"calm": {"prior": 1.0, "p_outcome": 0.1}},
        {"calm": {"prior": 0.5, "p_outcome": 0.1}},
    ],
    ids=["none", "one-at-1", "one-at-0.5"],
)
def test_fewer_than_two_hypotheses(tmp_path, hypotheses):
    p, e = setup(tmp_path, priors_dict(hypotheses=hypotheses))
    with pytest.raises(ScenarioError, match="at least two hypotheses"):
        load_scenario(p, e)
    prob = only(problems(p, e))
    assert (prob.file, prob.field) == (str(p), "hypotheses")


def test_outcome_named_like_a_hypothesis_is_rejected(tmp_path):
    p, e = setup(tmp_path, priors_dict(outcome="storm"), [item_dict("a", {"storm": 2})])
    with pytest.raises(ScenarioError, match="outcome 'storm' must not share a name"):
        load_scenario(p, e)
    prob = only(problems(p, e))
    assert (prob.file, prob.field) == (str(p), "outcome")


# ----------------------------------------------------------------------------- ids
def test_duplicate_id_across_two_files_names_both(tmp_path):
    p, e = setup(
        tmp_path,
        items=[item_dict("a", {"storm": 2})],
        raw={"b.yaml": yaml.safe_dump(item_dict("a", {"calm": 3}))},
    )
    with pytest.raises(ScenarioError, match="duplicate id 'a'"):
        load_scenario(p, e)
    prob = only(problems(p, e))
    assert prob.field == "id"
    named = {prob.file, prob.message.split("also in ", 1)[1].rstrip(")")}
    assert named == {str(e / "a.yaml"), str(e / "b.yaml")}


# ----------------------------------------------------------------------------- priors sum
def _two(calm: float, storm: float) -> dict:
    return priors_dict(
        hypotheses={
            "calm": {"prior": calm, "p_outcome": 0.1},
            "storm": {"prior": storm, "p_outcome": 0.8},
        }
    )


@pytest.mark.parametrize(("calm", "storm"), [(0.6, 0.5), (0.3, 0.3), (0.6, 0.4 + 3e-6)])
def test_priors_not_summing_to_one_rejected(tmp_path, calm, storm):
    p, e = setup(tmp_path, _two(calm, storm))
    with pytest.raises(ScenarioError, match=r"priors of the hypotheses sum to [0-9.]+, not 1"):
        load_scenario(p, e)
    prob = only(problems(p, e))
    assert (prob.file, prob.field) == (str(p), "hypotheses")


@pytest.mark.parametrize("delta", [0.0, 5e-7, -9e-7])
def test_priors_summing_within_tolerance_accepted(tmp_path, delta):
    p, e = setup(tmp_path, _two(0.6 + delta, 0.4), [item_dict("a", {"storm": 2})])
    s = load_scenario(p, e)
    assert s.prior.sum() == pytest.approx(1.0, abs=1e-6)
    assert s.prior[0] == 0.6 + delta


# ----------------------------------------------------------------------------- values
@pytest.mark.parametrize("text", ["-1", "-2.5e3", ".nan", ".inf", "-.inf", "[0, 2]", "[-1, 2]"])
def test_negative_nan_or_infinite_likelihood(tmp_path, text):
    p, e = setup(tmp_path, raw={"z.yaml": HEAD + f"likelihoods:\n  storm: {text}\n"})
    match = "is not positive .as an interval" if "[" in text else "is not a finite number >= 0"
    with pytest.raises(ScenarioError, match=match):
        load_scenario(p, e)
    prob = only(problems(p, e))
    assert (prob.file, prob.field) == (str(e / "z.yaml"), "likelihoods.storm")


@pytest.mark.parametrize("text", ["[3, 2]", "[2, 2]", "'3..2'", "[0.5, 0.4999]"])
def test_reversed_likelihood_interval(tmp_path, text):
    p, e = setup(tmp_path, raw={"z.yaml": HEAD + f"likelihoods:\n  storm: {text}\n"})
    with pytest.raises(ScenarioError, match=r"must have lo < hi"):
        load_scenario(p, e)
    prob = only(problems(p, e))
    assert (prob.file, prob.field) == (str(e / "z.yaml"), "likelihoods.storm")


def test_reversed_probability_interval(tmp_path):
    pri = priors_dict()
    pri["hypotheses"]["storm"]["p_outcome"] = [0.9, 0.6]
    p, e = setup(tmp_path, pri)
    with pytest.raises(ScenarioError, match=r"interval \[0\.9, 0\.6\] must have lo < hi"):
        load_scenario(p, e)
    prob = only(problems(p, e))
    assert (prob.file, prob.field) == (str(p), "hypotheses.storm.p_outcome")


@pytest.mark.parametrize("value", [1.5, -0.1, [0, 0.5], [0.5, 1], "0..0.5", float("nan")])
def test_p_outcome_outside_unit_interval(tmp_path, value):
    pri = priors_dict()
    pri["hypotheses"]["calm"]["p_outcome"] = value
    p, e = setup(tmp_path, pri)
    match = "is not (strictly )?between 0 and 1"
    with pytest.raises(ScenarioError, match=match):
        load_scenario(p, e)
    prob = only(problems(p, e))
    assert (prob.file, prob.field) == (str(p), "hypotheses.calm.p_outcome")


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (0, r"0\.0 is outside \(0, 1\]"),
        (1.5, r"1\.5 is outside \(0, 1\]"),
        (-0.2, r"-0\.2 is outside \(0, 1\]"),
        (float("nan"), r"nan is outside \(0, 1\]"),
        ("G", "Admiralty letter A-F, got 'G'"),
        ("AB", "Admiralty letter A-F, got 'AB'"),
        (True, "Admiralty letter A-F, got True"),
    ],
)
def test_bad_reliability(tmp_path, value, match):
    p, e = setup(tmp_path, items=[item_dict("a", {"storm": 2}, reliability=value)])
    with pytest.raises(ScenarioError, match=match):
        load_scenario(p, e)
    prob = only(problems(p, e))
    assert (prob.file, prob.field) == (str(e / "a.yaml"), "reliability")


@pytest.mark.parametrize("letter", list("abcdefABCDEF"))
def test_admiralty_letters_any_case(tmp_path, letter):
    p, e = setup(tmp_path, items=[item_dict("a", {"storm": 2}, reliability=letter)])
    item = load_scenario(p, e).evidence[0]
    assert item.r == ADMIRALTY[letter.upper()]
    assert item.reliability == letter.upper()


def test_admiralty_values():
    assert ADMIRALTY == {"A": 0.95, "B": 0.80, "C": 0.60, "D": 0.40, "E": 0.20, "F": 0.50}


def test_reliability_f_is_one_half_and_numbers_kept(tmp_path):
    items = [
        item_dict("a", {"storm": 2}, reliability="F"),
        item_dict("b", {"storm": 2}, reliability=1),
        item_dict("c", {"storm": 2}, reliability=0.3),
        item_dict("d", {"storm": 2}),
    ]
    p, e = setup(tmp_path, items=items)
    assert [x.r for x in load_scenario(p, e).evidence] == [0.5, 1.0, 0.3, 1.0]


@pytest.mark.parametrize("date", ["2022-02-30", "yesterday", "2022-13-01", "15/02/2022"])
def test_bad_date(tmp_path, date):
    p, e = setup(tmp_path, items=[item_dict("a", {"storm": 2}, date=date)])
    with pytest.raises(ScenarioError, match=f"expected a date YYYY-MM-DD, got '{date}'"):
        load_scenario(p, e)
    prob = only(problems(p, e))
    assert (prob.file, prob.field) == (str(e / "a.yaml"), "date")


def test_unquoted_yaml_date_is_read(tmp_path):
    p, e = setup(tmp_path, raw={"z.yaml": HEAD + "likelihoods:\n  storm: 2\n"})
    assert str(load_scenario(p, e).evidence[0].date) == "2022-02-15"


# ----------------------------------------------------------------------------- file shape
@pytest.mark.parametrize("text", ["", "\n# only a comment\n", "---\n"])
def test_empty_evidence_file(tmp_path, text):
    p, e = setup(tmp_path, items=[item_dict("a", {"storm": 2})], raw={"empty.yaml": text})
    with pytest.raises(ScenarioError, match="is empty"):
        load_scenario(p, e)
    assert only(problems(p, e)).file == str(e / "empty.yaml")


def test_empty_priors_file(tmp_path):
    p, e = setup(tmp_path, items=[item_dict("a", {"storm": 2})])
    p.write_text("")
    prob = only(problems(p, e))
    assert prob.file == str(p)
    assert "is empty" in prob.message


@pytest.mark.parametrize(("text", "kind"), [("- a\n- b\n", "list"), ("just text\n", "str")])
def test_non_mapping_file(tmp_path, text, kind):
    p, e = setup(tmp_path, raw={"z.yaml": text})
    with pytest.raises(ScenarioError, match=f"expected a mapping of fields, got {kind}"):
        load_scenario(p, e)
    assert only(problems(p, e)).file == str(e / "z.yaml")


def test_non_mapping_priors(tmp_path):
    p, e = setup(tmp_path)
    p.write_text("- calm\n- storm\n")
    with pytest.raises(ScenarioError, match="expected a mapping of fields, got list"):
        load_scenario(p, e)
    assert only(problems(p, e)).file == str(p)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (HEAD + "likelihoods: [unclosed\n  storm: 2\n", 6),
        ("id: z\ndate: 2022-02-15\n  title: bad indent\n", 3),
        ('id: z\ntitle: "unterminated\n', 3),
    ],
)
def test_yaml_syntax_error_has_line(tmp_path, text, line):
    p, e = setup(tmp_path, raw={"z.yaml": text})
    with pytest.raises(ScenarioError, match=f"YAML syntax error: .*line {line}"):
        load_scenario(p, e)
    assert only(problems(p, e)).file == str(e / "z.yaml")
    with pytest.raises(YamlError) as exc:
        load_yaml(e / "z.yaml")
    assert exc.value.line == line


def test_duplicate_key_names_key_and_lines(tmp_path):
    text = HEAD + "likelihoods:\n  storm: 2\ntitle: again\n"
    p, e = setup(tmp_path, raw={"z.yaml": text})
    with pytest.raises(ScenarioError, match=r"key 'title' is given twice \(lines 3 and 7\)"):
        load_scenario(p, e)
    assert only(problems(p, e)).file == str(e / "z.yaml")


def test_duplicate_nested_key(tmp_path):
    text = HEAD + "likelihoods:\n  storm: 2\n  storm: 3\n"
    p, e = setup(tmp_path, raw={"z.yaml": text})
    with pytest.raises(
        ScenarioError, match=r"key 'likelihoods.storm' is given twice \(lines 6 and 7\)"
    ):
        load_scenario(p, e)


def test_every_duplicate_key_of_a_file_is_named_by_its_path(tmp_path):
    """A repeated title does not hide a repeated likelihood: both named, where they are."""
    text = HEAD + "likelihoods:\n  storm: 2\n  storm: 3\ntitle: again\n"
    p, e = setup(tmp_path, raw={"z.yaml": text})
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p, e)
    message = only(exc.value.problems).message
    assert "keys given twice: 'likelihoods.storm' (lines 6 and 7), 'title' (lines " in message


def test_duplicate_hypothesis_in_priors(tmp_path):
    p, e = setup(tmp_path)
    p.write_text(
        "question: q\noutcome: event\nhypotheses:\n"
        "  calm: {prior: 0.5, p_outcome: 0.1}\n"
        "  calm: {prior: 0.5, p_outcome: 0.2}\n"
    )
    with pytest.raises(ScenarioError, match="key 'hypotheses.calm' is given twice"):
        load_scenario(p, e)
    assert only(problems(p, e)).file == str(p)


# ----------------------------------------------------------------------------- YAML safety
@pytest.mark.parametrize("where", ["evidence", "priors"])
@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system",
        "!!python/object/apply:subprocess.call",
        "!!python/object/new:os.system",
    ],
)
def test_python_tag_refused_and_not_executed(tmp_path, where, tag):
    target = tmp_path / "pwned"
    payload = f'id: {tag} ["touch {target}"]\n'
    p, e = setup(tmp_path, items=[item_dict("a", {"storm": 2})])
    bad = e / "z.yaml" if where == "evidence" else p
    bad.write_text(payload)
    with pytest.raises(ScenarioError, match="is not allowed") as exc:
        load_scenario(p, e)
    assert not target.exists()
    assert only(exc.value.problems).file == str(bad)


def test_python_name_tag_refused(tmp_path):
    p, e = setup(tmp_path, raw={"z.yaml": "id: !!python/name:os.system\n"})
    with pytest.raises(ScenarioError, match="not allowed"):
        load_scenario(p, e)


def _laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for k in range(1, levels):
        lines.append(f"l{k}: &l{k} [" + ",".join([f"*l{k - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("where", ["evidence", "priors"])
def test_billion_laughs_refused_quickly(tmp_path, where):
    p, e = setup(tmp_path, items=[item_dict("a", {"storm": 2})])
    bad = e / "bomb.yaml" if where == "evidence" else p
    bad.write_text(_laughs())
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match=r"through aliases .*refused") as exc:
        load_scenario(p, e)
    assert time.perf_counter() - start < 2.0
    assert only(exc.value.problems).file == str(bad)


def test_small_aliases_still_allowed(tmp_path):
    text = "base: &b {x: 1}\nuse: [*b, *b]\n"
    (tmp_path / "ok.yaml").write_text(text)
    assert load_yaml(tmp_path / "ok.yaml") == {"base": {"x": 1}, "use": [{"x": 1}, {"x": 1}]}
    (tmp_path / "big.yaml").write_text(_laughs(6))
    assert MAX_NODES < 9**6  # the file above expands past the limit
    with pytest.raises(YamlError, match="refused"):
        load_yaml(tmp_path / "big.yaml")


def test_exponent_numbers_read_as_numbers(tmp_path):
    text = HEAD + "likelihoods:\n  storm: 1e200\n  calm: 1e-3\n"
    p, e = setup(tmp_path, raw={"z.yaml": text})
    lik = load_scenario(p, e).evidence[0].likelihoods
    assert lik == {"storm": 1e200, "calm": 1e-3}
    assert all(type(v) is float for v in lik.values())


def test_load_yaml_numbers_and_strings(tmp_path):
    f = tmp_path / "n.yaml"
    f.write_text("a: 1e-3\nb: 1e200\nc: -2E+5\nd: 3\ne: 0.25\nf: 2022-02-15\ng: '1e3'\n")
    got = load_yaml(f)
    assert got == {
        "a": 1e-3,
        "b": 1e200,
        "c": -2e5,
        "d": 3,
        "e": 0.25,
        "f": "2022-02-15",
        "g": "1e3",
    }
    assert isinstance(got["a"], float) and isinstance(got["d"], int)


def test_exponent_probability(tmp_path):
    pri = priors_dict()
    pri_text = yaml.safe_dump(pri).replace("p_outcome: 0.1", "p_outcome: 1e-3")
    p, e = setup(tmp_path)
    p.write_text(pri_text)
    assert load_scenario(p, e).priors.hypotheses["calm"].p_outcome == 1e-3


def test_interval_strings(tmp_path):
    text = HEAD + "likelihoods:\n  storm: 1..3\n  calm: ' 0.5 .. 2 '\n"
    p, e = setup(tmp_path, raw={"z.yaml": text})
    p.write_text(p.read_text().replace("p_outcome: 0.8", "p_outcome: 0.6..0.9"))
    s = load_scenario(p, e)
    assert s.evidence[0].likelihoods == {"storm": (1.0, 3.0), "calm": (0.5, 2.0)}
    assert s.priors.hypotheses["storm"].p_outcome == (0.6, 0.9)


@pytest.mark.parametrize("text", ["'1..2..3'", "'a..b'", "[1, 2, 3]", "'..2'"])
def test_malformed_interval(tmp_path, text):
    p, e = setup(tmp_path, raw={"z.yaml": HEAD + f"likelihoods:\n  storm: {text}\n"})
    with pytest.raises(ScenarioError, match=r"or a 90% interval \[lo, hi\]"):
        load_scenario(p, e)
    assert only(problems(p, e)).field == "likelihoods.storm"


# ----------------------------------------------------------------------------- CSV
CSV_HEADER = "id,date,title,source,reliability,group,likelihood.calm,likelihood.storm\n"


@pytest.mark.parametrize(
    ("rows", "row", "column", "match"),
    [
        ("a,2022-02-15,t,s,,,,2\nb,2022-02-16,t,s,,,,zero\n", 3, "likelihood.storm", "'zero'"),
        ("a,2022-02-15,t,s,,,-0.5,2\n", 2, "likelihood.calm", "not a finite number >= 0"),
        ("a,2022-02-30,t,s,,,,2\n", 2, "date", "'2022-02-30'"),
        ("a,2022-02-15,t,s,G,,,2\n", 2, "reliability", "'G'"),
        ("a,2022-02-15,t,s,,,,3..1\n", 2, "likelihood.storm", "lo < hi"),
        ("a,2022-02-15,t,s,,,,2\n\nb,2022-02-16,t,s,,,,-1\n", 4, "likelihood.storm", "-1"),
    ],
    ids=["text", "zero", "date", "reliability", "reversed", "after-blank-line"],
)
def test_bad_csv_cell_names_row_and_column(tmp_path, rows, row, column, match):
    p, e = setup(tmp_path, raw={"table.csv": CSV_HEADER + rows})
    with pytest.raises(ScenarioError, match=f"table.csv row {row}: column '{column}': .*{match}"):
        load_scenario(p, e)
    prob = only(problems(p, e))
    assert prob.file == f"{e / 'table.csv'} row {row}"
    assert prob.field == f"column '{column}'"


def test_csv_unknown_hypothesis_column(tmp_path):
    text = "id,date,title,source,likelihood.strom\na,2022-02-15,t,s,2\n"
    p, e = setup(tmp_path, raw={"table.csv": text})
    with pytest.raises(ScenarioError, match="did you mean 'storm'"):
        load_scenario(p, e)
    assert only(problems(p, e)).field == "column 'likelihood.strom'"


@pytest.mark.parametrize(
    ("column", "hint"), [("relability", "reliability"), ("likelihoods", None), ("colour", None)]
)
def test_csv_unknown_column(tmp_path, column, hint):
    text = f"id,date,title,source,likelihood.storm,{column}\na,2022-02-15,t,s,2,x\n"
    p, e = setup(tmp_path, raw={"table.csv": text})
    with pytest.raises(ScenarioError, match="unknown column"):
        load_scenario(p, e)
    prob = only(problems(p, e))
    assert (prob.file, prob.field) == (str(e / "table.csv"), f"column '{column}'")
    if hint:
        assert f"did you mean '{hint}'" in prob.message


def test_csv_quoted_cell_keeps_its_line_breaks(tmp_path):
    text = (
        "id,date,title,source,quote,likelihood.storm\r\n"
        'a,2022-02-15,t,s,"first line\r\nsecond line",2\r\n'
        "b,2022-02-16,t,s,,-1\r\n"
    )
    p, e = setup(tmp_path, raw={"table.csv": text})
    prob = only(problems(p, e))
    assert (prob.file, prob.field) == (f"{e / 'table.csv'} row 4", "column 'likelihood.storm'")
    (e / "table.csv").write_text(text.replace(",-1\r\n", ",3\r\n"), newline="")
    quote = load_scenario(p, e).evidence[0].quote
    assert quote.splitlines() == ["first line", "second line"]


def test_csv_row_with_too_many_cells(tmp_path):
    text = "id,date,title,source,likelihood.storm\na,2022-02-15,t,s,2,extra\n"
    p, e = setup(tmp_path, raw={"table.csv": text})
    prob = only(problems(p, e))
    assert (prob.file, prob.field) == (str(e / "table.csv"), "row 2")


def _mixed_items() -> list[dict]:
    return [
        item_dict("a", {"storm": 2.0}, reliability="B"),
        item_dict("b", {"storm": [1.0, 3.0], "calm": 0.5}, date="2022-02-16", group="g"),
        item_dict("c", {"calm": [0.2, 0.9]}, date="2022-02-16", group="g", reliability=0.7),
        item_dict("d", {"storm": 1e-3, "calm": 4}, date="2022-02-14", reliability="e"),
    ]


def _csv_of(items: list[dict]) -> str:
    lines = [CSV_HEADER.strip()]
    for it in items:
        lik = it["likelihoods"]

        def cell(h, lik=lik):
            v = lik.get(h)
            if v is None:
                return ""
            return f"{v[0]}..{v[1]}" if isinstance(v, list) else str(v)

        lines.append(
            ",".join(
                [
                    it["id"],
                    it["date"],
                    it["title"],
                    it["source"],
                    str(it.get("reliability", "")),
                    it.get("group", ""),
                    cell("calm"),
                    cell("storm"),
                ]
            )
        )
    return "\n".join(lines) + "\n"


def test_csv_table_equals_yaml_files(tmp_path):
    pri = priors_dict(groups={"g": {"correlation": 0.3}})
    items = _mixed_items()
    s_yaml = load_scenario(*setup(tmp_path / "yaml", pri, items))
    s_csv = load_scenario(*setup(tmp_path / "csv", pri, raw={"table.csv": _csv_of(items)}))
    assert s_csv.ids == s_yaml.ids == ("d", "a", "b", "c")
    assert s_csv.hash == s_yaml.hash
    p_h_yaml, p_y_yaml = forecast.probabilities(forecast.encode(s_yaml))
    p_h_csv, p_y_csv = forecast.probabilities(forecast.encode(s_csv))
    np.testing.assert_allclose(p_h_csv, p_h_yaml, rtol=0, atol=1e-14)
    np.testing.assert_allclose(p_y_csv, p_y_yaml, rtol=0, atol=1e-14)
    assert not np.allclose(p_y_yaml, p_y_yaml[0])  # the evidence moved the probability


def test_csv_and_yaml_mixed_in_one_folder(tmp_path):
    items = _mixed_items()
    p, e = setup(tmp_path, items=items[:2], raw={"more.csv": _csv_of(items[2:])})
    assert load_scenario(p, e).ids == ("d", "a", "b", "c")


# ----------------------------------------------------------------------------- all at once
def test_three_mistakes_in_one_file_give_three_problems(tmp_path):
    item = item_dict("a", {"storm": -1}, date="2022-02-30", relability="A")
    p, e = setup(tmp_path, items=[item])
    probs = problems(p, e)
    assert len(probs) == 3
    assert {x.file for x in probs} == {str(e / "a.yaml")}
    assert {x.field for x in probs} == {"date", "likelihoods.storm", "relability"}


def test_two_bad_files_both_reported(tmp_path):
    items = [
        item_dict("a", {"storm": -1}),
        item_dict("b", {"storm": 2}, date="yesterday"),
        item_dict("c", {"storm": 2}),
    ]
    p, e = setup(tmp_path, items=items, raw={"d.yaml": "- not a mapping\n"})
    probs = problems(p, e)
    assert [(x.file, x.field) for x in probs] == [
        (str(e / "a.yaml"), "likelihoods.storm"),
        (str(e / "b.yaml"), "date"),
        (str(e / "d.yaml"), ""),
    ]


def test_priors_and_evidence_problems_together(tmp_path):
    p, e = setup(tmp_path, priors_dict(questoin="x"), [item_dict("a", {"strom": 2, "storm": -1})])
    probs = problems(p, e)
    assert {(x.file, x.field) for x in probs} == {
        (str(p), "questoin"),
        (str(e / "a.yaml"), "likelihoods.storm"),
    }
    # the error message lists every problem, one a line
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p, e)
    assert str(exc.value).count("\n") == len(probs) - 1


def test_missing_files_reported(tmp_path):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(tmp_path / "nope.yaml", tmp_path / "nothing")
    assert [(x.file, x.message) for x in exc.value.problems] == [
        (str(tmp_path / "nope.yaml"), "file not found"),
        (str(tmp_path / "nothing"), "evidence folder not found"),
    ]
    (tmp_path / "a-file.yaml").write_text("id: x\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(tmp_path / "nope.yaml", tmp_path / "a-file.yaml")
    assert exc.value.problems[-1].message == "evidence folder is a file, not a folder"


# ----------------------------------------------------------------------------- order on disk
def test_evidence_order_on_disk_does_not_matter(tmp_path):
    items = [
        item_dict("c", {"storm": 2}, date="2022-02-14"),
        item_dict("a", {"calm": 3}, date="2022-02-16"),
        item_dict("b", {"storm": [1, 4]}, date="2022-02-16"),
        item_dict("d", {"storm": 0.5}, date="2022-02-15", group="g"),
        item_dict("e", {"calm": 0.5}, date="2022-02-15", group="g"),
    ]
    p, e = setup(tmp_path, items=items)
    first = load_scenario(p, e)
    # rename so that sorting the names gives the reverse order
    names = sorted(x.name for x in e.iterdir())
    for k, name in enumerate(names):
        (e / name).rename(e / f"{len(names) - k:02d}-{name}")
    renamed = sorted(x.name for x in e.iterdir())
    assert [n.split("-", 1)[1] for n in renamed] == names[::-1]
    second = load_scenario(p, e)
    assert second.hash == first.hash
    assert second.ids == first.ids == ("c", "d", "e", "a", "b")
    assert [(x.date, x.id) for x in second.evidence] == sorted(
        (x.date, x.id) for x in second.evidence
    )
    assert set(second.files) != set(first.files)  # the files did change name
    assert sorted(second.files.values()) == sorted(first.files.values())


# ----------------------------------------------------------------------------- groups
def test_group_near_miss_is_an_error_with_hint(tmp_path):
    pri = priors_dict(groups={"imagery": {"correlation": 0.6}})
    p, e = setup(tmp_path, pri, [item_dict("a", {"storm": 2}, group="imagry")])
    with pytest.raises(
        ScenarioError, match="group 'imagry' is not defined.*did you mean 'imagery'"
    ):
        load_scenario(p, e)
    prob = only(problems(p, e))
    assert (prob.file, prob.field) == (str(e / "a.yaml"), "group")


def test_undefined_group_without_near_miss_defaults(tmp_path):
    pri = priors_dict(groups={"imagery": {"correlation": 0.6}})
    items = [
        item_dict("a", {"storm": 2}, group="briefing"),
        item_dict("b", {"storm": 2}, group="imagery"),
    ]
    s = load_scenario(*setup(tmp_path, pri, items))
    assert DEFAULT_CORRELATION == 0.5
    assert s.correlation("briefing") == 0.5
    assert s.correlation("imagery") == 0.6


@pytest.mark.parametrize("rho", [1, 1.2, -0.1])
def test_group_correlation_out_of_range(tmp_path, rho):
    p, e = setup(tmp_path, priors_dict(groups={"g": {"correlation": rho}}))
    prob = only(problems(p, e))
    assert (prob.file, prob.field) == (str(p), "groups.g.correlation")


# ----------------------------------------------------------------------------- ignored files
def test_files_starting_with_underscore_or_dot_are_ignored(tmp_path):
    raw = {
        "_draft.yaml": "broken: [\n",
        ".hidden.yaml": "- not a mapping\n",
        "_table.csv": "nonsense,columns\n1,2\n",
        ".a.yaml.swp": "junk",
        "notes.txt": "not evidence",
    }
    p, e = setup(tmp_path, items=[item_dict("a", {"storm": 2})], raw=raw)
    s = load_scenario(p, e)
    assert s.ids == ("a",)
    assert sorted(s.files) == sorted([str(p), str(e / "a.yaml")])


# ----------------------------------------------------------------------------- Scenario API
def test_from_dict_round_trip(uncertain_scenario):
    s = uncertain_scenario
    again = Scenario.from_dict(s.to_dict())
    assert again.hash == s.hash
    assert again == s
    via_json = Scenario.from_dict(json.loads(json.dumps(s.to_dict())))
    assert via_json.hash == s.hash
    assert via_json.evidence[0].likelihoods["storm"] == (1.5, 4.0)


def test_hash_changes_with_content(exact_scenario):
    s = exact_scenario
    assert len(s.hash) == 64
    assert s.updated("a", title="another title").hash != s.hash


def test_from_dict_errors_name_the_entry():
    data = {"priors": priors_dict(), "evidence": [item_dict("a", {"storm": 2}, date="nope")]}
    with pytest.raises(ScenarioError, match="<scenario> evidence\\[0\\]: date") as exc:
        Scenario.from_dict(data)
    assert only(exc.value.problems).field == "date"
    with pytest.raises(ScenarioError, match="in.yaml priors: hypotheses"):
        Scenario.from_dict({"priors": priors_dict(hypotheses={})}, name="in.yaml")


def test_without(exact_scenario):
    s = exact_scenario
    t = s.without("b")
    assert t.ids == ("a", "c")
    assert s.ids == ("a", "b", "c")  # the original is unchanged
    assert t.hash != s.hash
    assert s.without().hash == s.hash
    with pytest.raises(KeyError, match="zzz"):
        s.without("zzz")
    _, p_full = forecast.probabilities(forecast.encode(s))
    _, p_less = forecast.probabilities(forecast.encode(t))
    assert p_less[-1] != pytest.approx(p_full[-1])


def test_with_item(exact_scenario):
    s = exact_scenario
    t = s.with_item(item_dict("early", {"calm": 5}, date="2022-02-01"))
    assert t.ids == ("early", "a", "b", "c")
    assert s.ids == ("a", "b", "c")
    t2 = s.with_item(t.evidence[0])  # an EvidenceItem works too
    assert t2.hash == t.hash
    with pytest.raises(ScenarioError, match="duplicate id 'a'"):
        s.with_item(item_dict("a", {"calm": 5}))
    with pytest.raises(ScenarioError) as exc:
        s.with_item(item_dict("x", {"clam": 5}))
    assert only(exc.value.problems).field == "likelihoods.clam"


def test_updated(exact_scenario):
    s = exact_scenario
    t = s.updated("a", reliability=0.5, likelihoods={"storm": [2, 5]})
    a = t.evidence[t.ids.index("a")]
    assert a.r == 0.5
    assert a.likelihoods == {"storm": (2.0, 5.0)}
    assert [x for x in t.evidence if x.id != "a"] == [x for x in s.evidence if x.id != "a"]
    assert s.evidence[0].r == 1.0  # the original is unchanged
    moved = s.updated("a", date="2022-02-20")
    assert moved.ids == ("b", "c", "a")
    with pytest.raises(ScenarioError, match="reliability") as exc:
        s.updated("a", reliability=0)
    assert only(exc.value.problems).field == "reliability"
    with pytest.raises(KeyError):
        s.updated("zzz", reliability=0.5)


def test_problem_str_names_file_and_field():
    assert str(Problem("f.yaml", "date", "bad")) == "f.yaml: date: bad"
    assert str(Problem("f.yaml", "", "is empty")) == "f.yaml: is empty"
    err = ScenarioError([Problem("a", "x", "m1"), Problem("b", "y", "m2")])
    assert isinstance(err, ValueError)
    assert str(err) == "a: x: m1\nb: y: m2"


def test_likelihood_extremes_accepted(tmp_path):
    items = [item_dict("a", {"storm": 1e300, "calm": 1e-300})]
    s = load_scenario(*setup(tmp_path, items=items))
    _, p_y = forecast.probabilities(forecast.encode(s))
    assert all(math.isfinite(v) for v in p_y)
    assert p_y[-1] == pytest.approx(0.8)
