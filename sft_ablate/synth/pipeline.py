"""`python -m sft_ablate.synth`: synthetic ChatML SFT data by self-instruct and rejection sampling.

Each round, top to bottom:
  1. instructions: few-shot prompts (seed + machine-made tasks, or a weak eval prompt) -> new tasks ->
     length / URL / unanswerable / novelty filters;
  2. candidates: every generator x every sampling setting answers every new task;
  3. judge: a rubric (helpfulness, factuality, format, 1-5) scores each candidate; unparseable verdicts
     are rejections;
  4. select: the best ``top_k`` candidates per task at or above ``min_score``;
  5. multi-turn (optional): a follow-up question and a second answer, judged again.
Rounds go on until ``target_rows`` rows are accepted or ``max_rounds`` have run.

Every backend answer is cached by content (backends.CachedBackend), and every random draw comes from one
seeded generator whose inputs are those answers, so a rerun replays the same rounds from the cache: an
interrupted job resumes where it stopped, and an identical rerun makes no backend call at all.
The rows accepted so far are kept in ``<output>.partial`` until the job completes.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from sft_ablate.cache import content_key
from sft_ablate.config import SynthAppConfig, SynthConfig
from sft_ablate.data.formats import Messages
from sft_ablate.errors import SftAblateError
from sft_ablate.generation.backends import CachedBackend, make_backend, to_sampling
from sft_ablate.generation.local import Sampling
from sft_ablate.io import write_jsonl_atomic
from sft_ablate.record.results import RunRecord, environment
from sft_ablate.synth.rubric import Verdict, VerdictProblem, parse_verdict, rubric_messages
from sft_ablate.synth.self_instruct import (
    NoveltyFilter,
    Task,
    draw_examples,
    drop_reason,
    instruction_prompt,
    load_seed_tasks,
    parse_tasks,
    weak_prompts,
)

log = logging.getLogger("sft_ablate.synth.pipeline")


class SynthIncomplete(SftAblateError):
    """The job ran every round it may and made fewer rows than synth.target_rows (they are written all the same)."""


FOLLOW_UP_PROMPT = """Here is a conversation:
User: {question}
Assistant: {answer}

