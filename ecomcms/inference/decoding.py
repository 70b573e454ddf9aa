"""Greedy batched decoding that drops finished rows (the backend's fast path).

``transformers``' ``generate`` keeps every row of a batch in every step until the last row
stops, and rebuilds each row's n-gram table from the whole sequence at every step. This loop
computes exactly what ``generate`` computes for greedy decoding with a repetition penalty, a
no-repeat n-gram size and optional extra logits processors, on the same left-padded batch,
but:

- a row that produced a stop token leaves the batch (its KV cache rows too), so the steps
  after it cost what the rows still running cost;
- the repetition penalty works on a per-row "seen" mask and the n-gram bans on per-row tables
  grown by one n-gram a step.

The token choices are the same as ``generate``'s (same processors, same order, float32
logits, argmax); the matrix products run on fewer rows once rows have left, which can move the
last bits of a float and, rarely, a near tie (tests/ecomcms/test_inference_decoding.py).
"""

from __future__ import annotations

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer


def _ngram_table(tokens: list[int], size: int) -> dict[tuple[int, ...], list[int]]:
    table: dict[tuple[int, ...], list[int]] = {}
    for start in range(len(tokens) - size + 1):
        table.setdefault(tuple(tokens[start:start + size - 1]), []).append(tokens[start + size - 1])
    return table


