#!/usr/bin/python3
"""Peer forward: the Hugging Face eager OLMoE algorithm in plain PyTorch, against MoE Frontier on the same checkpoint.

Written from transformers' modeling_olmoe (eager attention; the sparse MoE block's per-expert loop with index_add_),
float32 throughout like MoE Frontier's CPU forward. It reads safetensors itself (Debian's python3-torch has no
safetensors package), so it runs with nothing but /usr/bin/python3 and python3-torch.

  scripts/peer/hf_eager_olmoe.py --model DIR [--frontier scripts/frontier] [--batch 2 --seq-len 256 --rounds 3]

1. Same logits first: both run --check-seqs random sequences (frontier forward writes logits.{s}); the max |diff|
   must be within --tolerance, else exit 1 and nothing is timed.
2. Throughput: alternating rounds of `frontier bench forward --model DIR` and this forward on the same batch shape,
   best of --reps per round; prints the medians and the ratio. Peak RSS of each is its own process's VmHWM.
"""
import argparse
import json
import math
import os
import re
import shlex
import struct
import subprocess
import sys
import tempfile
import time

import torch

DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16, "I64": torch.int64, "I32": torch.int32}


def read_safetensors(path):
    """{name: tensor} of one .safetensors file (8-byte header length, JSON header, raw little-endian data)."""
    out = {}
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        dt = DTYPES[meta["dtype"]]
        t = torch.frombuffer(bytearray(data[a:b]), dtype=dt) if b > a else torch.empty(0, dtype=dt)
        out[name] = t.reshape(meta["shape"]).to(torch.float32 if dt.is_floating_point else dt)
    return out


def load(model_dir):
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    w = {}
    for f in sorted(os.listdir(model_dir)):
        if f.endswith(".safetensors"):
            w.update(read_safetensors(os.path.join(model_dir, f)))
    if cfg.get("model_type") != "olmoe":
        sys.exit(f"{model_dir}/config.json: model_type {cfg.get('model_type')!r}, this peer implements olmoe only")
    return cfg, w


