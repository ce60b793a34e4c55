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

Every backend answer is cached by content (generation.cache.CachedBackend), and every random draw comes from one
seeded generator whose inputs are those answers, so a rerun replays the same rounds from the cache: an
interrupted job resumes where it stopped, and an identical rerun makes no backend call at all.
The rows accepted so far are kept in ``<output>.partial`` until the job completes.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from sft_ablate.cache import content_key
from sft_ablate.data.formats import Messages
from sft_ablate.errors import SftAblateError
from sft_ablate.generation.backends import Backend, CachedBackend, make_backend, to_sampling
from sft_ablate.generation.local import Sampling
from sft_ablate.generation.schema import BackendConfig
from sft_ablate.io import write_jsonl_atomic
from sft_ablate.record.results import RunRecord, environment
from sft_ablate.synth.rubric import Verdict, VerdictProblem, parse_verdict, rubric_messages
from sft_ablate.synth.schema import SynthAppConfig, SynthConfig
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

Row = dict[str, Any]  # one line of the output: {"id", "messages", "provenance"}
Record = dict[str, Any]  # one JSON record: a rejection (rejected.jsonl), a follow-up's verdict
Request = tuple[CachedBackend, Sampling, Messages]  # who answers, how, and what


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
    follow_up: Record | None = None  # the second turn's verdict, when multi-turn extension added one


@dataclass
class Backends:
    generators: list[CachedBackend]  # the first one also writes the instructions
    judge: CachedBackend


@dataclass
class Sources:
    """What the instruction prompts draw from, and the novelty filter every new instruction must pass."""

    seeds: list[Task]
    weak: list[Task]  # held-out prompts a trained model answered worst (synth.weakness), or none
    novelty: NoveltyFilter  # holds every instruction kept so far: seeds and weak prompts (never near-copy one) too
    machine: list[Task] = field(default_factory=list)  # the machine-made tasks kept so far


@dataclass
class Tally:
    """What became of every instruction and answer: a count per outcome, and a record of each rejection."""

    counts: Counter[str] = field(default_factory=Counter)
    rejected: list[Record] = field(default_factory=list)

    def reject(self, count: str, record: Record) -> None:
        self.counts[count] += 1
        self.rejected.append(record)


@dataclass
class Progress:
    """What the job has done so far: saved with its record after each round, and whatever happens."""

    rows: list[Row] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    timings: Counter[str] = field(default_factory=Counter)  # seconds per stage
    backends: Backends | None = None  # once opened
    started: float = field(default_factory=time.perf_counter)


def synthesize(config: SynthAppConfig, run_dir: Path) -> dict[str, Any]:
    """Run every round; write the ChatML rows and run_dir/results.json. Returns the results."""
    cfg = config.synth
    output = Path(cfg.output).expanduser() if cfg.output else run_dir / "synthetic.jsonl"
    partial = output.with_name(output.name + ".partial")
    record = _open_record(config, run_dir, output)
    progress = Progress()

    def save_progress() -> None:  # whatever happens, the rejections and counts so far are saved with the record
        write_jsonl_atomic(run_dir / "rejected.jsonl", progress.tally.rejected)
        _save_progress(record, cfg, progress)

    def checkpoint() -> None:  # after each round: the rows so far too
        write_jsonl_atomic(partial, progress.rows)
        save_progress()

    bar = tqdm(total=cfg.target_rows, unit="row", desc=f"synth {cfg.name}", dynamic_ncols=True)
    try:
        with record.running(before_finish=save_progress):
            sources = load_sources(cfg)
            with _timed(progress.timings, "load"):
                progress.backends = open_backends(config, sources.seeds)
            run_rounds(cfg, progress.backends, sources, progress, bar, checkpoint)
            drop_over_target(cfg, progress)
            write_jsonl_atomic(output, progress.rows)
            partial.unlink(missing_ok=True)
        if len(progress.rows) < cfg.target_rows:  # the job ran to its end: it is short, not failed, and says why
            message = shortfall_message(cfg, progress.tally.counts, len(progress.rows), run_dir)
            save_progress()
            record.finish("incomplete", message)
            raise SynthIncomplete(message)
    finally:
        bar.close()
        if record.status not in ("complete", "incomplete"):
            log.info(
                "stopped with %d rows (in %s); every answer so far is cached: rerun the same command to resume",
                len(progress.rows),
                partial,
            )
    seconds, rate = time.perf_counter() - progress.started, 100 * _rate(progress.tally.counts)
    log.info(
        "synth %s: %d rows in %s (%.0f s, acceptance %.1f%% of candidates)",
        record.status,
        len(progress.rows),
        output,
        seconds,
        rate,
    )
    return record.results


