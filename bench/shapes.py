"""Model shapes the benchmarks build with random weights (and the tiny model's tokenizer).

`small` is a CPU-sized Qwen2; `qwen0.5b` and `qwen1.5b` copy the published config.json of Qwen2.5-0.5B and -1.5B,
for GPU runs. Only the shape matters for speed and memory, so the weights are random.
"""

SHAPES = {
    "small": dict(hidden_size=256, intermediate_size=688, num_hidden_layers=4, num_attention_heads=4,
                  num_key_value_heads=2, vocab_size=512, tie_word_embeddings=True),
    "qwen0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                     num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True),
    "qwen1.5b": dict(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28, num_attention_heads=12,
                     num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True),
}  # fmt: skip


def qwen2_config(name: str, tokenizer=None):
    """A Qwen2Config of one of SHAPES, with Qwen2.5's rope and norm settings (and the tokenizer's EOS/pad ids)."""
    from transformers import Qwen2Config

    ids = {}
    if tokenizer is not None:
        ids = dict(eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, bos_token_id=None)
    return Qwen2Config(**SHAPES[name], max_position_embeddings=32768, rope_theta=1e6, rms_norm_eps=1e-6, **ids)