Write the next message the user would send: one short follow-up question. Reply with the question only."""


@dataclass
class Candidate:
    task: Task
    generator: CachedBackend
    sampling: Sampling
    messages: Messages  # the conversation, ending with the candidate answer
    verdict: Verdict | None = None  # of the first answer
    judge_output: str = ""  # the judge's text for the first answer, kept for rejected.jsonl
    follow_up: dict[str, Any] | None = None  # the second turn's verdict, when multi-turn extension added one


@dataclass
class Backends:
    generators: list[CachedBackend]
    judge: CachedBackend


def synthesize(config: SynthAppConfig, run_dir: Path) -> dict[str, Any]:
    """Run every round; write the ChatML rows and run_dir/results.json. Returns the results."""
    cfg = config.synth
    cache_dir = Path(config.paths.cache_dir).expanduser()
    output = Path(cfg.output).expanduser() if cfg.output else run_dir / "synthetic.jsonl"
    partial = output.with_name(output.name + ".partial")
    run_config = dataclasses.asdict(config)
    record = RunRecord(
        run_dir,
        config_hash=content_key({k: v for k, v in run_config.items() if k != "paths"}),
        config=run_config,
        output=str(output),
        environment=environment(),
    )

    rng = random.Random(cfg.seed)
    machine: list[Task] = []
    rows: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    timings: Counter[str] = Counter()
    backends: Backends | None = None
    started = time.perf_counter()

    def save_progress() -> None:  # whatever happens, the rejections and counts so far are saved with the record
        write_jsonl_atomic(run_dir / "rejected.jsonl", rejected)
        _save_progress(record, cfg, counts, timings, backends, rows, started)

    bar = tqdm(total=cfg.target_rows, unit="row", desc=f"synth {cfg.name}", dynamic_ncols=True)
    try:
        with record.running(before_finish=save_progress):
            seeds = load_seed_tasks(Path(cfg.seed_file).expanduser())
            weak = weak_prompts(cfg.weakness) if cfg.weakness.run_dir else []
            novelty = NoveltyFilter(cfg.filter.max_rouge, [t.text for t in seeds + weak])  # never near-copy an eval prompt
            if cfg.threads:
                import torch

                torch.set_num_threads(cfg.threads)
            loaded: dict = {}  # one copy of a local model, whichever roles it plays
            tiny_texts = [t.text for t in seeds]
            with _timed(timings, "load"):
                backends = Backends(
                    [make_backend(g, cache_dir, tiny_texts, loaded) for g in cfg.generators],
                    make_backend(cfg.judge, cache_dir, tiny_texts, loaded),
                )
            for round_no in range(cfg.max_rounds):
                if len(rows) >= cfg.target_rows:
                    break
                stage = f"round {round_no + 1}/{cfg.max_rounds}:"
                bar.set_postfix_str(f"{stage} writing instructions")  # a round takes minutes on CPU: say where it is
                with _timed(timings, "instructions"):
                    tasks = new_tasks(cfg, round_no, backends, rng, seeds, weak, machine, novelty, counts, rejected)
                    machine += tasks
                bar.set_postfix_str(f"{stage} answering {len(tasks)} instructions")
                with _timed(timings, "candidates"):
                    candidates = sample_candidates(cfg, tasks, backends, counts, rejected)
                bar.set_postfix_str(f"{stage} judging {len(candidates)} answers")
                with _timed(timings, "judge"):
                    judge_candidates(cfg, candidates, backends, counts, rejected)
                accepted = select(cfg, candidates, counts, rejected)
                if cfg.multi_turn.fraction > 0:
                    with _timed(timings, "multi_turn"):
                        extend_multi_turn(cfg, accepted, backends, rng, counts, rejected)
                new_rows = [to_row(cfg, c, backends) for c in accepted]
                rows += new_rows
                write_jsonl_atomic(partial, rows)
                write_jsonl_atomic(run_dir / "rejected.jsonl", rejected)
                bar.update(min(len(new_rows), cfg.target_rows - bar.n))
                bar.set_postfix_str(f"{stage} {counts['tasks_kept']} tasks kept, {_rate(counts):.0%} of answers accepted")
                _save_progress(record, cfg, counts, timings, backends, rows, started)
            # Rows past the target are not kept, but they are accounted for: accepted == rows + over_target.
            for row in rows[cfg.target_rows :]:
                counts["over_target"] += 1
                rejected.append({"stage": "row", "reason": "over_target", "row": row})
            rows = rows[: cfg.target_rows]
            write_jsonl_atomic(output, rows)
            partial.unlink(missing_ok=True)
        if len(rows) < cfg.target_rows:  # the job ran to its end: it is short, not failed, and says why
            message = shortfall_message(cfg, counts, len(rows), run_dir)
            save_progress()
            record.finish("incomplete", message)
            raise SynthIncomplete(message)
    finally:
        bar.close()
        if record.status not in ("complete", "incomplete"):
            log.info(
                "stopped with %d rows (in %s); every answer so far is cached: rerun the same command to resume",
                len(rows),
                partial,
            )
    log.info(
        "synth %s: %d rows in %s (%.0f s, acceptance %.1f%% of candidates)",
        record.status,
        len(rows),
        output,
        time.perf_counter() - started,
        100 * _rate(counts),
    )
    return record.results


# ---- the stages ---------------------------------------------------------------------------------------------


def new_tasks(
    cfg: SynthConfig,
    round_no: int,
    backends: Backends,
    rng: random.Random,
    seeds: list[Task],
    weak: list[Task],
    machine: list[Task],
    novelty: NoveltyFilter,
    counts: Counter,
    rejected: list[dict],
) -> list[Task]:
    """One round of instruction generation by the first generator, filtered."""
    prompts, shown, leads = [], [], []
    for _ in range(cfg.prompts_per_round):
        lead = rng.choice(weak) if weak and rng.random() < cfg.weakness.fraction else None
        examples = draw_examples(rng, seeds, machine, cfg.few_shot_seed, cfg.few_shot_machine)
        prompts.append(instruction_prompt(examples, cfg.tasks_per_prompt, lead))
        shown.append([t.id for t in ([lead] if lead else []) + examples])
        leads.append(lead)
    sampling = dataclasses.replace(to_sampling(cfg.instruction_sampling), seed=cfg.instruction_sampling.seed + round_no)
    texts = backends.generators[0].generate(prompts, sampling)
    counts["instruction_prompts"] += len(prompts)
    kept = []
    for p, (text, seed_ids, lead) in enumerate(zip(texts, shown, leads)):
        for t, task_text in enumerate(parse_tasks(text)[: cfg.tasks_per_prompt]):
            counts["tasks_parsed"] += 1
            reason, rouge = drop_reason(task_text, cfg.filter), None
            if reason is None:
                novel, rouge = novelty.add_if_novel(task_text)
                reason = None if novel else "not_novel"
            if reason:
                counts[f"task_dropped_{reason}"] += 1
                rejected.append(
                    {"stage": "instruction", "reason": reason, "text": task_text, "round": round_no, "max_rouge_l": rouge}
                )
                continue
            stage = "weakness" if lead else "self_instruct"
            kept.append(Task(id=f"r{round_no}-p{p}-t{t}", text=task_text, stage=stage, seed_ids=seed_ids))
    counts["tasks_kept"] += len(kept)
    return kept


def sample_candidates(
    cfg: SynthConfig, tasks: list[Task], backends: Backends, counts: Counter, rejected: list[dict]
) -> list[Candidate]:
    """Every generator x sampling setting answers every task; empty answers are rejected here."""
    requests = [
        (gen, to_sampling(s), [{"role": "user", "content": task.text}], task)
        for task in tasks
        for gen in backends.generators
        for s in cfg.samplings
    ]
    answers = generate_grouped([(gen, sampling, conv) for gen, sampling, conv, _ in requests])
    cut_off = length_limited([(gen, sampling) for gen, sampling, _, _ in requests], answers)
    candidates = []
    for (gen, sampling, conv, task), answer, truncated in zip(requests, answers, cut_off):
        counts["candidates"] += 1
        if not answer.strip():
            counts["candidate_rejected_empty_answer"] += 1
            rejected.append(_rejection("candidate", "empty_answer", task, gen, sampling, ""))
            continue
        if truncated:  # it ran out of max_new_tokens mid-answer: a row that teaches answers to stop mid-sentence
            counts["candidate_rejected_truncated"] += 1
            rejected.append(_rejection("candidate", "truncated", task, gen, sampling, answer))
            continue
        candidates.append(Candidate(task, gen, sampling, conv + [{"role": "assistant", "content": answer}]))
    return candidates


def judge_candidates(
    cfg: SynthConfig, candidates: list[Candidate], backends: Backends, counts: Counter, rejected: list[dict]
) -> None:
    """Score each candidate; a verdict that does not parse is a rejection (counted by its code), never a crash."""
    verdicts = backends.judge.generate([rubric_messages(c.messages) for c in candidates], to_sampling(cfg.judge_sampling))
    for candidate, text in zip(candidates, verdicts):
        counts["judged"] += 1
        candidate.judge_output = text
        try:
            candidate.verdict = parse_verdict(text)
        except VerdictProblem as problem:
            counts[f"candidate_rejected_{problem.code}"] += 1
            rejected.append(
                {
                    **_rejection(
                        "candidate",
                        problem.code,
                        candidate.task,
                        candidate.generator,
                        candidate.sampling,
                        candidate.messages[-1]["content"],
                    ),
                    "judge_output": text,
                    "detail": problem.detail,
                }
            )


def select(cfg: SynthConfig, candidates: list[Candidate], counts: Counter, rejected: list[dict]) -> list[Candidate]:
    """Per task: candidates at or above min_score, best first; the first top_k of them (all when top_k is null)."""
    by_task: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        if c.verdict is not None:
            by_task[c.task.id].append(c)
    accepted = []
    for group in by_task.values():
        ranked = sorted(group, key=lambda c: -c.verdict.score)  # stable: ties keep generation order
        for rank, c in enumerate(ranked):
            reason = (
                "below_min_score"
                if c.verdict.score < cfg.min_score
                else "not_top_k"
                if cfg.top_k is not None and rank >= cfg.top_k
                else None
            )
            if reason:
                counts[f"candidate_rejected_{reason}"] += 1
                rejected.append(
                    {
                        **_rejection("candidate", reason, c.task, c.generator, c.sampling, c.messages[-1]["content"]),
                        "score": c.verdict.score,
                        "scores": c.verdict.scores(),
                        "judge_reason": c.verdict.reason,
                        "judge_output": c.judge_output,
                    }
                )
            else:
                accepted.append(c)
    counts["accepted"] += len(accepted)
    return accepted


def extend_multi_turn(
    cfg: SynthConfig, accepted: list[Candidate], backends: Backends, rng: random.Random, counts: Counter, rejected: list[dict]
) -> None:
    """Add a follow-up question and a judged second answer to a share of the accepted rows (in place)."""
    chosen = [c for c in accepted if rng.random() < cfg.multi_turn.fraction]
    if not chosen:
        return
    question_sampling = to_sampling(cfg.instruction_sampling)
    asks = [FOLLOW_UP_PROMPT.format(question=c.messages[-2]["content"], answer=c.messages[-1]["content"]) for c in chosen]
    questions = generate_grouped(
        [(c.generator, question_sampling, [{"role": "user", "content": a}]) for c, a in zip(chosen, asks)]
    )
    extendable = []
    for c, question in zip(chosen, questions):
        question = _first_line(question)
        counts["follow_ups"] += 1
        reason = drop_reason(question, cfg.filter) if question else "empty_question"
        if reason:
            counts[f"follow_up_rejected_{reason}"] += 1
            rejected.append(_rejection("follow_up", reason, c.task, c.generator, c.sampling, question))
        else:
            extendable.append((c, c.messages + [{"role": "user", "content": question}]))
    answers = generate_grouped([(c.generator, c.sampling, conv) for c, conv in extendable])
    answered = [(c, conv + [{"role": "assistant", "content": a}]) for (c, conv), a in zip(extendable, answers) if a.strip()]
    counts["follow_up_rejected_empty_answer"] += len(extendable) - len(answered)
    verdicts = backends.judge.generate([rubric_messages(conv) for _, conv in answered], to_sampling(cfg.judge_sampling))
    for (c, conv), text in zip(answered, verdicts):
        try:
            verdict = parse_verdict(text)
            reason = None if verdict.score >= cfg.min_score else "below_min_score"
        except VerdictProblem as problem:
            verdict, reason = None, problem.code
        if reason:
            counts[f"follow_up_rejected_{reason}"] += 1
            rejected.append(
                {**_rejection("follow_up", reason, c.task, c.generator, c.sampling, conv[-1]["content"]), "judge_output": text}
            )
            continue
        counts["follow_ups_accepted"] += 1
        c.messages = conv
        c.follow_up = {
            "question_sampling": dataclasses.asdict(question_sampling),
            "score": verdict.score,
            "scores": verdict.scores(),
            "reason": verdict.reason,
        }


def length_limited(requests: list[tuple[CachedBackend, Sampling]], answers: list[str]) -> list[bool]:
    """Per answer, whether it was cut off by its sampling's max_new_tokens (unknown counts as not)."""
    groups: dict[tuple[int, Sampling], list[int]] = defaultdict(list)
    for i, (backend, sampling) in enumerate(requests):
        groups[(id(backend), sampling)].append(i)
    out = [False] * len(answers)
    for index in groups.values():
        backend, sampling = requests[index[0]]
        for i, hit in zip(index, backend.hit_length_limit([answers[i] for i in index], sampling)):
            out[i] = bool(hit)
    return out


