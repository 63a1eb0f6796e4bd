#!/usr/bin/python3
"""Reference logits for rlhfkit's GPT-2 loader (test/fixtures/gpt2/, read by src/models/gpt2/gpt2.test.ts).

Builds a small random GPT-2 in plain PyTorch (no `transformers`): the forward pass is written out here with Hugging
Face's semantics — Conv1D weights stored [in, out] (y = x W + b), gelu_new, pre-LayerNorm blocks, scaled causal
attention plus an additive padding mask, tied LM head — and evaluated in float64 as ground truth. Writes:

  test/fixtures/gpt2/config.json          HF GPT2Config fields (model_type gpt2)
  test/fixtures/gpt2/model.safetensors    F32 weights under GPT2LMHeadModel names (`transformer.` prefix, the
                                          `attn.bias` causal-mask buffers and a tied `lm_head.weight`, as old
                                          checkpoints carry them), metadata format=pt
  test/fixtures/gpt2/expected.safetensors input_ids [B, T] (I64), attention_mask [B, T] (I64), position_ids [B, T]
                                          (I64, cumsum(mask) - 1 as HF generate uses), logits [B, T, V] (F32)

Run with Debian's torch:  /usr/bin/python3 scripts/gpt2_reference.py [--out test/fixtures/gpt2] [--seed 0]
"""
import argparse
import json
import math
import os
import struct

import torch

CFG = dict(vocab_size=100, n_positions=32, n_embd=64, n_layer=2, n_head=4, layer_norm_epsilon=1e-5)


