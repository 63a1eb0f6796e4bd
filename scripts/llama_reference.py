#!/usr/bin/python3
"""Reference outputs for rlhfkit's Llama-family models (test/fixtures/llama/, read by src/models/llama/llama.test.ts).

Builds tiny random models in plain PyTorch (no `transformers`, no network): the forward pass is written out here with
Hugging Face's semantics (LlamaForCausalLM / Qwen2ForCausalLM: RMSNorm, rotary embeddings with inv_freq computed as
HF's rope init functions do, Llama 3 rope scaling, grouped-query attention via repeat_kv, SwiGLU MLP, finfo.min
masking with left padding, position ids = cumsum(mask) - 1) and evaluated in float64 as ground truth. A tiny
byte-level BPE tokenizer (tokenizer.json in HF's format, learned here on a few sentences) and a ChatML chat template
come with it; the script encodes with its own BPE so the JS tokenizer is checked against an independent encoder.

Writes (all small; < 1 MB together):
  test/fixtures/llama/config.json, model.safetensors    Llama: 2 layers, hidden 48, 4 heads (d 12), 2 KV heads,
                                                         q/k/v/o biases (attention_bias), untied lm_head,
                                                         rope_scaling llama3 (all three frequency bands hit), F32
  test/fixtures/llama/tokenizer.json, tokenizer_config.json   byte-level BPE + ChatML template
  test/fixtures/llama/expected.safetensors              input ids / mask / positions [3, 12], logits [3, 12, V],
                                                         logits_half (the half-precision copy's), inv_freq, greedy
                                                         prompts and continuations
  test/fixtures/llama/expected.json                     tokenizer cases (text -> ids), the CLI prompt and the chat
                                                         prompt (rendered, ids, greedy continuation)
  test/fixtures/llama/half-sharded/                     the same model in two shards with model.safetensors.index.json,
                                                         shard 1 BF16 and shard 2 F16 (both widened on load)
  test/fixtures/llama/qwen2/                            Qwen2: 1 layer, hidden 32, 4 heads, ONE KV head (multi-query),
                                                         q/k/v biases without an o_proj bias, tied embeddings, F32

Run with Debian's torch:  /usr/bin/python3 scripts/llama_reference.py [--out test/fixtures/llama] [--seed 0]
"""
import argparse
import json
import math
import os
import re
import struct

import torch

LLAMA = dict(model_type="llama", hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, head_dim=12, max_position_embeddings=256, rms_norm_eps=1e-5, rope_theta=10000.0,
             rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                               original_max_position_embeddings=64),
             tie_word_embeddings=False, attention_bias=True, mlp_bias=False)