def shortfall_message(cfg: SynthConfig, counts: Counter, rows: int, run_dir: Path) -> str:
    """How many rows, why not more (the rejections, most common first), and what to change."""
    rejections = Counter(
        {k.removeprefix("candidate_rejected_"): n for k, n in counts.items() if k.startswith("candidate_rejected_")}
    )
    dropped = sum(n for k, n in counts.items() if k.startswith("task_dropped_"))
    why = ", ".join(f"{n} {code}" for code, n in rejections.most_common()) or "none"
    hints = []
    if any(code.startswith("judge_") for code in rejections):
        hints.append("a judge that answers in the rubric's JSON (synth.judge: a bigger model, see synth=openai)")
    if rejections["truncated"]:
        hints.append("longer answers (synth.samplings[*].max_new_tokens)")
    if rejections["below_min_score"]:
        hints.append(f"a lower synth.min_score (now {cfg.min_score})")
    hints.append(f"more rounds (synth.max_rounds, now {cfg.max_rounds})")
    return (
        f"synth made {rows} of {cfg.target_rows} rows (synth.target_rows) in {cfg.max_rounds} rounds: "
        f"{counts['tasks_kept']} tasks kept ({dropped} dropped), {counts['candidates']} candidate answers, "
        f"{counts['accepted']} accepted; rejected: {why}. The rows made are written; "
        f"details in {run_dir / 'rejected.jsonl'}. To get more, try: {'; '.join(hints)}"
    )


