"""lighteval's TransformersModel, reading a multiple-choice question once for all its choices.

lighteval scores each choice as its own sequence, question included: 60 four-choice questions are 240
passes over the question. Here the question is read once and its key/value cache copied for the choices
(generation.local.continuation_scores): the bundled 60 questions took 9.7 s instead of 19.6 s on 2 CPU cores.
Prompts, tokens (lighteval's own `tok_encode_pair`), metrics and results stay lighteval's;
tests/test_lighteval_model.py checks the log-probabilities equal lighteval's own path's. Imported only inside a
benchmark call: importing lighteval's model module switches autograd off (lighteval_compat.keep_grad_mode).
"""

from __future__ import annotations

import torch
from lighteval.models.model_output import ModelResponse
from lighteval.models.transformers.transformers_model import TransformersModel
from lighteval.tasks.requests import Doc
from torch.nn.utils.rnn import pad_sequence
from tqdm.auto import tqdm

from sft_ablate.generation.local import continuation_scores


class SharedContextModel(TransformersModel):
    def _loglikelihood_tokens(self, docs: list[Doc], rolling: bool = False) -> list[ModelResponse]:
        if rolling:  # perplexity over whole texts: nothing is shared
            return super()._loglikelihood_tokens(docs, rolling=True)
        requests, own_path = {}, []
        for i, doc in enumerate(docs):
            contexts, continuations = self.tok_encode_pair(self.prompt_manager.prepare_prompt(doc), doc.choices, pairwise=True)
            if contexts[0] and all(continuations) and len(contexts[0]) + max(map(len, continuations)) <= self.max_length:
                requests[i] = (contexts[0], continuations)
            else:  # lighteval cuts a context's left to fit, or scores an empty text: its own path
                own_path.append(i)
        responses = dict(zip(own_path, super()._loglikelihood_tokens([docs[i] for i in own_path]) if own_path else []))
        with tqdm(total=len(requests), desc="Scoring choices", unit="question", disable=self.disable_tqdm) as bar:
            for chunk in _chunks(list(requests), 64):  # a progress step every 64 questions
                scored = continuation_scores(
                    self.model, [requests[i] for i in chunk], self.tokenizer.pad_token_id, self.batch_size
                )
                for i, scores in zip(chunk, scored):
                    context, continuations = requests[i]
                    responses[i] = ModelResponse(
                        argmax_logits_eq_gold=[s.greedy for s in scores],
                        logprobs=[s.logprob for s in scores],
                        input_tokens=torch.tensor(context),
                        output_tokens=pad_sequence([torch.tensor(c) for c in continuations], batch_first=True, padding_value=-1),
                    )
                bar.update(len(chunk))
        return [responses[i] for i in range(len(docs))]


def _chunks(items: list, size: int) -> list[list]:
    return [items[start : start + size] for start in range(0, len(items), size)]