def _open_record(config: SynthAppConfig, run_dir: Path, output: Path) -> RunRecord:
    run_config = dataclasses.asdict(config)
    return RunRecord(
        run_dir,
        config_hash=content_key({k: v for k, v in run_config.items() if k != "paths"}),
        config=run_config,
        output=str(output),
        environment=environment(),
    )


def load_sources(cfg: SynthConfig) -> Sources:
    seeds = load_seed_tasks(Path(cfg.seed_file).expanduser())
    weak = weak_prompts(cfg.weakness) if cfg.weakness.run_dir else []
    return Sources(seeds, weak, NoveltyFilter(cfg.filter.max_rouge, [t.text for t in seeds + weak]))


def open_backends(config: SynthAppConfig, seeds: list[Task]) -> Backends:
    """Every role's backend, its answers cached; a local model that plays two roles is loaded once."""
    cfg, cache_dir = config.synth, Path(config.paths.cache_dir).expanduser()
    if cfg.threads:
        import torch

        torch.set_num_threads(cfg.threads)
    loaded: dict[str, Backend] = {}
    tiny_texts = [t.text for t in seeds]  # the tiny model's tokenizer is trained on them

    def cached(spec: BackendConfig) -> CachedBackend:
        return CachedBackend(make_backend(spec, cache_dir, tiny_texts, loaded), cache_dir)

    return Backends([cached(g) for g in cfg.generators], cached(cfg.judge))


def run_rounds(
    cfg: SynthConfig, backends: Backends, sources: Sources, progress: Progress, bar: tqdm, checkpoint: Callable[[], None]
) -> None:
    """Rounds until target_rows rows are accepted or max_rounds have run; a checkpoint after each."""
    rng = random.Random(cfg.seed)  # its draws replay from the cached answers: a rerun makes the same rounds
    tally, timings = progress.tally, progress.timings
    for round_no in range(cfg.max_rounds):
        if len(progress.rows) >= cfg.target_rows:
            break
        stage = f"round {round_no + 1}/{cfg.max_rounds}:"
        bar.set_postfix_str(f"{stage} writing instructions")  # a round takes minutes on CPU: say where it is
        with _timed(timings, "instructions"):
            tasks = new_tasks(cfg, round_no, backends, rng, sources, tally)
            sources.machine += tasks
        bar.set_postfix_str(f"{stage} answering {len(tasks)} instructions")
        with _timed(timings, "candidates"):
            candidates = sample_candidates(cfg, tasks, backends, tally)
        bar.set_postfix_str(f"{stage} judging {len(candidates)} answers")
        with _timed(timings, "judge"):
            judge_candidates(cfg, candidates, backends, tally)
        accepted = select(cfg, candidates, tally)
        if cfg.multi_turn.fraction > 0:
            with _timed(timings, "multi_turn"):
                extend_multi_turn(cfg, accepted, backends, rng, tally)
        new_rows = [to_row(cfg, c, backends) for c in accepted]
        progress.rows += new_rows
        checkpoint()
        bar.update(min(len(new_rows), cfg.target_rows - bar.n))
        bar.set_postfix_str(f"{stage} {tally.counts['tasks_kept']} tasks kept, {_rate(tally.counts):.0%} of answers accepted")