class EagerOlmoe:
    """OlmoeForCausalLM's forward, eager: RMSNorm, q/k norm, RoPE, causal softmax attention, top-k softmax router."""

    def __init__(self, cfg, w):
        self.c = cfg
        self.w = w
        self.h = cfg["hidden_size"]
        self.nh = cfg["num_attention_heads"]
        self.nkv = cfg.get("num_key_value_heads", self.nh)
        self.hd = cfg.get("head_dim") or self.h // self.nh
        self.eps = cfg["rms_norm_eps"]
        self.E = cfg["num_experts"]
        self.k = cfg["num_experts_per_tok"]
        self.norm_topk = cfg.get("norm_topk_prob", False)
        self.theta = cfg.get("rope_theta", 10000.0)
        self.layers = cfg["num_hidden_layers"]
        self.head = w.get("lm_head.weight", w["model.embed_tokens.weight"])

    def rms(self, x, weight):
        var = x.pow(2).mean(-1, keepdim=True)
        return weight * (x * torch.rsqrt(var + self.eps))

    def rope(self, T):
        inv = 1.0 / (self.theta ** (torch.arange(0, self.hd, 2, dtype=torch.int64).float() / self.hd))
        freqs = torch.outer(torch.arange(T).float(), inv)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()

    @staticmethod
    def rotate_half(x):
        x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
        return torch.cat((-x2, x1), dim=-1)

    def attention(self, l, x, cos, sin):
        p = f"model.layers.{l}.self_attn."
        B, T, _ = x.shape
        q = self.rms(x @ self.w[p + "q_proj.weight"].T, self.w[p + "q_norm.weight"])
        k = self.rms(x @ self.w[p + "k_proj.weight"].T, self.w[p + "k_norm.weight"])
        v = x @ self.w[p + "v_proj.weight"].T
        q = q.view(B, T, self.nh, self.hd).transpose(1, 2)
        k = k.view(B, T, self.nkv, self.hd).transpose(1, 2)
        v = v.view(B, T, self.nkv, self.hd).transpose(1, 2)
        q = q * cos + self.rotate_half(q) * sin
        k = k * cos + self.rotate_half(k) * sin
        rep = self.nh // self.nkv
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        s = (q @ k.transpose(2, 3)) / math.sqrt(self.hd)
        mask = torch.full((T, T), float("-inf")).triu(1)
        a = torch.softmax(s + mask, dim=-1, dtype=torch.float32)
        o = (a @ v).transpose(1, 2).reshape(B, T, self.nh * self.hd)
        return o @ self.w[p + "o_proj.weight"].T

    def moe(self, l, x):
        """OlmoeSparseMoeBlock: softmax router, top-k, then a loop over experts gathering their tokens, index_add_."""
        p = f"model.layers.{l}.mlp."
        B, T, H = x.shape
        x = x.view(-1, H)
        logits = x @ self.w[p + "gate.weight"].T
        probs = torch.softmax(logits, dim=1, dtype=torch.float)
        weights, sel = torch.topk(probs, self.k, dim=-1)
        if self.norm_topk:
            weights = weights / weights.sum(dim=-1, keepdim=True)
        out = torch.zeros_like(x)
        mask = torch.nn.functional.one_hot(sel, num_classes=self.E).permute(2, 1, 0)
        for e in range(self.E):
            idx, top = torch.where(mask[e])
            if top.numel() == 0:
                continue
            xe = x[top]
            q = p + f"experts.{e}."
            ye = (torch.nn.functional.silu(xe @ self.w[q + "gate_proj.weight"].T) * (xe @ self.w[q + "up_proj.weight"].T)) \
                @ self.w[q + "down_proj.weight"].T
            out.index_add_(0, top, ye * weights[top, idx, None])
        return out.view(B, T, H)

    @torch.no_grad()
    def forward(self, ids):
        B, T = ids.shape
        x = self.w["model.embed_tokens.weight"][ids]
        cos, sin = self.rope(T)
        for l in range(self.layers):
            p = f"model.layers.{l}."
            x = x + self.attention(l, self.rms(x, self.w[p + "input_layernorm.weight"]), cos, sin)
            x = x + self.moe(l, self.rms(x, self.w[p + "post_attention_layernorm.weight"]))
        return self.rms(x, self.w["model.norm.weight"]) @ self.head.T