QWEN2 = dict(model_type="qwen2", hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4,
             num_key_value_heads=1, max_position_embeddings=128, rms_norm_eps=1e-6, rope_theta=1000000.0,
             rope_scaling=None, tie_word_embeddings=True)

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]  # ids 0, 1, 2 (as SmolLM2's)
N_MERGES = 61  # vocabulary: 3 specials + 256 bytes + 61 merges = 320
PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+"""
CORPUS = """hello world. hello there, world! the model says hello to the world.
You are a helpful AI assistant. the user asks and the assistant answers.
a small model learns to write small words: the cat sat on the mat, the dog ran in the sun.
system user assistant system user assistant 12 + 30 = 42 and 7 + 5 = 12."""
CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful AI assistant.<|im_end|>\\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


# ---------------------------------------------------------------- safetensors (written by hand: no package)
def st_bytes(t, dtype):
    t = t.contiguous()
    if dtype == "F32":
        return t.to(torch.float32).numpy().tobytes()
    if dtype == "F16":
        return t.to(torch.float16).numpy().tobytes()
    if dtype == "BF16":
        return t.to(torch.bfloat16).view(torch.int16).numpy().tobytes()
    if dtype == "I64":
        return t.to(torch.int64).numpy().tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors, metadata=None, dtypes=None):
    """u64 little-endian header length, JSON header (8-byte aligned), raw little-endian data."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        t = tensors[name]
        dtype = (dtypes or {}).get(name) or ("I64" if t.dtype == torch.int64 else "F32")
        raw = st_bytes(t, dtype)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    js = json.dumps(header, separators=(",", ":"))
    js += " " * ((8 - (8 + len(js)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js.encode("utf8"))
        for b in blobs:
            f.write(b)
    return offset


def write_json(path, obj, indent=2):
    with open(path, "w") as f:
        json.dump(obj, f, indent=indent, ensure_ascii=False)
        f.write("\n")


# ---------------------------------------------------------------- byte-level BPE (GPT-2's scheme)
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_CHARS = bytes_to_unicode()


def pretokenize(text):
    return [("".join(BYTE_CHARS[b] for b in chunk.encode("utf8"))) for chunk in re.findall(PATTERN, text)]


def train_bpe(corpus, n_merges):
    """Most frequent adjacent pair first; ties go to the lexicographically smallest pair (deterministic)."""
    words = {}
    for w in pretokenize(corpus):
        words[tuple(w)] = words.get(tuple(w), 0) + 1
    merges = []
    for _ in range(n_merges):
        counts = {}
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + c
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        new = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new[tuple(out)] = new.get(tuple(out), 0) + c
        words = new
    return merges


class Bpe:
    def __init__(self, merges):
        self.vocab = {s: i for i, s in enumerate(SPECIALS)}
        for b in range(256):
            self.vocab[BYTE_CHARS[b]] = len(self.vocab)
        for a, b in merges:
            self.vocab[a + b] = len(self.vocab)
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.merges = merges

    def bpe(self, word):
        w = list(word)
        while len(w) > 1:
            pairs = [(self.ranks.get((a, b), math.inf), i) for i, (a, b) in enumerate(zip(w, w[1:]))]
            rank, _ = min(pairs)
            if rank == math.inf:
                break
            pair = self.merges[rank]
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == pair:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            w = out
        return w

    def encode(self, text, add_bos=False):
        """Special tokens are matched first (as HF's added tokens), the rest is split, byte-mapped and merged."""
        ids = [0] if add_bos else []
        for part in re.split("(" + "|".join(re.escape(s) for s in SPECIALS) + ")", text):
            if part in SPECIALS:
                ids.append(self.vocab[part])
            elif part:
                for chunk in pretokenize(part):
                    ids.extend(self.vocab[t] for t in self.bpe(chunk))
        return ids

    def tokenizer_json(self):
        added = [dict(id=i, content=s, single_word=False, lstrip=False, rstrip=False, normalized=False, special=True)
                 for i, s in enumerate(SPECIALS)]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": PATTERN}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
            ]},
            # like Llama 3's: prepend BOS (<|endoftext|> here) when special tokens are added
            "post_processor": {"type": "TemplateProcessing",
                               "single": [{"SpecialToken": {"id": SPECIALS[0], "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                               "pair": [{"SpecialToken": {"id": SPECIALS[0], "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                        {"SpecialToken": {"id": SPECIALS[0], "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                               "special_tokens": {SPECIALS[0]: {"id": SPECIALS[0], "ids": [0], "tokens": [SPECIALS[0]]}}},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                      "vocab": self.vocab, "merges": [f"{a} {b}" for a, b in self.merges]},
        }


def render_chat(messages, add_generation_prompt=True):
    """CHAT_TEMPLATE written out in Python (the JS side renders the Jinja template itself)."""
    out = ""
    for i, m in enumerate(messages):
        if i == 0 and messages[0]["role"] != "system":
            out += "<|im_start|>system\nYou are a helpful AI assistant.<|im_end|>\n"
        out += "<|im_start|>" + m["role"] + "\n" + m["content"] + "<|im_end|>\n"
    if add_generation_prompt:
        out += "<|im_start|>assistant\n"
    return out


# ---------------------------------------------------------------- the model
def head_dim(cfg):
    return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]


def inv_freq_hf(cfg):
    """HF _compute_default_rope_parameters and _compute_llama3_parameters (float32, as torch computes them)."""
    dim = head_dim(cfg)
    base = cfg["rope_theta"]
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).to(dtype=torch.float) / dim))
    rs = cfg.get("rope_scaling")
    if not rs:
        return inv_freq
    assert rs["rope_type"] == "llama3"
    factor, low, high, old = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"], rs["original_max_position_embeddings"]
    low_freq_wavelen = old / low
    high_freq_wavelen = old / high
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth_factor = (old / wavelen - low) / (high - low)
    smoothed_inv_freq = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
    is_medium_freq = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium_freq, smoothed_inv_freq, inv_freq_llama)


