"""Row formats: alpaca, ShareGPT, OpenAI/ChatML messages, prompt/completion and self-instruct tasks, all normalized to ChatML.

Every function here works on one parsed row (a dict) and either returns ChatML messages or raises
``RowProblem`` with a short description. The caller adds the file and line.
"""

from __future__ import annotations

import re
from typing import Any

from sft_ablate.io import RowProblem  # noqa: F401  (re-exported: the format converters raise it)

Messages = list[dict[str, str]]

ROLES = ("system", "user", "assistant")
SHAREGPT_ROLES = {
    "system": "system",
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bing": "assistant",
    "bard": "assistant",
    "model": "assistant",
}


def detect_format(row: dict[str, Any]) -> str:
    if "messages" in row:
        return "messages"
    if "conversations" in row:
        return "sharegpt"
    if "instruction" in row and "instances" in row:
        return "self_instruct"
    if "instruction" in row:
        return "alpaca"
    if "prompt" in row and "completion" in row:
        return "prompt_completion"
    keys = ", ".join(sorted(row)) or "none"
    raise RowProblem(
        "unknown row format: expected a `messages`, `conversations` (ShareGPT), `instruction` (alpaca) "
        f"or `prompt`+`completion` field; found fields: {keys}"
    )


def to_messages(row: dict[str, Any], fmt: str = "auto") -> Messages:
    """Normalize one row to validated ChatML messages."""
    if not isinstance(row, dict):
        raise RowProblem(f"a row must be a JSON object, got {type(row).__name__}")
    if fmt == "auto":
        fmt = detect_format(row)
    convert = {
        "messages": _from_messages,
        "sharegpt": _from_sharegpt,
        "alpaca": _from_alpaca,
        "prompt_completion": _from_prompt_completion,
        "self_instruct": _from_self_instruct,
    }[fmt]
    messages = convert(row)
    validate_messages(messages)
    return messages


def validate_messages(messages: Messages) -> None:
    """Roles known, system only first, user/assistant alternating, ends with a non-empty assistant turn."""
    if not messages:
        raise RowProblem("no messages")
    expected = "user"
    for i, message in enumerate(messages, start=1):
        role, content = message["role"], message["content"]
        if role not in ROLES:
            raise RowProblem(f"message {i}: unknown role {role!r} (allowed: system, user, assistant)")
        if not isinstance(content, str):
            raise RowProblem(f"message {i} ({role}): content must be a string, got {type(content).__name__}")
        if not content.strip():
            raise RowProblem(f"message {i} ({role}): empty content")
        if role == "system":
            if i != 1:
                raise RowProblem(f"message {i}: a system message is only allowed first")
            continue
        if role != expected:
            previous = messages[i - 2]["role"] if i > 1 else "start"
            raise RowProblem(f"message {i}: roles must alternate user/assistant, got {role!r} after {previous!r}")
        expected = "assistant" if role == "user" else "user"
    if messages[-1]["role"] != "assistant":
        raise RowProblem(f"the last message must be from the assistant, got {messages[-1]['role']!r}")


def _message(role: Any, content: Any, where: str) -> dict[str, str]:
    if not isinstance(role, str):
        raise RowProblem(f"{where}: role must be a string")
    if content is None:
        raise RowProblem(f"{where} ({role}): missing content")
    return {"role": role, "content": content}


def _from_messages(row: dict[str, Any]) -> Messages:
    messages = row["messages"]
    if not isinstance(messages, list):
        raise RowProblem("`messages` must be a list")
    out = []
    for i, m in enumerate(messages, start=1):
        if not isinstance(m, dict) or "role" not in m:
            raise RowProblem(f"message {i}: must be an object with `role` and `content`")
        out.append(_message(m["role"], m.get("content"), f"message {i}"))
    return out


def _from_sharegpt(row: dict[str, Any]) -> Messages:
    turns = row["conversations"]
    if not isinstance(turns, list):
        raise RowProblem("`conversations` must be a list")
    out = []
    for i, t in enumerate(turns, start=1):
        if not isinstance(t, dict) or "from" not in t:
            raise RowProblem(f"turn {i}: must be an object with `from` and `value`")
        speaker = str(t["from"]).lower()
        if speaker not in SHAREGPT_ROLES:
            raise RowProblem(f"turn {i}: unknown speaker {t['from']!r} (expected human/gpt/system)")
        out.append(_message(SHAREGPT_ROLES[speaker], t.get("value"), f"turn {i}"))
    if row.get("system"):
        out.insert(0, {"role": "system", "content": row["system"]})
    return out


def _from_alpaca(row: dict[str, Any]) -> Messages:
    instruction, extra, output = row.get("instruction"), row.get("input") or "", row.get("output")
    if not isinstance(instruction, str) or not isinstance(extra, str):
        raise RowProblem("alpaca `instruction` and `input` must be strings")
    if output is None:
        raise RowProblem("alpaca row has no `output`")
    user = f"{instruction}\n\n{extra}" if extra.strip() else instruction
    messages = [{"role": "user", "content": user}, {"role": "assistant", "content": output}]
    if row.get("system"):
        messages.insert(0, {"role": "system", "content": row["system"]})
    return messages


def _from_prompt_completion(row: dict[str, Any]) -> Messages:
    prompt, completion = row["prompt"], row["completion"]
    if isinstance(prompt, str) and isinstance(completion, str):
        return [{"role": "user", "content": prompt}, {"role": "assistant", "content": completion}]
    if isinstance(prompt, list) and isinstance(completion, list):  # TRL's conversational prompt-completion
        return _from_messages({"messages": prompt + completion})
    raise RowProblem("`prompt` and `completion` must both be strings or both be lists of messages")


def _from_self_instruct(row: dict[str, Any]) -> Messages:
    """A self-instruct seed task (instruction + instances of input/output): its first instance as one exchange.

    Further instances are more examples of the same task; one row per task keeps tasks equally weighted.
    """
    instances = row.get("instances")
    if not isinstance(instances, list) or not instances or not isinstance(instances[0], dict):
        raise RowProblem("self-instruct `instances` must be a non-empty list of {input, output} objects")
    first = instances[0]
    return _from_alpaca({"instruction": row["instruction"], "input": first.get("input"), "output": first.get("output")})


# Text views of a row, shared by the quality filters, the diversity measures and the data report.
_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"\w+|[^\w\s]")


def user_text(messages: Messages) -> str:
    """The instruction side of a row: its user turns, in order."""
    return "\n".join(m["content"] for m in messages if m["role"] == "user")


def assistant_text(messages: Messages) -> str:
    """The response side of a row: its assistant turns, in order."""
    return "\n".join(m["content"] for m in messages if m["role"] == "assistant")


def conversation_text(messages: Messages) -> str:
    """Every turn but the system prompt, which is usually shared boilerplate."""
    return "\n".join(m["content"] for m in messages if m["role"] != "system")


def words(text: str) -> list[str]:
    """Lower-cased word tokens, punctuation dropped: the unit of n-gram measures (distinct-n, overlap)."""
    return _WORD.findall(text.lower())


def approx_tokens(text: str) -> int:
    """Words and punctuation marks: a tokenizer-free token count (SmolLM2's BPE gives ~1.15x as many on English)."""
    return len(_TOKEN.findall(text))
