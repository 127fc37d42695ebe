#!/usr/bin/env python3
"""Runs nmt's benchmarks beside the PyTorch peer's, alternating, and compares them.

Driven by scripts/bench.sh. Each benchmark runs `nmt bench ...` and the peer's
`pytorch_ref.py bench ...` / `translate-bench ...` with the same settings, one
after the other (ABBA order when --repeat is 2 or more, so that drift on a noisy
machine cancels out), and takes the median of the repeats. Prints one JSON line
per figure on stdout, then a markdown table; every raw run goes to --raw.

    {"bench": "train/transformer-small", "metric": "tgt_tok_per_s", "nmt": ..., "peer": ..., "ratio": ..., "mfu": ...}

ratio is nmt / peer for every metric: above 1 is better for rates, below 1 for
times and memory (see "better"). --growth instead measures how nmt's cost grows
with the work (lines translated, sentence length, batch tokens); --levers runs nmt
against itself with one speed lever turned off at a time; --scale compares 2
data-parallel processes of 1 thread with 1 process of 2 threads; --torch runs the
comparison once per LibTorch, nmt and the peer each on this host's and on a Debian
root's (scripts/debian-root.sh), all in one run.
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def busy_seconds():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")


def run_json(cmd, cwd, env=None):
    """Runs cmd; returns its JSON lines, with the CPU other processes used meanwhile."""
    t0, b0 = time.perf_counter(), busy_seconds()
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall, busy = time.perf_counter() - t0, busy_seconds() - b0
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    if proc.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    lines = [json.loads(l) for l in proc.stdout.splitlines() if l.startswith("{")]
    other = round(max(0.0, busy - own) / wall, 2)
    for line in lines:
        line["driver_other_procs_cpu_cores"] = other
    if other > 0.15:
        log(f"warning: other processes used {other} cores during {os.path.basename(cmd[0])}; figures are suspect")
    return lines


# (metric name in the output, field in nmt's line, field in the peer's line, "higher" or "lower" is better)
TRAIN_METRICS = [
    ("tgt_tok_per_s", "train_tgt_tokens_per_s", "train_tgt_tokens_per_s", "higher"),
    ("src_tok_per_s", "train_src_tokens_per_s", "train_src_tokens_per_s", "higher"),
    ("step_ms_median", "step_ms_median", "step_ms_median", "lower"),
    ("flops_per_tgt_token", "flops_per_tgt_token", "flops_per_tgt_token", "same"),
    ("achieved_gflops", "achieved_gflops", "achieved_gflops", "higher"),
    ("gemm_gflops", "gemm_gflops", "gemm_gflops", "same"),
    ("mfu", "mfu", "mfu", "higher"),
    ("peak_rss_mb", "peak_rss_mb", "peak_rss_mb", "lower"),
]
TRANSLATE_METRICS = [
    ("sentences_per_s", "sentences_per_s", "sentences_per_s", "higher"),
    ("tgt_tok_per_s", "tgt_tokens_per_s", "tgt_tokens_per_s", "higher"),
    ("peak_rss_mb", "peak_rss_mb", "peak_rss_mb", "lower"),
]

# The speed issue's targets: (bench, metric) -> (comparison, value, what is compared)
TARGETS = {
    ("train/transformer-small", "tgt_tok_per_s"): (">=", 2.0, "ratio"),
    ("train/rnnsearch-small", "tgt_tok_per_s"): (">=", 2.5, "ratio"),
    ("train/transformer-small", "mfu"): (">=", 0.55, "nmt"),
    ("train/rnnsearch-small", "mfu"): (">=", 0.45, "nmt"),
    ("translate/rnnsearch-small/beam5/forced", "sentences_per_s"): (">=", 3.0, "ratio"),
    ("translate/transformer-small/beam5/forced", "sentences_per_s"): (">=", 7.0, "ratio"),
}
# The peer runs, in every benchmark, with the thread settings nmt gives its own training
# (src/common/threads.cpp; nmt's search keeps libgomp's default wait, but the peer's
# decoding was fastest with these too): without them, on 2 cores, LibTorch's OpenMP
# workers spin while OpenBLAS's threads compute, and the peer ran 1.4-11x slower here
# (4.1 against 51 sentences/s translating under LibTorch 2.14; docs/benchmarks.md).
# --untuned-peer runs it with the defaults.
PEER_ENV = {"OMP_WAIT_POLICY": "PASSIVE", "OPENBLAS_THREAD_TIMEOUT": "4"}


def peer_command(args, cmd):
    """The peer's command line, with PEER_ENV unless --untuned-peer (as arguments: a Debian root drops the environment)."""
    return cmd if args.untuned_peer else ["env"] + [f"{k}={v}" for k, v in PEER_ENV.items()] + cmd


