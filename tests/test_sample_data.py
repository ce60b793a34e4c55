"""Invariants of the bundled sample data (sft_ablate/sample_data/*.jsonl).

The files are frozen data; sft_ablate/sample_data/README.md says how they were made. These tests re-check what the
retired generator validated: exact serialization, schema, ids, unique prompts, no eval/arena/seed text inside
training prompts, no PII-shaped strings, and, where that is cheap, that computed answers are right. Every check
is also run on a corrupted copy to show that it can fail.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import shutil
import statistics
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from sft_ablate.paths import SAMPLE_DATA_DIR

ROWS = {"human": 307, "synthetic": 306, "eval_mc": 60, "arena_prompts": 24, "seed_tasks": 26}
TRAINING = ("human", "synthetic")
TASK_KINDS = {
    "arithmetic", "unit_conversion", "date_arithmetic", "string_manipulation", "sorting", "factual_qa", "definition",
    "classification", "rewriting", "summarization", "coding", "brainstorming", "how_to", "email_drafting",
}  # fmt: skip
ARENA_CATEGORIES = {"writing", "math", "reasoning", "coding", "knowledge", "extraction", "advice"}
PII_PATTERNS = {
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    "phone": r"\b\d{3}[-. ]\d{3}[-. ]\d{4}\b|\(\d{3}\)\s*\d{3}[-. ]\d{4}|\+\d{1,3}[ -]\d{2,4}[ -]\d{3,4}[ -]\d{3,4}",
    "ipv4": r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b",
    "card": r"\b(?:\d[ -]?){12,15}\d\b",
    "api_key": r"\b(?:sk-[A-Za-z0-9_-]{8,}|hf_[A-Za-z0-9]{8,}|AKIA[0-9A-Z]{16}|ghp_[A-Za-z0-9]{20,})",
}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def read_sample(directory: Path) -> dict[str, list[dict]]:
    """Parse the five files, asserting each is UTF-8 JSONL written as json.dumps(row, ensure_ascii=False) + newline."""
    data = {}
    for name, count in ROWS.items():
        text = (directory / f"{name}.jsonl").read_bytes().decode("utf-8")
        assert text.endswith("\n"), name
        lines = text[:-1].split("\n")
        data[name] = [json.loads(line) for line in lines]
        for n, (line, row) in enumerate(zip(lines, data[name]), 1):
            assert line == json.dumps(row, ensure_ascii=False), f"{name}.jsonl line {n} is not in canonical form"
        assert len(lines) == count, (name, len(lines))
    return data


def norm(s: str) -> str:
    return " ".join(s.lower().split())


def user_prompts(data) -> list[str]:
    return [norm(m["content"]) for name in TRAINING for r in data[name] for m in r["messages"] if m["role"] == "user"]


def all_strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict | list):
        for v in obj.values() if isinstance(obj, dict) else obj:
            yield from all_strings(v)


def fmt(q, places: int = 2) -> str:
    """A number rounded half-up, with thousands commas and without trailing zeros (as the data writes them)."""
    q = Fraction(q)
    s = f"{(Decimal(q.numerator) / Decimal(q.denominator)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP):,f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def money(q) -> str:
    return f"${Decimal(Fraction(q).numerator) / Decimal(Fraction(q).denominator):,.2f}"


# ---------------------------------------------------------------- the checks (each takes the parsed files)


def check_training_schema(data):
    for name in TRAINING:
        rows = data[name]
        assert [r["id"] for r in rows] == [f"{name}-{i:04d}" for i in range(1, len(rows) + 1)], name
        assert {r["task"] for r in rows} == TASK_KINDS, name
        for r in rows:
            assert set(r) == {"id", "task", "messages"}, r["id"]
            msgs = r["messages"]
            body = msgs[1:] if msgs and msgs[0]["role"] == "system" else msgs
            assert len(body) >= 2 and len(body) % 2 == 0, r["id"]
            assert [m["role"] for m in body] == ["user", "assistant"] * (len(body) // 2), r["id"]
            for m in msgs:
                assert set(m) == {"role", "content"}, r["id"]
                assert isinstance(m["content"], str) and m["content"] and m["content"] == m["content"].strip(), r["id"]


def check_user_prompts_unique(data):
    dupes = [p for p, k in Counter(user_prompts(data)).items() if k > 1]
    assert not dupes, f"user prompts repeated within or across human/synthetic: {dupes[:3]}"


def check_eval_mc(data):
    items = data["eval_mc"]
    for it in items:
        assert set(it) == {"query", "choices", "gold"}, it
        assert len(it["choices"]) == 4 and len({norm(c) for c in it["choices"]}) == 4, it
        assert all(isinstance(c, str) and c.strip() for c in it["choices"]), it
        assert type(it["gold"]) is int and 0 <= it["gold"] <= 3, it
    golds = Counter(it["gold"] for it in items)
    assert max(golds.values()) - min(golds.values()) <= 1, f"gold index not balanced: {golds}"
    assert len({norm(" ".join([it["query"], *it["choices"]])) for it in items}) == len(items), "duplicate eval item"


def check_arena(data):
    arena = data["arena_prompts"]
    assert [a["id"] for a in arena] == [f"arena-{i:03d}" for i in range(1, len(arena) + 1)]
    for a in arena:
        assert set(a) == {"id", "category", "turns", "reference", "answer"}, a["id"]
        assert a["category"] in ARENA_CATEGORIES, a["id"]
        assert len(a["turns"]) == 2 and all(t.strip() for t in a["turns"]) and a["reference"].strip(), a["id"]
        # a numeric answer exactly for math prompts, equal to the last number of the worked reference answer
        assert (a["answer"] is not None) == (a["category"] == "math"), a["id"]
        if a["answer"] is not None:
            assert re.fullmatch(r"-?\d+(\.\d+)?", a["answer"]), a["id"]
            last = re.findall(r"\d[\d,]*(?:\.\d+)?", a["reference"])[-1]
            assert Decimal(last.replace(",", "")) == Decimal(a["answer"]), (a["id"], last, a["answer"])


def check_seed_tasks(data):
    seeds = data["seed_tasks"]
    assert [s["id"] for s in seeds] == [f"seed_task_{i}" for i in range(len(seeds))]
    assert len({s["name"] for s in seeds}) == len(seeds), "duplicate seed task name"
    for s in seeds:
        assert set(s) == {"id", "name", "instruction", "instances", "is_classification"}, s["id"]
        assert re.fullmatch(r"[a-z0-9_]+", s["name"]) and s["instruction"].strip(), s["id"]
        assert isinstance(s["is_classification"], bool) and s["instances"], s["id"]
        for inst in s["instances"]:
            assert set(inst) == {"input", "output"} and isinstance(inst["input"], str) and inst["output"].strip(), s["id"]


def check_no_leaks_into_training(data):
    prompts = user_prompts(data)
    held_out = [it["query"] for it in data["eval_mc"]] + [t for a in data["arena_prompts"] for t in a["turns"]]
    held_out += [s["instruction"] for s in data["seed_tasks"]]
    for text in held_out:
        assert not any(norm(text) in p for p in prompts), f"appears inside a training prompt: {text!r}"


def check_no_pii(data):
    for name, rows in data.items():
        for text in (s for r in rows for s in all_strings(r)):
            for kind, pattern in PII_PATTERNS.items():
                found = re.search(pattern, text)
                assert not found, (name, kind, found and found.group(0))


# Computed golds of the eval items, re-derived from the numbers in each query.
MC_ARITHMETIC = [
    (r"bakes (\d+) trays of rolls with (\d+) .* sells (\d+) rolls", lambda a, b, c: str(int(a) * int(b) - int(c))),
    (
        r"ticket costs \$([\d.]+) and a popcorn costs \$([\d.]+)\. How much do (\d+) tickets and (\d+)",
        lambda p, q, k, m: money(int(k) * Fraction(p) + int(m) * Fraction(q)),
    ),
    (r"travels (\d+) km on (\d+) liters", lambda km, litres: f"{fmt(Fraction(int(km), int(litres)))} km"),
    (r"What is (\d+)% of (\d+)\?", lambda p, y: fmt(Fraction(int(p) * int(y), 100))),
    (r"perimeter of (\d+) cm and a width of (\d+) cm", lambda p, w: f"{fmt(Fraction(int(p), 2) - int(w))} cm"),
    (r"If (\d+) notebooks cost \$(\d+), how much do (\d+)", lambda k, c, k2: money(Fraction(int(c), int(k)) * int(k2))),
    (r"drains by (\d+) percentage points every hour\. .* after (\d+) hours", lambda r, h: f"{100 - int(r) * int(h)}%"),
]
MC_CONVERSIONS = {  # (unit in the query, unit asked for): factor, from exact definitions
    ("km", "miles"): 1 / Fraction("1.609344"),
    ("mi", "kilometers"): Fraction("1.609344"),
    ("kg", "pounds"): 1 / Fraction("0.45359237"),
    ("lb", "kilograms"): Fraction("0.45359237"),
    ("inches", "centimeters"): Fraction("2.54"),
    ("ft", "meters"): Fraction("0.3048"),
    ("gal", "liters"): Fraction("3.785411784"),
    ("h", "minutes"): Fraction(60),
    ("km/h", "meters per second"): Fraction(1000, 3600),
    ("m", "kilometers"): Fraction(1, 1000),
}


def mc_expected(query: str) -> str | None:
    for pattern, answer in MC_ARITHMETIC:
        if m := re.search(pattern, query):
            return answer(*m.groups())
    if m := re.fullmatch(r"What is (\d+)°([CF]) in degrees (?:Fahrenheit|Celsius)\?", query):
        x = Fraction(m[1])
        return f"{fmt(x * Fraction(9, 5) + 32, 1)}°F" if m[2] == "C" else f"{fmt((x - 32) * Fraction(5, 9), 1)}°C"
    if m := re.search(r"[Hh]ow many ([a-z]+) (?:are in|is) ([\d.,]+) (\S+)\?", query):
        unit_to, value, unit_from = m.groups()
    elif m := re.search(r"What is ([\d.,]+) (\S+) in ([a-z ]+)\?", query):
        value, unit_from, unit_to = m.groups()
    else:
        return None
    return f"{fmt(Fraction(value.replace(',', '')) * MC_CONVERSIONS[unit_from, unit_to], 1)} {unit_to}"


def check_eval_mc_golds(data):
    checked = 0
    for it in data["eval_mc"]:
        expected = mc_expected(it["query"])
        if expected is not None:
            assert it["choices"][it["gold"]] == expected, (it["query"], it["choices"], expected)
            checked += 1
    assert checked == 26, f"{checked} computed eval items recognized, expected 26 (14 arithmetic, 12 conversions)"


# Computed answers of training rows, re-derived from the first user turn: (task, prompt pattern, expected text).
DATE = r"(?:(?:%s) \d{1,2}, \d{4}|\d{1,2} (?:%s) \d{4}|\d{4}-\d{2}-\d{2})" % (("|".join(MONTHS),) * 2)
NUMBERS = r"(-?\d+(?:\.\d+)?(?:, -?\d+(?:\.\d+)?)+)"


def parse_date(s: str) -> dt.date:
    for f in ("%B %d, %Y", "%d %B %Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(s, f).date()
        except ValueError:
            pass
    raise ValueError(s)


def long_date(d: dt.date) -> str:
    return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"


def date_expected(prompt: str) -> str | None:
    dates = [parse_date(s) for s in re.findall(DATE, prompt)]
    offset = re.search(r"(\d+)[ -]days?\b", prompt)
    if m := re.search(r"(\d{4}) (?:a|be a) leap year|29 days in (\d{4})", prompt):
        y = int(m[1] or m[2])
        return "Yes" if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else "No"
    if not dates and offset and (day := re.search("|".join(WEEKDAYS), prompt)):
        return WEEKDAYS[(WEEKDAYS.index(day[0]) + int(offset[1])) % 7]
    if len(dates) == 1 and offset:
        return long_date(dates[0] + dt.timedelta(days=int(offset[1]) * (-1 if "before" in prompt else 1)))
    if len(dates) == 1 and re.search(r"day of the week|weekday", prompt):
        return WEEKDAYS[dates[0].weekday()]
    if len(dates) == 2 and re.search(r"born|birthday", prompt):
        born, on = dates
        return f"{on.year - born.year - ((on.month, on.day) < (born.month, born.day))}"
    if len(dates) == 2:
        return f"{(dates[1] - dates[0]).days} days"
    return None


def words_to(case: str, phrase: str) -> str:
    w = phrase.split()
    return "_".join(w) if case == "snake" else w[0] + "".join(x.capitalize() for x in w[1:])


ANSWER_RULES = [
    ("string_manipulation", r'Reverse the letters in the word (\w+)\.|What is "(\w+)" reversed\?', lambda w: w[::-1]),
    ("string_manipulation", r'Put the letters in "(\w+)" in alphabetical order', lambda w: "".join(sorted(w))),
    ("string_manipulation", r'(?:to uppercase|in all caps): "?([^"]+?)"?$', str.upper),
    ("string_manipulation", r'"([a-z ]+)" look like as a snake_case', lambda p: words_to("snake", p)),
    ("string_manipulation", r'"([a-z ]+)" (?:as a|to) camelCase', lambda p: words_to("camel", p)),
    ("string_manipulation", r'acronym .*"([a-z ]+)"|"([a-z ]+)" into an acronym', lambda p: "".join(w[0] for w in p.split()).upper()),
    ("string_manipulation", r'How many (\w)\'s are in "(\w+)"', lambda c, w: str(w.count(c))),
    ("string_manipulation", r'vowels (?:are )?in (?:the word )?"(\w+)"', lambda w: str(sum(w.count(v) for v in "aeiou"))),
    ("string_manipulation", r'(?:flip the word order of|order of the words in this sentence:) "([^"]+)"', lambda s: " ".join(s.split()[::-1])),
    ("string_manipulation", r'Replace every "(\w+)" with "(\w+)" in this sentence: (.+)$', lambda a, b, s: re.sub(rf"\b{a}\b", b, s)),
    ("string_manipulation", r'characters (?:are )?in "(.+)", not counting spaces|characters in this sentence, excluding spaces: (.+)$', lambda s: str(len(s.replace(" ", "")))),
    ("string_manipulation", r'How many words are in this sentence\? "(.+)"|Count the words: (.+)$', lambda s: str(len(s.split()))),
    ("sorting", r"(?:smallest to largest|lowest to highest|ascending order): " + NUMBERS + "$", lambda xs: ", ".join(sorted(xs.split(", "), key=float))),
    ("sorting", r"(?:largest to smallest: |biggest first\? )" + NUMBERS + "$", lambda xs: ", ".join(sorted(xs.split(", "), key=float, reverse=True))),
    ("sorting", r"unique values from " + NUMBERS + ", sorted", lambda xs: ", ".join(sorted(set(xs.split(", ")), key=float))),
    ("sorting", r"median of (?:these numbers: )?" + NUMBERS + r"[?.]$", lambda xs: fmt(statistics.median(Fraction(x) for x in xs.split(", ")))),
    # lists whose sorted items the answer must show in order ("a, b, c" or "1. a\n2. b\n...")
    ("sorting", r"(?:alphabetical order|Alphabetize this list of \w+|from A to Z\?):? (.+)$", lambda xs: sorted(xs.split(", "))),
    ("sorting", r"(?:chronological order|from earliest to latest): (.+)$", lambda xs: sorted(xs.split("; "), key=parse_date)),
]  # fmt: skip


def training_expected(task: str, prompt: str) -> str | list[str] | None:
    if task == "date_arithmetic":
        return date_expected(prompt)
    for kind, pattern, answer in ANSWER_RULES:
        if kind == task and (m := re.search(pattern, prompt)):
            return answer(*[g for g in m.groups() if g is not None])
    return None


def check_training_answers(data):
    checked = 0
    for name in TRAINING:
        for r in data[name]:
            turns = [m for m in r["messages"] if m["role"] != "system"]
            expected = training_expected(r["task"], turns[0]["content"])
            if expected is None:
                continue
            pos = 0  # a list: its items must appear in this order
            for item in [expected] if isinstance(expected, str) else expected:
                found = re.compile(rf"(?<![\w.]){re.escape(item)}(?!\w)").search(turns[1]["content"], pos)
                assert found, (r["id"], turns[0]["content"], expected)
                pos = found.end()
            checked += 1
    assert checked == 99, f"{checked} training rows with a re-computable answer recognized"


CHECKS = [
    check_training_schema,
    check_user_prompts_unique,
    check_eval_mc,
    check_arena,
    check_seed_tasks,
    check_no_leaks_into_training,
    check_no_pii,
    check_eval_mc_golds,
    check_training_answers,
]


# ---------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def sample():
    return read_sample(SAMPLE_DATA_DIR)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_sample_data(sample, check):
    check(sample)


def _set(path, value):
    """A corruption that sets data[path[0]][path[1]]...[path[-1]] = value."""

    def corrupt(data):
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value(node[path[-1]]) if callable(value) else value

    return corrupt


def _answer(data, pattern):
    """The first human assistant turn matching pattern."""
    return next(m for r in data["human"] for m in r["messages"] if m["role"] == "assistant" and re.search(pattern, m["content"]))


CORRUPTIONS = [
    (check_training_schema, _set(("human", 3, "id"), "human-0003")),
    (check_training_schema, _set(("synthetic", 0, "messages"), lambda m: m[::-1])),
    (check_training_schema, _set(("synthetic", 5, "messages", -1, "content"), lambda s: s + " ")),
    (check_training_schema, _set(("human", 0, "task"), "poetry")),
    (check_user_prompts_unique, lambda d: d["synthetic"].append(copy.deepcopy(d["human"][0]))),
    (check_eval_mc, _set(("eval_mc", 0, "gold"), 4)),
    (check_eval_mc, _set(("eval_mc", 0, "choices"), lambda c: c[:3])),
    (check_eval_mc, lambda d: [it.update(gold=0) for it in d["eval_mc"][:8]]),
    (check_arena, _set(("arena_prompts", 4, "answer"), "43")),
    (check_arena, _set(("arena_prompts", 0, "answer"), "1")),
    (check_arena, _set(("arena_prompts", 1, "turns"), lambda t: t[:1])),
    (check_seed_tasks, _set(("seed_tasks", 1, "name"), "Synonym Finder")),
    (check_seed_tasks, _set(("seed_tasks", 2, "instances", 0, "output"), "")),
    (check_no_leaks_into_training, lambda d: d["human"][0]["messages"][-2].update(content="Q: " + d["eval_mc"][0]["query"])),
    (check_no_pii, _set(("seed_tasks", 0, "instruction"), lambda s: s + " Write to jo.smith@example.org.")),
    (check_no_pii, _set(("arena_prompts", 2, "reference"), lambda s: s + " Call 555-201-7788.")),
    (check_eval_mc_golds, _set(("eval_mc", 20, "gold"), lambda g: (g + 1) % 4)),
    (check_eval_mc_golds, _set(("eval_mc", 40, "gold"), lambda g: (g + 1) % 4)),
    (check_training_answers, lambda d: _answer(d, r"^Monday\.$").update(content="Sunday.")),
    (check_training_answers, lambda d: _answer(d, r"^-15, -8, -5, ").update(content="-8, -15, -5, 38, 53, 73, 82, 96")),
    (check_training_answers, lambda d: _answer(d, "^koobeton$").update(content="koobetn")),
    (check_training_answers, lambda d: _answer(d, "^fig, grape, guava").update(content="fig, guava, grape, kiwi, lime, mango")),
    (check_training_answers, lambda d: _answer(d, "^215 days").update(content="216 days.")),
]  # fmt: skip


@pytest.mark.parametrize("check, corrupt", CORRUPTIONS, ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(CORRUPTIONS)])
def test_checks_catch_corruption(sample, check, corrupt):
    data = copy.deepcopy(sample)
    corrupt(data)
    with pytest.raises(AssertionError):
        check(data)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda text: text[:-1],  # missing final newline
        lambda text: text.replace('", "', '","', 1),  # not json.dumps' separators
        lambda text: text.replace("\n", "\n\n", 1),  # blank line
        lambda text: text.rsplit("\n", 2)[0] + "\n",  # a row dropped
    ],
)
def test_read_sample_rejects_corrupted_files(tmp_path, corrupt):
    for name in ROWS:
        shutil.copy(SAMPLE_DATA_DIR / f"{name}.jsonl", tmp_path)
    read_sample(tmp_path)  # the intact copy passes
    path = tmp_path / "human.jsonl"
    path.write_text(corrupt(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises((AssertionError, ValueError)):
        read_sample(tmp_path)