def drop_over_target(cfg: SynthConfig, progress: Progress) -> None:
    """Rows past the target are not kept, but they are accounted for: accepted == rows + over_target."""
    for row in progress.rows[cfg.target_rows :]:
        progress.tally.reject("over_target", {"stage": "row", "reason": "over_target", "row": row})
    del progress.rows[cfg.target_rows :]


# ---- the stages ---------------------------------------------------------------------------------------------


def new_tasks(
    cfg: SynthConfig, round_no: int, backends: Backends, rng: random.Random, sources: Sources, tally: Tally
) -> list[Task]:
    """One round of instruction generation by the first generator, filtered."""
    prompts: list[Messages] = []
    shown: list[list[str]] = []  # the ids of the tasks each prompt showed
    leads: list[Task | None] = []  # the weak prompt each was built around, if any
    for _ in range(cfg.prompts_per_round):
        lead = rng.choice(sources.weak) if sources.weak and rng.random() < cfg.weakness.fraction else None
        examples = draw_examples(rng, sources.seeds, sources.machine, cfg.few_shot_seed, cfg.few_shot_machine)
        prompts.append(instruction_prompt(examples, cfg.tasks_per_prompt, lead))
        shown.append([t.id for t in ([lead] if lead else []) + examples])
        leads.append(lead)
    sampling = dataclasses.replace(to_sampling(cfg.instruction_sampling), seed=cfg.instruction_sampling.seed + round_no)
    texts = backends.generators[0].generate(prompts, sampling)
    tally.counts["instruction_prompts"] += len(prompts)
    kept = []
    for p, (text, seed_ids, lead) in enumerate(zip(texts, shown, leads)):
        for t, task_text in enumerate(parse_tasks(text)[: cfg.tasks_per_prompt]):
            tally.counts["tasks_parsed"] += 1
            reason, rouge = drop_reason(task_text, cfg.filter), None
            if reason is None:
                novel, rouge = sources.novelty.add_if_novel(task_text)
                reason = None if novel else "not_novel"
            if reason:
                record = {"stage": "instruction", "reason": reason, "text": task_text, "round": round_no, "max_rouge_l": rouge}
                tally.reject(f"task_dropped_{reason}", record)
                continue
            stage = "weakness" if lead else "self_instruct"
            kept.append(Task(id=f"r{round_no}-p{p}-t{t}", text=task_text, stage=stage, seed_ids=seed_ids))
    tally.counts["tasks_kept"] += len(kept)
    return kept


def sample_candidates(cfg: SynthConfig, tasks: list[Task], backends: Backends, tally: Tally) -> list[Candidate]:
    """Every generator x sampling setting answers every task; empty answers are rejected here."""
    requests = [
        (gen, to_sampling(s), [{"role": "user", "content": task.text}], task)
        for task in tasks
        for gen in backends.generators
        for s in cfg.samplings
    ]
    answers = generate_grouped([(gen, sampling, conv) for gen, sampling, conv, _ in requests])
    cut_off = length_limited([(gen, sampling, conv) for gen, sampling, conv, _ in requests], answers)
    candidates = []
    for (gen, sampling, conv, task), answer, truncated in zip(requests, answers, cut_off):
        tally.counts["candidates"] += 1
        if not answer.strip():
            tally.reject("candidate_rejected_empty_answer", _rejection("candidate", "empty_answer", task, gen, sampling, ""))
            continue
        if truncated and cfg.trim_to_sentence:  # cut at its last full sentence, it is an answer the judge can weigh
            trimmed = last_full_sentence(answer)
            if trimmed:
                tally.counts["candidate_trimmed_to_sentence"] += 1
                answer, truncated = trimmed, False
        if truncated:  # it ran out of max_new_tokens mid-answer: a row that teaches answers to stop mid-sentence
            tally.reject("candidate_rejected_truncated", _rejection("candidate", "truncated", task, gen, sampling, answer))
            continue
        candidates.append(Candidate(task, gen, sampling, conv + [{"role": "assistant", "content": answer}]))
    return candidates