# What every nmt line says of the host, printed above the table.
HOST_FIELDS = ("host_isa", "kernel_isa", "blas_core", "libtorch_mm_gflops", "onednn_sgemm_gflops")


def benchmarks(args):
    nmt = [os.path.join(ROOT, args.nmt), "-q", "bench"]
    peer = ["/usr/bin/python3", os.path.join(args.peer_dir, "pytorch_ref.py"), "--data", args.data]
    work = args.work
    # The peer's settings (its README): dropout 0.1 everywhere and clipping at 1.0 for the transformer.
    tf = ["-c", "configs/transformer-multi30k.json", "--set", f"model_dir={work}/transformer",
          "--set", "training.dropout=0.1", "--set", "model.transformer.attention_dropout=0.1",
          "--set", "model.transformer.activation_dropout=0.1", "--set", "training.clip_norm=1.0"]
    rnn = ["-c", "configs/rnnsearch-multi30k.json", "--set", f"model_dir={work}/rnnsearch"]
    steps = {"transformer": (15, 3) if args.quick else (45, 5), "rnnsearch": (20, 4) if args.quick else (60, 10)}
    out = []
    for name, cfg in (("transformer", tf), ("rnnsearch", rnn)):
        s, w = steps[name]
        out.append((f"train/{name}-small", TRAIN_METRICS,
                    nmt + ["train"] + cfg + ["--steps", str(s), "--warmup", str(w)],
                    peer + ["bench", "--model", f"{name}-small", "--steps", str(s), "--warmup", str(w)]))
    for name, cfg in (("rnnsearch", rnn), ("transformer", tf)):
        limit = 200 if args.quick and name == "transformer" else 1000
        for beam in (1, 5):
            out.append((f"translate/{name}-small/beam{beam}/forced", TRANSLATE_METRICS,
                        nmt + ["translate"] + cfg + ["--beam", str(beam), "--limit", str(limit)],
                        peer + ["translate-bench", "--model", f"{name}-small", "--beam", str(beam),
                                "--mode", "forced", "--limit", str(limit)]))
    return out


def compare(args):
    env = dict(os.environ, MULTI30K=args.data)
    results, raw, host = [], open(args.raw, "w") if args.raw else None, {}
    selected = [b for b in benchmarks(args) if not args.only or any(o in b[0] for o in args.only)]
    for bench, metrics, nmt_cmd, peer_cmd in selected:
        runs = {"nmt": [], "peer": []}
        for r in range(args.repeat):
            order = ("nmt", "peer") if r % 2 == 0 else ("peer", "nmt")
            for who in order:
                cmd = nmt_cmd if who == "nmt" else peer_command(args, peer_cmd)
                log(f"{bench}: {who} (round {r + 1} of {args.repeat})")
                line = run_json(cmd, ROOT if who == "nmt" else args.peer_dir, env)[0]
                runs[who].append(line)
                if who == "nmt":
                    host.update({k: line[k] for k in HOST_FIELDS if k in line})
                if raw:
                    raw.write(json.dumps({"bench": bench, "who": who, "round": r + 1, **line}) + "\n")
                    raw.flush()
        for metric, nf, pf, better in metrics:
            n = statistics.median(x[nf] for x in runs["nmt"])
            p = statistics.median(x[pf] for x in runs["peer"])
            row = {"bench": bench, "metric": metric, "nmt": round(n, 4), "peer": round(p, 4),
                   "ratio": round(n / p, 3) if p else None, "better": better}
            if "mfu" in runs["nmt"][0]:
                row["mfu"] = round(statistics.median(x["mfu"] for x in runs["nmt"]), 4)
                row["peer_mfu"] = round(statistics.median(x["mfu"] for x in runs["peer"]), 4)
            target = TARGETS.get((bench, metric))
            if metric == "peak_rss_mb":
                target = ("<=", 1.0, "ratio")
            if target:
                op, value, what = target
                got = row[what]
                row["target"] = f"{what} {op} {value}"
                row["met"] = got >= value if op == ">=" else got <= value
            print(json.dumps(row), flush=True)
            results.append(row)
    print("\nhost: " + ", ".join(f"{k} {v:.0f}" if isinstance(v, float) else f"{k} {v}" for k, v in host.items()))
    print_table(results)