def rope_cos_sin(inv_freq, pos):
    """HF LlamaRotaryEmbedding.forward: float32 freqs = inv_freq x position, emb = cat(freqs, freqs)."""
    freqs = (inv_freq[None, :, None].float() @ pos[:, None, :].float()).transpose(1, 2)  # [B, T, d/2]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()  # [B, T, d]


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def linear(p, name, x):
    y = x @ p[name + ".weight"].T
    return y + p[name + ".bias"] if name + ".bias" in p else y


def forward(p, ids, mask, pos, cfg):
    """LlamaForCausalLM / Qwen2ForCausalLM forward (eval mode) with explicit position ids and an attention mask."""
    B, T = ids.shape
    nh, nkv, d = cfg["num_attention_heads"], cfg["num_key_value_heads"], head_dim(cfg)
    rep = nh // nkv
    eps = cfg["rms_norm_eps"]
    x = p["model.embed_tokens.weight"][ids]  # [B, T, C]
    cos, sin = rope_cos_sin(inv_freq_hf(cfg), pos)
    cos, sin = cos[:, None].to(x.dtype), sin[:, None].to(x.dtype)  # [B, 1, T, d]
    neg = torch.finfo(x.dtype).min
    allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))[None, None] & mask[:, None, None, :].bool()  # [B, 1, T, T]
    for i in range(cfg["num_hidden_layers"]):
        l = f"model.layers.{i}."
        h = rms_norm(x, p[l + "input_layernorm.weight"], eps)
        q = linear(p, l + "self_attn.q_proj", h).view(B, T, nh, d).transpose(1, 2)  # [B, nh, T, d]
        k = linear(p, l + "self_attn.k_proj", h).view(B, T, nkv, d).transpose(1, 2)  # [B, nkv, T, d]
        v = linear(p, l + "self_attn.v_proj", h).view(B, T, nkv, d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k[:, :, None].expand(B, nkv, rep, T, d).reshape(B, nh, T, d)  # repeat_kv
        v = v[:, :, None].expand(B, nkv, rep, T, d).reshape(B, nh, T, d)
        att = (q @ k.transpose(2, 3)) / math.sqrt(d)
        att = torch.where(allowed, att, torch.tensor(neg, dtype=x.dtype))
        att = torch.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, nh * d)
        x = x + linear(p, l + "self_attn.o_proj", y)
        h = rms_norm(x, p[l + "post_attention_layernorm.weight"], eps)
        g = linear(p, l + "mlp.gate_proj", h)
        x = x + linear(p, l + "mlp.down_proj", torch.nn.functional.silu(g) * linear(p, l + "mlp.up_proj", h))
    x = rms_norm(x, p["model.norm.weight"], eps)
    head = p["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else p["lm_head.weight"]
    return x @ head.T  # [B, T, V]


def random_params(cfg, V, gen):
    """Weights with a larger spread than HF's 0.02 so every parameter visibly moves the logits."""
    C, I, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    nh, nkv, d = cfg["num_attention_heads"], cfg["num_key_value_heads"], head_dim(cfg)
    n = lambda *shape, std=0.1: torch.randn(*shape, generator=gen) * std  # noqa: E731
    qwen = cfg["model_type"] == "qwen2"
    qkv_bias = qwen or cfg.get("attention_bias", False)
    o_bias = (not qwen) and cfg.get("attention_bias", False)
    p = {"model.embed_tokens.weight": n(V, C, std=1.0)}
    for i in range(L):
        l = f"model.layers.{i}."
        p[l + "input_layernorm.weight"] = 1 + n(C)
        p[l + "post_attention_layernorm.weight"] = 1 + n(C)
        for name, out, inp, std in (("self_attn.q_proj", nh * d, C, 0.3), ("self_attn.k_proj", nkv * d, C, 0.3),
                                    ("self_attn.v_proj", nkv * d, C, 0.2), ("self_attn.o_proj", C, nh * d, 0.15),
                                    ("mlp.gate_proj", I, C, 0.2), ("mlp.up_proj", I, C, 0.2), ("mlp.down_proj", C, I, 0.15)):
            p[l + name + ".weight"] = n(out, inp, std=std)
            is_qkv = name in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj")
            if (is_qkv and qkv_bias) or (name == "self_attn.o_proj" and o_bias):
                p[l + name + ".bias"] = n(out, std=0.2)
    p["model.norm.weight"] = 1 + n(C)
    if not cfg["tie_word_embeddings"]:
        p["lm_head.weight"] = n(V, C, std=0.5)
    return {k: v.to(torch.float32) for k, v in p.items()}


def greedy(p64, prompt, n, cfg, min_margin=1e-3):
    """Greedy continuation by full recomputation in float64; every step's top-1 must lead the runner-up by
    min_margin so float32 rounding on the JS side cannot flip it."""
    seq = list(prompt)
    for _ in range(n):
        ids = torch.tensor([seq])
        pos = torch.arange(len(seq))[None]
        with torch.no_grad():
            z = forward(p64, ids, torch.ones_like(ids), pos, cfg)[0, -1]
        top = torch.topk(z, 2).values
        assert float(top[0] - top[1]) >= min_margin, f"greedy step margin {float(top[0] - top[1]):.2e} too small; try another --seed"
        seq.append(int(z.argmax()))
    return seq[len(prompt):]


def config_json(cfg, V, extra):
    arch = "Qwen2ForCausalLM" if cfg["model_type"] == "qwen2" else "LlamaForCausalLM"
    out = dict(architectures=[arch], hidden_act="silu", initializer_range=0.02, attention_dropout=0.0, torch_dtype="float32",
               use_cache=True, vocab_size=V, **cfg)
    out.update(extra)
    if cfg["model_type"] == "qwen2":
        out.update(use_sliding_window=False, sliding_window=4096, max_window_layers=1)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "llama"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    out = args.out
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(args.seed)
    meta = {"generator": "scripts/llama_reference.py", "seed": str(args.seed), "torch": torch.__version__}

    # 1) tokenizer
    tok = Bpe(train_bpe(CORPUS, N_MERGES))
    V = len(tok.vocab)
    write_json(os.path.join(out, "tokenizer.json"), tok.tokenizer_json(), indent=None)
    added_decoder = {str(i): dict(content=s, lstrip=False, normalized=False, rstrip=False, single_word=False, special=True)
                     for i, s in enumerate(SPECIALS)}
    write_json(os.path.join(out, "tokenizer_config.json"), dict(
        added_tokens_decoder=added_decoder, additional_special_tokens=SPECIALS[1:], bos_token=SPECIALS[0],
        eos_token=SPECIALS[2], pad_token=SPECIALS[2], unk_token=None, clean_up_tokenization_spaces=False,
        model_max_length=256, tokenizer_class="GPT2Tokenizer", chat_template=CHAT_TEMPLATE))

    # 2) the Llama model and its checkpoints
    cfg = LLAMA
    p32 = random_params(cfg, V, gen)
    p64 = {k: v.to(torch.float64) for k, v in p32.items()}
    write_safetensors(os.path.join(out, "model.safetensors"), p32, {"format": "pt"})
    write_json(os.path.join(out, "config.json"), config_json(cfg, V, dict(bos_token_id=0, eos_token_id=[2, 0], pad_token_id=None)))

    # the half-precision sharded copy: embeddings + block 0 in BF16 (shard 1), the rest in F16 (shard 2)
    half_dir = os.path.join(out, "half-sharded")
    os.makedirs(half_dir, exist_ok=True)
    names = sorted(p32)
    first = [k for k in names if k.startswith("model.embed_tokens") or k.startswith("model.layers.0.")]
    second = [k for k in names if k not in first]
    shard_names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    total = write_safetensors(os.path.join(half_dir, shard_names[0]), {k: p32[k] for k in first}, {"format": "pt"}, {k: "BF16" for k in first})
    total += write_safetensors(os.path.join(half_dir, shard_names[1]), {k: p32[k] for k in second}, {"format": "pt"}, {k: "F16" for k in second})
    write_json(os.path.join(half_dir, "model.safetensors.index.json"),
               {"metadata": {"total_size": total}, "weight_map": {**{k: shard_names[0] for k in first}, **{k: shard_names[1] for k in second}}})
    write_json(os.path.join(half_dir, "config.json"), config_json(cfg, V, dict(bos_token_id=0, eos_token_id=[2, 0], torch_dtype="bfloat16")))
    half64 = {k: (v.to(torch.bfloat16) if k in first else v.to(torch.float16)).to(torch.float64) for k, v in p32.items()}

    # 3) logits of three rows of 12 tokens; the last is left-padded by 4 (pad id 2, mask 0)
    B, T = 3, 12
    ids = torch.randint(3, V, (B, T), generator=gen)
    mask = torch.ones(B, T, dtype=torch.int64)
    mask[2, :4] = 0
    ids[2, :4] = 2
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        logits = forward(p64, ids, mask, pos, cfg).to(torch.float32)
        logits_half = forward(half64, ids, mask, pos, cfg).to(torch.float32)

    # 4) greedy continuations of three prompts of different lengths (each computed alone, unpadded)
    expected = {"input_ids": ids, "attention_mask": mask, "position_ids": pos, "logits": logits, "logits_half": logits_half,
                "inv_freq": inv_freq_hf(cfg)}
    for j, L in enumerate((7, 3, 5)):
        prompt = torch.randint(3, V, (L,), generator=gen).tolist()
        expected[f"gen_prompt_{j}"] = torch.tensor(prompt)
        expected[f"gen_{j}"] = torch.tensor(greedy(p64, prompt, 10, cfg))
    write_safetensors(os.path.join(out, "expected.safetensors"), expected, meta)

    # 5) the tokenizer against this script's encoder, the CLI prompt, the chat prompt
    cases = ["hello world", "Hello, World!  two  spaces\nand a newline", "12 + 30 = 42", "the assistant's answer: 7",
             "caf\u00e9 \u00fcber na\u00efve \u2014 \u4f60\u597d", "<|im_start|>user\nhi<|im_end|>"]
    messages = [{"role": "user", "content": "hello"}]
    rendered = render_chat(messages)
    cli_ids = tok.encode("hello world", add_bos=True)
    chat_ids = tok.encode(rendered)
    write_json(os.path.join(out, "expected.json"), {
        "tokenizer_cases": [{"text": t, "ids": tok.encode(t)} for t in cases],
        "cli": {"prompt": "hello world", "ids": cli_ids, "greedy": greedy(p64, cli_ids, 8, cfg)},
        "chat": {"messages": messages, "rendered": rendered, "ids": chat_ids, "greedy": greedy(p64, chat_ids, 8, cfg)},
    })

    # 6) Qwen2: multi-query attention, q/k/v biases only, tied embeddings
    qcfg = QWEN2
    qdir = os.path.join(out, "qwen2")
    os.makedirs(qdir, exist_ok=True)
    q32 = random_params(qcfg, V, gen)
    write_safetensors(os.path.join(qdir, "model.safetensors"), q32, {"format": "pt"})
    write_json(os.path.join(qdir, "config.json"), config_json(qcfg, V, dict(bos_token_id=0, eos_token_id=2)))
    qids = torch.randint(3, V, (2, 8), generator=gen)
    qmask = torch.ones(2, 8, dtype=torch.int64)
    qmask[1, :3] = 0
    qids[1, :3] = 2
    qpos = (qmask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        qlogits = forward({k: v.to(torch.float64) for k, v in q32.items()}, qids, qmask, qpos, qcfg).to(torch.float32)
    write_safetensors(os.path.join(qdir, "expected.safetensors"),
                      {"input_ids": qids, "attention_mask": qmask, "logits": qlogits}, meta)

    print(json.dumps({"out": out, "vocab": V, "logits_std": float(logits.std()), "half_max_diff": float((logits - logits_half).abs().max()),
                      "inv_freq": [float(f) for f in inv_freq_hf(cfg)], "cli_ids": len(cli_ids), "chat_ids": len(chat_ids)}))


if __name__ == "__main__":
    main()