def judge_candidates(cfg: SynthConfig, candidates: list[Candidate], backends: Backends, tally: Tally) -> None:
    """Score each candidate; a verdict that does not parse is a rejection (counted by its code), never a crash."""
    verdicts = backends.judge.generate([rubric_messages(c.messages) for c in candidates], to_sampling(cfg.judge_sampling))
    for c, text in zip(candidates, verdicts):
        tally.counts["judged"] += 1
        c.judge_output = text
        try:
            c.verdict = parse_verdict(text)
        except VerdictProblem as problem:
            record = _rejection("candidate", problem.code, c.task, c.generator, c.sampling, c.messages[-1]["content"])
            tally.reject(f"candidate_rejected_{problem.code}", {**record, "judge_output": text, "detail": problem.detail})


def select(cfg: SynthConfig, candidates: list[Candidate], tally: Tally) -> list[Candidate]:
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
                record = _rejection("candidate", reason, c.task, c.generator, c.sampling, c.messages[-1]["content"])
                verdict = {"score": c.verdict.score, "scores": c.verdict.scores(), "judge_reason": c.verdict.reason}
                tally.reject(f"candidate_rejected_{reason}", {**record, **verdict, "judge_output": c.judge_output})
            else:
                accepted.append(c)
    tally.counts["accepted"] += len(accepted)
    return accepted


def extend_multi_turn(cfg: SynthConfig, accepted: list[Candidate], backends: Backends, rng: random.Random, tally: Tally) -> None:
    """Add a follow-up question and a judged second answer to a share of the accepted rows (in place)."""
    chosen = [c for c in accepted if rng.random() < cfg.multi_turn.fraction]
    if not chosen:
        return
    question_sampling = to_sampling(cfg.instruction_sampling)
    extendable = ask_follow_ups(cfg, chosen, question_sampling, tally)
    answers = generate_grouped([(c.generator, c.sampling, conv) for c, conv in extendable])
    answered = [(c, conv + [{"role": "assistant", "content": a}]) for (c, conv), a in zip(extendable, answers) if a.strip()]
    tally.counts["follow_up_rejected_empty_answer"] += len(extendable) - len(answered)
    verdicts = backends.judge.generate([rubric_messages(conv) for _, conv in answered], to_sampling(cfg.judge_sampling))
    for (c, conv), text in zip(answered, verdicts):
        try:
            verdict = parse_verdict(text)
            reason = None if verdict.score >= cfg.min_score else "below_min_score"
        except VerdictProblem as problem:
            reason = problem.code
        if reason:
            record = _rejection("follow_up", reason, c.task, c.generator, c.sampling, conv[-1]["content"])
            tally.reject(f"follow_up_rejected_{reason}", {**record, "judge_output": text})
            continue
        tally.counts["follow_ups_accepted"] += 1
        c.messages = conv
        c.follow_up = {
            "question_sampling": dataclasses.asdict(question_sampling),
            "score": verdict.score,
            "scores": verdict.scores(),
            "reason": verdict.reason,
        }


def ask_follow_ups(
    cfg: SynthConfig, chosen: list[Candidate], sampling: Sampling, tally: Tally
) -> list[tuple[Candidate, Messages]]:
    """Each candidate's generator writes the user's next question; those that pass the instruction filters are
    returned with the conversation they extend."""
    asks = [FOLLOW_UP_PROMPT.format(question=c.messages[-2]["content"], answer=c.messages[-1]["content"]) for c in chosen]
    questions = generate_grouped([(c.generator, sampling, [{"role": "user", "content": a}]) for c, a in zip(chosen, asks)])
    extendable = []
    for c, question in zip(chosen, questions):
        question = _first_line(question)
        tally.counts["follow_ups"] += 1
        reason = drop_reason(question, cfg.filter) if question else "empty_question"
        if reason:
            tally.reject(
                f"follow_up_rejected_{reason}", _rejection("follow_up", reason, c.task, c.generator, c.sampling, question)
            )
        else:
            extendable.append((c, c.messages + [{"role": "user", "content": question}]))
    return extendable