def write_safetensors(path, tensors, metadata=None):
    """The safetensors format: u64 header length, JSON header, raw little-endian data (written by hand: no package)."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    dtypes = {torch.float32: "F32", torch.int64: "I64"}
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        raw = t.numpy().tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    js = json.dumps(header, separators=(",", ":"))
    js += " " * ((8 - (8 + len(js)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js.encode("utf8"))
        for b in blobs:
            f.write(b)


def gelu_new(x):
    # HF NewGELUActivation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def forward(p, ids, mask, pos, cfg):
    """GPT2LMHeadModel forward (eval mode) with explicit position ids and an attention mask."""
    B, T = ids.shape
    C, nh = cfg["n_embd"], cfg["n_head"]
    hs = C // nh
    eps = cfg["layer_norm_epsilon"]
    x = p["wte.weight"][ids] + p["wpe.weight"][pos]  # [B, T, C]
    neg = torch.finfo(x.dtype).min
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    pad = (1.0 - mask[:, None, None, :].to(x.dtype)) * neg  # [B, 1, 1, T], HF's extended attention mask
    for i in range(cfg["n_layer"]):
        h = f"h.{i}."
        a = layer_norm(x, p[h + "ln_1.weight"], p[h + "ln_1.bias"], eps)
        qkv = a @ p[h + "attn.c_attn.weight"] + p[h + "attn.c_attn.bias"]  # Conv1D: [B, T, 3C]
        q, k, v = qkv.split(C, dim=2)
        q = q.view(B, T, nh, hs).transpose(1, 2)  # [B, nh, T, hs]
        k = k.view(B, T, nh, hs).transpose(1, 2)
        v = v.view(B, T, nh, hs).transpose(1, 2)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hs)  # [B, nh, T, T]
        att = torch.where(causal, att, torch.tensor(neg, dtype=x.dtype))
        att = att + pad
        att = torch.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + (y @ p[h + "attn.c_proj.weight"] + p[h + "attn.c_proj.bias"])
        m = layer_norm(x, p[h + "ln_2.weight"], p[h + "ln_2.bias"], eps)
        m = gelu_new(m @ p[h + "mlp.c_fc.weight"] + p[h + "mlp.c_fc.bias"])
        x = x + (m @ p[h + "mlp.c_proj.weight"] + p[h + "mlp.c_proj.bias"])
    x = layer_norm(x, p["ln_f.weight"], p["ln_f.bias"], eps)
    return x @ p["wte.weight"].T  # tied LM head: [B, T, V]


def random_params(cfg, gen):
    """Weights with larger spread than GPT-2's 0.02 so every parameter visibly moves the logits."""
    C, V, P, L = cfg["n_embd"], cfg["vocab_size"], cfg["n_positions"], cfg["n_layer"]
    n = lambda *shape, std=0.1: torch.randn(*shape, generator=gen) * std  # noqa: E731
    p = {"wte.weight": n(V, C, std=0.3), "wpe.weight": n(P, C, std=0.1)}
    for i in range(L):
        h = f"h.{i}."
        p[h + "ln_1.weight"] = 1 + n(C)
        p[h + "ln_1.bias"] = n(C)
        p[h + "attn.c_attn.weight"] = n(C, 3 * C, std=0.15)
        p[h + "attn.c_attn.bias"] = n(3 * C)
        p[h + "attn.c_proj.weight"] = n(C, C)
        p[h + "attn.c_proj.bias"] = n(C)
        p[h + "ln_2.weight"] = 1 + n(C)
        p[h + "ln_2.bias"] = n(C)
        p[h + "mlp.c_fc.weight"] = n(C, 4 * C, std=0.15)
        p[h + "mlp.c_fc.bias"] = n(4 * C)
        p[h + "mlp.c_proj.weight"] = n(4 * C, C, std=0.05)
        p[h + "mlp.c_proj.bias"] = n(C)
    p["ln_f.weight"] = 1 + n(C)
    p["ln_f.bias"] = n(C)
    return {k: v.to(torch.float32) for k, v in p.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "gpt2"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    gen = torch.Generator().manual_seed(args.seed)
    cfg = CFG
    p32 = random_params(cfg, gen)

    # three rows of 12 tokens; the last is left-padded by 4 (pad id 0, mask 0), as a batched prompt would be
    B, T = 3, 12
    ids = torch.randint(0, cfg["vocab_size"], (B, T), generator=gen)
    mask = torch.ones(B, T, dtype=torch.int64)
    mask[2, :4] = 0
    ids[2, :4] = 0
    pos = (mask.cumsum(-1) - 1).clamp(min=0)

    p64 = {k: v.to(torch.float64) for k, v in p32.items()}
    with torch.no_grad():
        logits = forward(p64, ids, mask, pos, cfg).to(torch.float32)

    # write the checkpoint the way GPT2LMHeadModel.state_dict() names it
    ckpt = {f"transformer.{k}": v for k, v in p32.items()}
    ckpt["lm_head.weight"] = p32["wte.weight"].clone()
    causal = torch.tril(torch.ones(cfg["n_positions"], cfg["n_positions"])).view(1, 1, cfg["n_positions"], cfg["n_positions"])
    for i in range(cfg["n_layer"]):
        ckpt[f"transformer.h.{i}.attn.bias"] = causal
    write_safetensors(os.path.join(args.out, "model.safetensors"), ckpt, {"format": "pt"})
    config = dict(architectures=["GPT2LMHeadModel"], model_type="gpt2", activation_function="gelu_new", n_inner=None,
                  n_ctx=cfg["n_positions"], bos_token_id=cfg["vocab_size"] - 1, eos_token_id=cfg["vocab_size"] - 1,
                  initializer_range=0.02, embd_pdrop=0.1, attn_pdrop=0.1, resid_pdrop=0.1, scale_attn_weights=True,
                  **cfg)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    write_safetensors(os.path.join(args.out, "expected.safetensors"),
                      {"input_ids": ids, "attention_mask": mask, "position_ids": pos, "logits": logits},
                      {"generator": "scripts/gpt2_reference.py", "seed": str(args.seed), "torch": torch.__version__})
    print(json.dumps({"out": args.out, "logits_shape": list(logits.shape), "logits_absmax": float(logits.abs().max()),
                      "logits_std": float(logits.std())}))


if __name__ == "__main__":
    main()