def peak_rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return -1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--frontier", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "frontier"),
                    help="how to run MoE Frontier's CLI (a command line, split like a shell would)")
    ap.add_argument("--numerics", default="fast", choices=["fast", "reproducible"],
                    help="MoE Frontier's numerics for the timing (fast: the machine's own kernels, as PyTorch uses them; the"
                         " logits check always runs reproducible)")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--check-seqs", type=int, default=2)
    ap.add_argument("--check-len", type=int, default=64)
    ap.add_argument("--tolerance", type=float, default=1e-3, help="max |logit diff| accepted (float32, different kernels)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-only", action="store_true", help=argparse.SUPPRESS)  # internal: one timed child
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    cfg, w = load(a.model)
    m = EagerOlmoe(cfg, w)
    V = cfg["vocab_size"]
    if a.time_only:
        ids = torch.randint(0, V, (a.batch, a.seq_len), generator=torch.Generator().manual_seed(a.seed))
        m.forward(ids)  # warm-up
        best = min(timed(m, ids) for _ in range(a.reps))
        print(json.dumps({"tokens_per_s": a.batch * a.seq_len / best, "peak_rss": peak_rss()}))
        return

    # 1. the same logits
    g = torch.Generator().manual_seed(a.seed + 1)
    seqs = [torch.randint(0, V, (a.check_len,), generator=g).tolist() for _ in range(a.check_seqs)]
    with tempfile.TemporaryDirectory() as tmp:
        inp = os.path.join(tmp, "inputs.json")
        json.dump({"input_ids": seqs}, open(inp, "w"))
        outp = os.path.join(tmp, "out.safetensors")
        run(shlex.split(a.frontier) + ["forward", "--model", a.model, "--inputs", inp, "--out", outp, "-q"])
        ref = read_safetensors(outp)
    worst = 0.0
    for s, seq in enumerate(seqs):
        mine = m.forward(torch.tensor([seq]))[0]
        theirs = ref[f"logits.{s}"].reshape(mine.shape)
        worst = max(worst, (mine - theirs).abs().max().item())
    scale = max(ref[f"logits.{s}"].abs().max().item() for s in range(len(seqs)))
    print(f"logits       {len(seqs)} sequences x {a.check_len} tokens: max |diff| {worst:.3g} (logits up to {scale:.3g}),"
          f" tolerance {a.tolerance:g}")
    if not worst <= a.tolerance:
        sys.exit(f"hf_eager_olmoe: the logits differ by {worst:.3g} > {a.tolerance:g}: not timing different computations")
    del m, w

    # 2. alternating rounds, each in its own process (its own peak RSS)
    ours, peer = [], []
    for r in range(a.rounds):
        out = run(shlex.split(a.frontier) + ["bench", "forward", "--model", a.model, "--batch", str(a.batch), "--seq-len", str(a.seq_len),
                   "--reps", str(a.reps), "--numerics", a.numerics, "-q"], timed_rss=True)
        t = float(re.search(r": ([0-9.]+) tokens/s", out[0]).group(1))
        ours.append((t, out[1]))
        res = run([sys.executable, os.path.abspath(__file__), "--model", a.model, "--batch", str(a.batch), "--seq-len",
                   str(a.seq_len), "--reps", str(a.reps), "--threads", str(a.threads), "--time-only"])
        pj = json.loads(res.strip().splitlines()[-1])
        peer.append((pj["tokens_per_s"], pj["peak_rss"]))
        print(f"round {r + 1}      MoE Frontier {t:7.1f} tokens/s ({ours[-1][1] / 1e9:.2f} GB)   HF eager {pj['tokens_per_s']:7.1f}"
              f" tokens/s ({pj['peak_rss'] / 1e9:.2f} GB)")
    mo = median([x[0] for x in ours])
    mp = median([x[0] for x in peer])
    print(f"median       MoE Frontier ({a.numerics}) {mo:.1f} tokens/s, HF eager {mp:.1f} tokens/s: ratio {mo / mp:.2f}x"
          f" ({a.batch} x {a.seq_len} tokens, {a.threads} threads, torch {torch.__version__} "
          f"{cpu_capability()})")
    print(f"peak RSS     MoE Frontier {median([x[1] for x in ours]) / 1e9:.2f} GB, HF eager {median([x[1] for x in peer]) / 1e9:.2f} GB")


def cpu_capability():
    """ATen's CPU kernel level where this torch says it (torch.backends.cpu exists from 2.0), else its config line."""
    cpu = getattr(torch.backends, "cpu", None)
    if cpu is not None and hasattr(cpu, "get_cpu_capability"):
        return cpu.get_cpu_capability()
    m = re.search(r"CPU capability usage: (\S+)", torch.__config__.show())
    return m.group(1) if m else "CPU capability unknown"


def timed(m, ids):
    t0 = time.perf_counter()
    m.forward(ids)
    return time.perf_counter() - t0


def median(v):
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def run(cmd, timed_rss=False):
    env = dict(os.environ, DJL_OFFLINE="true", OPT_OUT_TRACKING="true")
    if timed_rss and os.path.exists("/usr/bin/time"):
        with tempfile.NamedTemporaryFile(suffix=".rss") as f:
            p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", f.name] + cmd, capture_output=True, text=True, env=env)
            if p.returncode != 0:
                sys.exit(f"hf_eager_olmoe: {' '.join(cmd)} failed: {p.stderr.strip().splitlines()[-1:]}")
            return p.stdout, int(open(f.name).read().split()[-1]) * 1024
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"hf_eager_olmoe: {' '.join(cmd)} failed: {p.stderr.strip().splitlines()[-1:]}")
    return (p.stdout, -1) if timed_rss else p.stdout


if __name__ == "__main__":
    main()