# A sentence ends with . ! or ? (a closing quote or bracket may follow) before whitespace; a line break ends one too.
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s)|\n")
MIN_TRIMMED_WORDS = 4


def last_full_sentence(answer: str) -> str | None:
    """A cut-off answer up to the end of its last full sentence, or None when that leaves under MIN_TRIMMED_WORDS
    words (a few words are not an answer) or the cut falls in a code block (a half program is not one either)."""
    ends = [m.end() for m in _SENTENCE_END.finditer(answer + " ")]
    if not ends:
        return None
    trimmed = answer[: ends[-1]].rstrip()
    if len(trimmed.split()) < MIN_TRIMMED_WORDS or trimmed.count("```") % 2:
        return None
    return trimmed


def length_limited(requests: list[Request], answers: list[str]) -> list[bool]:
    """Per answer, whether it was cut off by its sampling's max_new_tokens (unknown counts as not)."""
    groups: dict[tuple[int, Sampling], list[int]] = defaultdict(list)
    for i, (backend, sampling, _) in enumerate(requests):
        groups[(id(backend), sampling)].append(i)
    out = [False] * len(answers)
    for index in groups.values():
        backend, sampling, _ = requests[index[0]]
        conversations, texts = [requests[i][2] for i in index], [answers[i] for i in index]
        for i, hit in zip(index, backend.hit_length_limit(conversations, texts, sampling)):
            out[i] = bool(hit)
    return out


def shortfall_message(cfg: SynthConfig, counts: Counter[str], rows: int, run_dir: Path) -> str:
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


def generate_grouped(requests: list[Request]) -> list[str]:
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


def to_row(cfg: SynthConfig, c: Candidate, backends: Backends) -> Row:
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


def _rejection(stage: str, reason: str, task: Task, gen: CachedBackend, sampling: Sampling, text: str) -> Record:
    return {
        "stage": stage,
        "reason": reason,
        "task_id": task.id,
        "task": task.text,
        "generator": gen.name,
        "sampling": dataclasses.asdict(sampling),
        "text": text,
    }


def _rate(counts: Counter[str]) -> float:
    """Acceptance: accepted rows per candidate answer sampled."""
    return counts["accepted"] / counts["candidates"] if counts["candidates"] else 0.0


def _first_line(text: str) -> str:
    lines = [line.strip().strip("\"'") for line in text.splitlines() if line.strip()]
    return lines[0].removeprefix("User:").strip() if lines else ""


class _timed:
    def __init__(self, timings: Counter[str], name: str) -> None:
        self.timings, self.name = timings, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.timings[self.name] += time.perf_counter() - self.start


def _backend_stats(backends: Backends) -> dict[str, dict[str, str | int]]:
    """Per role: answers generated and served from the cache; per model: requests and retries sent."""
    roles = {f"generator[{i}]": g for i, g in enumerate(backends.generators)} | {"judge": backends.judge}
    stats: dict[str, dict[str, str | int]] = {
        role: {"model": b.name, "calls": b.calls, "cache_hits": b.cache_hits} for role, b in roles.items()
    }
    for b in {id(b.backend): b.backend for b in roles.values()}.values():  # a local model in two roles counts once
        stats[f"model {b.name} ({b.identity['kind']})"] = dataclasses.asdict(b.stats)
    return stats


def _save_progress(record: RunRecord, cfg: SynthConfig, progress: Progress) -> None:
    counts, rows, seconds = progress.tally.counts, progress.rows, time.perf_counter() - progress.started
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
            "backends": {} if progress.backends is None else _backend_stats(progress.backends),
        },
    )
    record.update("timings", {k: round(v, 3) for k, v in progress.timings.items()})
    record.save()