class PreallocatedLayer(DynamicLayer):
    """A layer of the KV cache written into buffers sized once for the prompt and every new token.

    ``DynamicLayer`` concatenates a new tensor at every step (the old one freed), and the heap kept
    the holes: about half again the cache's size in a batch of 32 (docs/performance.md). Here
    ``keys``/``values`` are views of the first ``length`` positions of the buffers; rows that leave
    the batch are dropped by one copy of the buffers.
    """

    def __init__(self, capacity: int):
        super().__init__()
        self.capacity = capacity
        self.length = 0

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        self.device = key_states.device
        rows, heads, _, size = key_states.shape
        self._keys = key_states.new_empty((rows, heads, self.capacity, size))
        self._values = value_states.new_empty((rows, heads, self.capacity, value_states.shape[-1]))
        self.is_initialized = True

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        end = self.length + key_states.shape[-2]
        if end > self.capacity:
            raise ValueError(f"the KV cache holds {self.capacity} positions; {end} asked")
        self._keys[:, :, self.length:end] = key_states
        self._values[:, :, self.length:end] = value_states
        self.length = end
        self.keys, self.values = self._keys[:, :, :end], self._values[:, :, :end]
        return self.keys, self.values

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        if self.length:  # only the positions written are copied: the rest of the new buffers stays untouched
            self._keys, self._values = (self._kept(buffer, indices) for buffer in (self._keys, self._values))
            self.keys, self.values = self._keys[:, :, :self.length], self._values[:, :, :self.length]

    def _kept(self, buffer: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
        kept = buffer.new_empty((len(indices), *buffer.shape[1:]))
        kept[:, :, :self.length] = buffer[indices, :, :self.length]
        return kept


def preallocated_cache(model, capacity: int) -> DynamicCache:
    """A ``DynamicCache`` whose full-attention layers are ``PreallocatedLayer`` of ``capacity`` positions."""
    cache = DynamicCache(config=model.config)
    cache.layers = [PreallocatedLayer(capacity) if type(layer) is DynamicLayer else layer for layer in cache.layers]
    return cache


def greedy_decode(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, *, max_new_tokens: int,
                  repetition_penalty: float = 1.0, no_repeat_ngram_size: int = 0, stop_ids=(),
                  logits_processor=None, prefill_tokens: int = 0, preallocate: bool = False) -> list[list[int]]:
    """The new tokens of each row of a left-padded batch, each list ending at its stop token
    (included) or after ``max_new_tokens``.

    ``logits_processor`` is called like a ``transformers`` one, ``(input_ids, scores)`` on the
    rows still running; when rows leave, its ``keep_rows(indices)`` is called first.

    Memory (docs/performance.md, "Memory per generation process"): ``prefill_tokens`` runs the prompt
    through the model about that many tokens at a time (all rows together; 0: the whole prompt in one
    pass), so a batch's prompt activations are never all alive at once; ``preallocate`` writes the KV
    cache into buffers sized once (``PreallocatedLayer``) instead of concatenating at every step.
    """
    device = input_ids.device
    rows, width = input_ids.shape
    stop = torch.tensor(sorted(set(stop_ids)) or [-1], device=device)
    sequences = input_ids.clone()  # what the processors see: the padded prompt and the tokens so far
    mask = attention_mask.clone()
    position_ids = (mask.long().cumsum(-1) - 1).masked_fill(mask == 0, 0)
    alive = list(range(rows))  # original row of each running row
    out: list[list[int]] = [[] for _ in range(rows)]
    seen = None
    if repetition_penalty != 1.0:
        vocab = model.config.vocab_size
        seen = torch.zeros((rows, vocab + 1), dtype=torch.bool, device=device)
        padding = (mask != 0).int().argmax(dim=1)
        prompt = input_ids.masked_fill(torch.arange(width, device=device)[None, :] < padding[:, None], vocab)
        seen.scatter_(1, prompt, True)
        seen = seen[:, :vocab]
    tables = None
    if no_repeat_ngram_size > 0:
        tables = [_ngram_table(row, no_repeat_ngram_size) for row in input_ids.tolist()]
        histories = input_ids.tolist()
    cache = preallocated_cache(model, width + max_new_tokens) if preallocate else DynamicCache(config=model.config)
    step_input, step_positions = input_ids, position_ids
    chunk = max(1, prefill_tokens // rows) if prefill_tokens else width
    for start in range(0, width - chunk, chunk):  # the prompt but its last chunk, into the cache (no logits kept)
        model(input_ids=input_ids[:, start:start + chunk], attention_mask=mask[:, :start + chunk],
              position_ids=position_ids[:, start:start + chunk], cache=cache, use_cache=True, logits_to_keep=1)
        step_input, step_positions = input_ids[:, start + chunk:], position_ids[:, start + chunk:]
    for step in range(max_new_tokens):
        output = model(input_ids=step_input, attention_mask=mask, position_ids=step_positions, cache=cache,
                       use_cache=True, logits_to_keep=1)
        cache = output.cache if getattr(output, "cache", None) is not None else cache
        scores = output.logits[:, -1, :].to(dtype=torch.float32, copy=True)
        if seen is not None:
            penalized = torch.where(scores < 0, scores * repetition_penalty, scores / repetition_penalty)
            scores = torch.where(seen, penalized, scores)
        if tables is not None and sequences.shape[1] + 1 >= no_repeat_ngram_size:
            n = no_repeat_ngram_size
            for r, original in enumerate(alive):
                history = histories[original]
                banned = tables[original].get(tuple(history[len(history) - n + 1:]), ())
                if banned:
                    scores[r, list(banned)] = -float("inf")
        if logits_processor is not None:
            scores = logits_processor(sequences, scores)
        chosen = scores.argmax(dim=-1)
        finished = torch.isin(chosen, stop)
        for r, token in enumerate(chosen.tolist()):
            original = alive[r]
            out[original].append(token)
            if tables is not None:
                history = histories[original]
                history.append(token)
                if len(history) >= no_repeat_ngram_size:
                    key = tuple(history[len(history) - no_repeat_ngram_size:-1])
                    tables[original].setdefault(key, []).append(token)
        if seen is not None:
            seen[torch.arange(len(alive), device=device), chosen] = True
        sequences = torch.cat([sequences, chosen[:, None]], dim=1)
        mask = torch.cat([mask, mask.new_ones((len(alive), 1))], dim=1)
        step_positions = step_positions[:, -1:] + 1
        step_input = chosen[:, None]
        if step == max_new_tokens - 1:
            break
        if bool(finished.any()):
            if bool(finished.all()):
                break
            keep = (~finished).nonzero().flatten()
            cache.batch_select_indices(keep)
            sequences, mask, step_positions, step_input = (
                sequences[keep], mask[keep], step_positions[keep], step_input[keep]
            )
            if seen is not None:
                seen = seen[keep]
            kept = keep.tolist()
            alive = [alive[i] for i in kept]
            if logits_processor is not None:
                logits_processor.keep_rows(kept)
    return out