def generate_grouped(requests: list[tuple[CachedBackend, Sampling, Messages]]) -> list[str]:
    """Answers to requests that name different backends and samplings: one batched call per pair."""
    groups: dict[tuple[int, Sampling], list[int]] = defaultdict(list)
    for i, (backend, sampling, _) in enumerate(requests):
        groups[(id(backend), sampling)].append(i)
    answers = [""] * len(requests)
    for index in groups.values():
        backend, sampling, _ = requests[index[0]]
        for i, text in zip(index, backend.generate([requests[i][2] for i in index], sampling)):
            answers[i] = text
    return answers


# ---- rows and records ---------------------------------------------------------------------------------------


def to_row(cfg: SynthConfig, c: Candidate, backends: Backends) -> dict[str, Any]:
    assert c.verdict is not None
    return {
        "id": f"{cfg.name}-{c.task.id}-{c.generator.name}-{content_key(dataclasses.asdict(c.sampling))[:6]}",
        "messages": c.messages,
        "provenance": {
            "stage": c.task.stage,
            "instruction_id": c.task.id,
            "seed_task_ids": c.task.seed_ids,
            "instruction_generator": backends.generators[0].identity,
            "generator": c.generator.identity,
            "sampling": dataclasses.asdict(c.sampling),
            "judge": backends.judge.identity,
            "score": c.verdict.score,
            "scores": c.verdict.scores(),
            "reason": c.verdict.reason,
            "follow_up": c.follow_up,
        },
    }


