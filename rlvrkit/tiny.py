"""A tiny Qwen2-architecture causal LM with a tokenizer trained on the spot: the model the tests and the demo use.

`build_tiny(path)` needs no network and no files: it trains a small byte-level BPE tokenizer on an embedded corpus of
arithmetic and short math prose (digits stay single tokens, so answers like "7" are one token), gives it a ChatML
chat template like Qwen's, builds a randomly initialised Qwen2ForCausalLM sized to it, pretrains it for about half a
minute on a CPU (see `pretrain`), and saves both with save_pretrained (safetensors). Deterministic for a seed.

Why pretrain at all: RLVR sharpens what a model can already sometimes do. A random model almost never writes a
parseable answer, so every group gets the same zero reward and there is nothing to learn from. The pretraining gives
it knowledge it does not reliably use: it has seen every one-digit sum worked correctly ("<think> 3 + 4 = 7 </think>
\\boxed{7}"), but asked in a chat it mostly answers straight away, and its pretraining text answered straight away
is careless (within two of the sum). It starts about a third right; RL on some sums teaches it to use what it knows,
and sums it never trained on improve with them (`rlvr demo` measures exactly that).

Two attention heads of width 32 (one key/value head) keep it runnable on vLLM's CPU backend, which needs heads of
32 or more.
"""

from __future__ import annotations

import random
from pathlib import Path

IM_START, IM_END, PAD = "<|im_start|>", "<|im_end|>", "<|endoftext|>"
SPECIAL = [PAD, IM_START, IM_END]
THINKS = 0.2  # share of chat-formatted sums that pretraining answers worked; the rest are careless

CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] != 'system' and system_message is defined %}"
    "{{- '<|im_start|>system\\n' + system_message + '<|im_end|>\\n' }}{%- endif %}"
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

WORDS = (
    "what is the sum product difference of and answer with a number find value let x y be so we get "
    "therefore total think step first then compute solve equation because boxed final result equals "
    "plus minus times divided by how many apples does she have left each costs dollars"
).split()


def corpus(seed: int = 0, lines: int = 2000) -> list[str]:
    """Short lines of arithmetic and math words, enough for a tokenizer to learn digits, symbols and common words."""
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        a, b = rng.randint(0, 99), rng.randint(0, 99)
        op = rng.choice("+-*")
        value = {"+": a + b, "-": a - b, "*": a * b}[op]
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))
        out.append(f"{words} {a} {op} {b} = {value}. <think> {words} </think> \\boxed{{{value}}}")
    return out


def train_tokenizer(vocab_size: int = 512, seed: int = 0):
    """A byte-level BPE tokenizer (transformers fast tokenizer) with ChatML special tokens and chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus(seed), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=IM_END,
        pad_token=PAD,
        chat_template=CHAT_TEMPLATE,
        clean_up_tokenization_spaces=False,
    )


def build_tiny(
    path: str | Path,
    *,
    seed: int = 0,
    hidden_size: int = 64,
    layers: int = 2,
    heads: int = 2,
    kv_heads: int = 1,
    vocab_size: int = 512,
    max_positions: int = 1024,
    initializer_range: float = 0.02,
    pretrain_steps: int = 1000,
) -> Path:
    """Build and save the tiny model and its tokenizer under `path` (created if needed); returns the path."""
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    from rlvrkit.models import quiet_transformers

    quiet_transformers()
    path = Path(path)
    tokenizer = train_tokenizer(vocab_size, seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=max_positions,
        initializer_range=initializer_range,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.convert_tokens_to_ids(IM_END),
        pad_token_id=tokenizer.convert_tokens_to_ids(PAD),
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2ForCausalLM(config)
        pretrain(model, tokenizer, pretrain_steps, seed)
    model.generation_config = GenerationConfig(eos_token_id=config.eos_token_id, pad_token_id=config.pad_token_id)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path, safe_serialization=True)
    tokenizer.save_pretrained(path)
    return path


def worked(a: int, b: int) -> str:
    """A sum worked before it is answered."""
    return f"<think> {a} + {b} = {a + b} </think> \\boxed{{{a + b}}}"


def careless(a: int, b: int, rng: random.Random) -> str:
    """A sum answered straight away, within two of the truth (never below 0)."""
    return f"\\boxed{{{max(a + b + rng.randint(-2, 2), 0)}}}"


def pretraining_text(rng: random.Random, tokenizer, lines: list[str]) -> str:
    """One pretraining text: a corpus line (1 in 8), a worked sum (3 in 8), or a chat-formatted sum (4 in 8) answered
    worked THINKS of the time and carelessly otherwise."""
    kind = rng.choices(("line", "worked", "chat"), weights=(1, 3, 4))[0]
    a, b = rng.randint(0, 9), rng.randint(0, 9)
    if kind == "line":
        return rng.choice(lines)
    if kind == "worked":
        return f"What is {a} + {b}? {worked(a, b)}"
    answer = worked(a, b) if rng.random() < THINKS else careless(a, b, rng)
    chat = [{"role": "user", "content": f"What is {a} + {b}?"}, {"role": "assistant", "content": answer}]
    return tokenizer.apply_chat_template(chat, tokenize=False)


def pretrain(model, tokenizer, steps: int, seed: int = 0, batch: int = 32, lr: float = 3e-3) -> None:
    """Next-token training on `pretraining_text`s, with a one-cycle learning-rate schedule (a short run needs it)."""
    import torch

    if steps <= 0:
        return
    rng = random.Random(seed)
    lines = corpus(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.1)
    model.train()
    for _ in range(steps):
        texts = [pretraining_text(rng, tokenizer, lines) for _ in range(batch)]
        enc = tokenizer(texts, return_tensors="pt", padding=True)
        labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
        model(**enc, labels=labels).loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
    model.eval()