def on_torch(torch, cmd, cwd):
    """cmd, run in cwd against the named LibTorch: this host's ("host") or a Debian root's, whose
    nmt is build-NAME/nmt; the root sees this checkout and ../shared at their own paths."""
    if torch == "host":
        return cmd, cwd
    if cmd[0].endswith("/nmt"):  # the peer's starts with env or python3
        cmd = [os.path.join(ROOT, f"build-{torch}", "nmt")] + cmd[1:]
    return [os.path.join(ROOT, "scripts", "debian-root.sh"), torch, "env", "-C", cwd] + cmd, ROOT


def versions(args):
    """Every benchmark, nmt and the peer, on each LibTorch in --torch, alternating in a rotating order."""
    env = dict(os.environ, MULTI30K=args.data)
    raw = open(args.raw, "w") if args.raw else None
    selected = [b for b in benchmarks(args) if not args.only or any(o in b[0] for o in args.only)]
    sides = [(who, torch) for torch in args.torch for who in ("nmt", "peer")]
    rows = []
    for bench, metrics, nmt_cmd, peer_cmd in selected:
        runs = {side: [] for side in sides}
        for r in range(args.repeat):
            # ABBA over every side: each pair of rounds runs one order and its reverse, the next pair rotated.
            k = (r // 2) % len(sides)
            order = sides[k:] + sides[:k]
            for who, torch in (order if r % 2 == 0 else order[::-1]):
                log(f"{bench}: {who} on {torch} (round {r + 1} of {args.repeat})")
                cmd, cwd = on_torch(torch, nmt_cmd if who == "nmt" else peer_command(args, peer_cmd),
                                    ROOT if who == "nmt" else args.peer_dir)
                line = run_json(cmd, cwd, env)[0]
                runs[(who, torch)].append(line)
                if raw:
                    raw.write(json.dumps({"bench": bench, "who": who, "torch": torch, "round": r + 1, **line}) + "\n")
                    raw.flush()
        for metric, nf, pf, better in metrics:
            if better == "same":
                continue
            row = {"bench": bench, "metric": metric, "better": better}
            for torch in args.torch:
                nmt_runs, peer_runs = runs[("nmt", torch)], runs[("peer", torch)]
                n = statistics.median(x[nf] for x in nmt_runs)
                p = statistics.median(x[pf] for x in peer_runs)
                row[torch] = {"libtorch": nmt_runs[0].get("libtorch"), "peer_torch": peer_runs[0].get("torch"),
                              "nmt": round(n, 4), "peer": round(p, 4), "ratio": round(n / p, 3) if p else None}
            print(json.dumps(row), flush=True)
            rows.append(row)
    first = rows[0] if rows else {}
    print("\n| bench | metric | " + " | ".join(
        f"nmt, LibTorch {first[t]['libtorch']} | peer, torch {first[t]['peer_torch']} | nmt / peer" for t in args.torch) + " |")
    print("|---|---|" + "---:|---:|---:|" * len(args.torch))
    for row in rows:
        print(f"| {row['bench']} | {row['metric']} | " + " | ".join(
            f"{row[t]['nmt']:,.1f} | {row[t]['peer']:,.1f} | {row[t]['ratio']:.2f}" for t in args.torch) + " |")


def print_table(results):
    print("\n| bench | metric | nmt | peer | nmt / peer | target | met |")
    print("|---|---|---:|---:|---:|---|---|")
    for r in results:
        fmt = (lambda v: f"{v:,.0f}") if abs(r["nmt"]) >= 1000 else (lambda v: f"{v:.3g}" if v < 10 else f"{v:.1f}")
        met = "" if "met" not in r else ("yes" if r["met"] else "**no**")
        print(f"| {r['bench']} | {r['metric']} | {fmt(r['nmt'])} | {fmt(r['peer'])} | {r['ratio']:.2f} | "
              f"{r.get('target', '')} | {met} |")


def levers(args):
    """nmt against itself with one lever off at a time, alternating (ABBA with --repeat 2)."""
    env = dict(os.environ, MULTI30K=args.data)
    nmt = [os.path.join(ROOT, args.nmt), "-q", "bench"]
    tf = ["-c", "configs/transformer-multi30k.json", "--set", f"model_dir={args.work}/transformer"]
    rnn = ["-c", "configs/rnnsearch-multi30k.json", "--set", f"model_dir={args.work}/rnnsearch"]
    train = {"transformer": nmt + ["train"] + tf + ["--steps", "15", "--warmup", "3"],
             "rnnsearch": nmt + ["train"] + rnn + ["--steps", "20", "--warmup", "4"]}
    beam5 = {"transformer": nmt + ["translate"] + tf + ["--beam", "5", "--limit", "200"],
             "rnnsearch": nmt + ["translate"] + rnn + ["--beam", "5", "--limit", "1000"]}
    tok = {"train": "train_tgt_tokens_per_s", "translate": "sentences_per_s"}
    # (lever, what runs, the command with the lever on, with it off, the environment that turns it off)
    cases = []
    for name in ("transformer", "rnnsearch"):
        t, b = train[name], beam5[name]
        cases += [("2 threads (vs 1)", f"train/{name}", t, t + ["--threads", "1"], {}),
                  ("length-bucketed batches", f"train/{name}", t, t + ["--no-bucketing"], {}),
                  ("whole-sequence decoder products", f"train/{name}", t, t + ["--stepwise"], {}),
                  ("oneDNN sgemm (vs LibTorch's mm)", f"train/{name}", t, t, {"NMT_GEMM": "libtorch"}),
                  ("per-shape sgemm (vs oneDNN's for every product)", f"train/{name}", t, t, {"NMT_GEMM": "onednn"}),
                  ("every kernel at AVX-512 (vs AVX2)", f"train/{name}", t, t, {"NMT_CPU_ISA": "avx2"}),
                  ("length-sorted batches", f"translate/{name}/beam5", b, b + ["--unsorted"], {}),
                  ("finished sentences leave the batch", f"translate/{name}/beam5", b, b + ["--keep-finished"], {}),
                  ("oneDNN sgemm (vs LibTorch's mm)", f"translate/{name}/beam5", b, b, {"NMT_GEMM": "libtorch"}),
                  ("int8 linear layers (vs fp32)", f"translate/{name}/beam5", b + ["--int8"], b, {})]
    for lever, bench, on_cmd, off_cmd, off_env in cases:
        if args.only and not any(o in bench or o in lever for o in args.only):
            continue
        metric = tok[bench.split("/")[0]]
        runs = {"on": [], "off": []}
        for r in range(args.repeat):
            for side in (("on", "off") if r % 2 == 0 else ("off", "on")):
                log(f"{lever}, {bench}: {side} (round {r + 1} of {args.repeat})")
                cmd, side_env = (on_cmd, env) if side == "on" else (off_cmd, dict(env, **off_env))
                runs[side].append(run_json(cmd, ROOT, side_env)[0])
        on = statistics.median(x[metric] for x in runs["on"])
        off_ = statistics.median(x[metric] for x in runs["off"])
        row = {"lever": lever, "bench": bench, "metric": metric, "on": round(on, 2), "off": round(off_, 2),
               "speedup": round(on / off_, 3),
               "peak_rss_mb_on": round(statistics.median(x["peak_rss_mb"] for x in runs["on"])),
               "peak_rss_mb_off": round(statistics.median(x["peak_rss_mb"] for x in runs["off"]))}
        print(json.dumps(row), flush=True)


def growth(args):
    """nmt alone: cost against lines translated, sentence length and batch tokens."""
    env = dict(os.environ, MULTI30K=args.data)
    nmt = [os.path.join(ROOT, args.nmt), "-q", "bench"]
    models = {"transformer": ["-c", "configs/transformer-multi30k.json", "--set", f"model_dir={args.work}/transformer"],
              "rnnsearch": ["-c", "configs/rnnsearch-multi30k.json", "--set", f"model_dir={args.work}/rnnsearch"]}
    for name, cfg in models.items():
        for limit in (125, 250, 500, 1000):
            line = run_json(nmt + ["translate"] + cfg + ["--beam", "5", "--limit", str(limit)], ROOT, env)[0]
            print(json.dumps({"growth": "translate_lines", "model": name, "lines": limit, "wall_s": line["wall_s"],
                              "ms_per_line": round(1e3 * line["wall_s"] / limit, 2)}), flush=True)
        for length in (8, 16, 32, 64, 128):
            line = run_json(nmt + ["train"] + cfg + ["--synthetic-len", str(length), "--steps", "6", "--warmup", "2"],
                            ROOT, env)[0]
            print(json.dumps({"growth": "train_length", "model": name, "length": length,
                              "step_ms_median": round(line["step_ms_median"], 1),
                              "us_per_tgt_token": round(1e6 / line["train_tgt_tokens_per_s"], 1),
                              "flops_per_tgt_token": round(line["flops_per_tgt_token"]),
                              "mfu": round(line["mfu"], 3)}), flush=True)
        for tokens in (1024, 2048, 4096, 8192):
            line = run_json(nmt + ["train"] + cfg + ["--set", f"training.batch_tokens={tokens}",
                                                     "--steps", "4", "--warmup", "1"], ROOT, env)[0]
            print(json.dumps({"growth": "memory_batch_tokens", "model": name, "batch_tokens": tokens,
                              "peak_rss_mb": round(line["peak_rss_mb"]),
                              "step_ms_median": round(line["step_ms_median"], 1)}), flush=True)


def scale(args):
    """Data-parallel training on this machine: 2 processes x 1 thread (--nproc 2) against
    1 process x 2 threads, both making the same updates (the single process with
    update_freq 2), ABBA. Target tokens/s is the median over the progress windows
    after the first; collective_wait_share is the part of rank 0's time spent blocked
    in collectives (gradient sums backward did not hide, and waits for the other rank)."""
    env = dict(os.environ, MULTI30K=args.data)
    steps = 12 if args.quick else 40
    configs = {"transformer": "configs/transformer-multi30k-cpu.json", "rnnsearch": "configs/rnnsearch-multi30k.json"}
    sides = {"1x2": ["--threads", "2", "--set", "training.update_freq=2"], "2x1": ["--nproc", "2"]}
    for name, config in configs.items():
        if args.only and not any(o in name for o in args.only):
            continue
        runs = {side: [] for side in sides}
        for r in range(args.repeat):
            for side in (("1x2", "2x1") if r % 2 == 0 else ("2x1", "1x2")):
                log(f"scale {name}: {side} (round {r + 1} of {args.repeat})")
                work = f"{args.work}/scale-{name}-{side}"
                subprocess.run(["rm", "-rf", work], check=True)
                cmd = [os.path.join(ROOT, args.nmt), "-q", "train", "-c", config, "--set", f"model_dir={work}",
                       "--set", f"training.max_steps={steps}", "--set", "training.log_every=4",
                       "--set", "training.warmup=4000", "--set", "data.valid.src=", "--set", "data.valid.tgt="]
                run_json(cmd + sides[side], ROOT, env)
                with open(f"{work}/metrics.jsonl") as f:
                    events = [e for e in map(json.loads, f) if e["event"] == "train"][1:]
                runs[side].append({"tok_per_s": statistics.median(e["tgt_tok_per_s"] for e in events),
                                   "wait": statistics.median(e.get("collective_wait_share", 0) for e in events)})
        one, two = (statistics.median(x["tok_per_s"] for x in runs[s]) for s in ("1x2", "2x1"))
        print(json.dumps({"scale": name, "metric": "tgt_tok_per_s", "1proc_x_2threads": round(one),
                          "2procs_x_1thread": round(two), "ratio": round(two / one, 3),
                          "collective_wait_share": round(statistics.median(x["wait"] for x in runs["2x1"]), 3)}),
              flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                 allow_abbrev=False)
    ap.add_argument("--quick", action="store_true", help="fewer steps and sentences: about 10 minutes in all")
    ap.add_argument("--repeat", type=int, default=1, help="rounds per benchmark, alternating who goes first")
    ap.add_argument("--only", nargs="*", help="benchmarks whose name contains one of these")
    ap.add_argument("--growth", action="store_true", help="measure nmt's cost growth instead of comparing")
    ap.add_argument("--levers", action="store_true", help="measure what each speed lever buys, nmt against itself")
    ap.add_argument("--scale", action="store_true", help="data-parallel: 2 processes x 1 thread against 1 x 2")
    ap.add_argument("--torch", type=lambda v: v.split(","),
                    help="comma-separated LibTorches to compare on: host, trixie, sid (Debian roots)")
    ap.add_argument("--untuned-peer", action="store_true",
                    help="run the peer with LibTorch's and OpenBLAS's default thread waits (see PEER_ENV)")
    ap.add_argument("--raw", help="write every run's full JSON line here")
    ap.add_argument("--nmt", default=os.environ.get("NMT", "build/nmt"))
    ap.add_argument("--data", default=os.environ.get("MULTI30K", os.path.join(ROOT, "../shared/data/multi30k")))
    ap.add_argument("--peer-dir", default=os.environ.get("PEER_DIR", os.path.join(ROOT, "../shared/peers")))
    ap.add_argument("--work", default=os.environ.get("BENCH_DIR", "/tmp/nmt-bench"))
    args = ap.parse_args()
    args.data, args.peer_dir = os.path.abspath(args.data), os.path.abspath(args.peer_dir)
    log(f"{platform.node()}: {os.cpu_count()} cores; data {args.data}; peer {args.peer_dir}")
    if args.torch:
        versions(args)
    else:
        growth(args) if args.growth else levers(args) if args.levers else scale(args) if args.scale else compare(args)


if __name__ == "__main__":
    main()