def _rejection(stage: str, reason: str, task: Task, gen: CachedBackend, sampling: Sampling, text: str) -> dict:
    return {
        "stage": stage,
        "reason": reason,
        "task_id": task.id,
        "task": task.text,
        "generator": gen.name,
        "sampling": dataclasses.asdict(sampling),
        "text": text,
    }


def _rate(counts: Counter) -> float:
    """Acceptance: accepted rows per candidate answer sampled."""
    return counts["accepted"] / counts["candidates"] if counts["candidates"] else 0.0


def _first_line(text: str) -> str:
    lines = [line.strip().strip("\"'") for line in text.splitlines() if line.strip()]
    return lines[0].removeprefix("User:").strip() if lines else ""


class _timed:
    def __init__(self, timings: Counter, name: str) -> None:
        self.timings, self.name = timings, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.timings[self.name] += time.perf_counter() - self.start


def _backend_stats(backends: Backends) -> dict[str, dict[str, Any]]:
    """Per role: answers generated and served from the cache; per model: requests and retries sent."""
    roles = {f"generator[{i}]": g for i, g in enumerate(backends.generators)} | {"judge": backends.judge}
    stats: dict[str, dict[str, Any]] = {
        role: {"model": b.name, "calls": b.calls, "cache_hits": b.cache_hits} for role, b in roles.items()
    }
    for b in {id(b.backend): b.backend for b in roles.values()}.values():  # a local model in two roles counts once
        stats[f"model {b.name} ({b.identity['kind']})"] = dataclasses.asdict(b.stats)
    return stats


def _save_progress(
    record: RunRecord,
    cfg: SynthConfig,
    counts: Counter,
    timings: Counter,
    backends: Backends | None,
    rows: list[dict],
    started: float,
) -> None:
    seconds = time.perf_counter() - started
    record.update(
        "synth",
        {
            "rows": len(rows),
            "target_rows": cfg.target_rows,
            "acceptance_rate": round(_rate(counts), 4),  # accepted rows / candidates sampled
            "task_keep_rate": round(counts["tasks_kept"] / counts["tasks_parsed"], 4) if counts["tasks_parsed"] else 0.0,
            "counts": dict(sorted(counts.items())),
            "wall_seconds": round(seconds, 1),
            "rows_per_second": round(len(rows) / seconds, 4) if seconds else 0.0,
            "backends": {} if backends is None else _backend_stats(backends),
        },
    )
    record.update("timings", {k: round(v, 3) for k, v in timings.items()})
    record.save()
