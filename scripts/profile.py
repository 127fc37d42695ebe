#!/usr/bin/env python3
"""Where a training step's time goes, by kind of work, for nmt and the PyTorch peer.

    scripts/profile.py [--model transformer|rnnsearch|both] [--steps N] [--warmup N] [--nmt-env K=V ...]

Runs `nmt bench train --profile` and the peer's bench under torch.autograd.profiler
on the same batches settings as scripts/bench.py, sums each operation's self time
(its time less that of the operations it called) into kinds, and prints one
markdown table per model: the share of the profiled time each kind takes, for
both programs. Both run under LibTorch's profiler, whose per-operation cost
inflates short operations alike on both sides; the shares, not the times, are
the figures. --nmt-env NMT_CPU_ISA=avx2 profiles nmt as on an AVX2 host.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# An operation of one of these names, and everything it calls, counts as its kind
# (the outermost such operation decides).
SCOPES = {
    "nmt::optimizer": "optimizer", "Optimizer.step#Adam.step": "optimizer",
    "Optimizer.zero_grad#Adam.zero_grad": "optimizer",
    "nmt::loss": "loss", "nmt::loss_backward": "loss", "aten::cross_entropy_loss": "loss",
    "aten::nll_loss_backward": "loss", "NllLossBackward0": "loss", "LogSoftmaxBackward0": "loss",
    "nmt::clip": "clipping",
    "nmt::dropout": "dropout", "aten::dropout": "dropout", "aten::native_dropout": "dropout",
    "aten::layer_norm": "layer norm", "aten::native_layer_norm": "layer norm",
    "aten::native_layer_norm_backward": "layer norm",
    "aten::softmax": "softmax", "aten::_softmax": "softmax", "aten::_softmax_backward_data": "softmax",
    "nmt::gru_gates": "GRU gates", "nmt::gru_gates_backward": "GRU gates",
}
# Matrix products, and what they call, are GEMM unless something above them has a kind.
GEMM = {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::mv", "aten::dot", "aten::addmv",
        "nmt::affine", "nmt::affine_backward", "aten::_convolution"}
KINDS = ["GEMM", "elementwise and other", "softmax", "layer norm", "dropout", "loss", "optimizer", "clipping",
         "GRU gates"]


def events(path):
    with open(path) as f:
        data = json.load(f)
    if isinstance(data, dict):
        data = data.get("traceEvents", [])
    for e in data:
        if e.get("ph") == "X" and "dur" in e and e.get("cat", "cpu_op") in ("cpu_op", "user_annotation", "Operator",
                                                                             "python_function", None, ""):
            yield e


def shares(path):
    by_thread = defaultdict(list)
    for e in events(path):
        by_thread[e.get("tid")].append(e)
    total = defaultdict(float)
    for evs in by_thread.values():
        evs.sort(key=lambda e: (float(e["ts"]), -float(e["dur"])))
        stack = []  # [end, event, time of its children, kind]
        self_time = []

        def close(until):
            while stack and stack[-1][0] <= until:
                end, ev, child, kind = stack.pop()
                self_time.append((float(ev["dur"]) - child, kind))
                if stack:
                    stack[-1][2] += float(ev["dur"])

        for e in evs:
            start, dur = float(e["ts"]), float(e["dur"])
            close(start)
            name = e["name"].replace("autograd::engine::evaluate_function: ", "")
            parent_kind = stack[-1][3] if stack else None
            kind = parent_kind or SCOPES.get(name) or ("GEMM" if name in GEMM else None)
            stack.append([start + dur, e, 0.0, kind])
        close(float("inf"))
        for t, kind in self_time:
            total[kind or "elementwise and other"] += max(0.0, t)
    s = sum(total.values()) or 1.0
    return {k: total[k] / s for k in KINDS}, s / 1e6


def run(cmd, env=None, cwd=None):
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit(f"profile: {' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc.stdout


PEER = """
import sys, torch
sys.path.insert(0, {peer!r})
import pytorch_ref as ref
args = ref.argparse.Namespace(data={data!r}, spm_dir=ref.DEFAULT_SPM, threads=2, model={model!r},
                              steps={steps}, warmup={warmup}, batch_tokens=0)
torch.set_num_threads(2)
step = ref.train_step
calls = [0]
prof = torch.autograd.profiler.profile(use_kineto=False)
def profiled(*a, **k):
    calls[0] += 1
    if calls[0] == {warmup} + 1:
        prof.__enter__()
    return step(*a, **k)
ref.train_step = profiled
ref.cmd_bench(args)
prof.__exit__(None, None, None)
prof.export_chrome_trace({out!r})
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["transformer", "rnnsearch", "both"], default="both")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--nmt", default=os.environ.get("NMT", os.path.join(ROOT, "build/nmt")))
    ap.add_argument("--nmt-env", nargs="*", default=[], help="KEY=VALUE settings for nmt's run only")
    ap.add_argument("--data", default=os.environ.get("MULTI30K", os.path.join(ROOT, "../shared/data/multi30k")))
    ap.add_argument("--peer-dir", default=os.environ.get("PEER_DIR", os.path.join(ROOT, "../shared/peers")))
    ap.add_argument("--work", default=os.environ.get("BENCH_DIR", "/tmp/nmt-bench"))
    args = ap.parse_args()
    data, peer = os.path.abspath(args.data), os.path.abspath(args.peer_dir)
    env = dict(os.environ, MULTI30K=data)
    nmt_env = dict(env, **dict(kv.split("=", 1) for kv in args.nmt_env))
    # The peer's settings, as scripts/bench.py gives them.
    configs = {
        "transformer": ["-c", "configs/transformer-multi30k.json", "--set", f"model_dir={args.work}/transformer",
                        "--set", "training.dropout=0.1", "--set", "model.transformer.attention_dropout=0.1",
                        "--set", "model.transformer.activation_dropout=0.1", "--set", "training.clip_norm=1.0"],
        "rnnsearch": ["-c", "configs/rnnsearch-multi30k.json", "--set", f"model_dir={args.work}/rnnsearch"],
    }
    models = ["transformer", "rnnsearch"] if args.model == "both" else [args.model]
    with tempfile.TemporaryDirectory() as tmp:
        for name in models:
            ours, theirs = os.path.join(tmp, f"nmt-{name}.json"), os.path.join(tmp, f"peer-{name}.json")
            run([args.nmt, "-q", "bench", "train", *configs[name], "--steps", str(args.steps), "--warmup",
                 str(args.warmup), "--profile", ours], env=nmt_env, cwd=ROOT)
            script = PEER.format(peer=peer, data=data, model=f"{name}-small", steps=args.steps, warmup=args.warmup,
                                 out=theirs)
            run(["/usr/bin/python3", "-c", script], env=env, cwd=peer)
            (a, ta), (b, tb) = shares(ours), shares(theirs)
            setting = " ".join(args.nmt_env) or "as the host runs it"
            print(f"\n{name}, {args.steps} profiled steps (nmt {setting}): profiled time nmt {ta:.1f} s, "
                  f"peer {tb:.1f} s\n")
            print("| kind | nmt | peer |\n|---|---:|---:|")
            for k in KINDS:
                print(f"| {k} | {100 * a[k]:.1f}% | {100 * b[k]:.1f}% |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
