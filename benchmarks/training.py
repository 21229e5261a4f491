"""Training, inference and attribution throughput of our Brain-ResNet vs the same network in PyTorch.

Prints JSON, all measured in one process on the same machine state:
* TF: ``brainresnet_tf.train.fit.build_for_config`` (the package's model and compile settings),
  trained with Keras ``fit`` through the real tf.data pipeline (``make_dataset``: shuffled,
  reverse-complement augmented, one-hot expanded, prefetched) on a random genome;
* PyTorch: ``benchmarks/torch_resnet.py``, the same layers and parameter count (checked, and the
  outputs compared with copied weights), float32, same batch and thread count, trained with Adam
  and the same masked loss on the same batches (drawn once from the same pipeline, already one-hot
  and channels-first in memory, so PyTorch pays no input cost);
* rounds alternate TF and PyTorch; the median of the rounds is reported, with the TF/PyTorch ratio;
* FLOPs per sequence from the layer shapes (``benchmarks/flops.py``) and the achieved FLOP/s as a
  fraction of a float32 matmul measured in the same run;
* inference (``model.predict``, one strand; and the PyTorch forward) and attribution (input
  gradients of one profile's logit, strand-averaged, ``brainresnet_tf.inference.attribution.gradients``).
Usage: python benchmarks/training.py [--models demo,resnet1.5m] [--batch-size 64] [--steps 20]
       [--jit default|on|off] [--mixed-precision] [--pipeline real|cached] [--inter-op N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from flops import best_rate, model_flops, peak_matmul_flops  # noqa: E402
from pipeline import write_random_genome  # noqa: E402

from brainresnet_tf.data.pipeline import WindowSource, make_dataset  # noqa: E402
from brainresnet_tf.data.windows import WindowTable  # noqa: E402
from brainresnet_tf.inference import attribution as A  # noqa: E402
from brainresnet_tf.io.genome import Genome  # noqa: E402
from brainresnet_tf.train.config import load_config  # noqa: E402
from brainresnet_tf.train.fit import build_for_config, positive_weights  # noqa: E402
from brainresnet_tf.workflows.demo import DEMO_SETTINGS  # noqa: E402

try:
    import torch
    from torch_resnet import TorchResNet, copy_keras_weights, masked_bce, parameter_count
except ImportError as err:  # the PyTorch half is optional: torch is not a package dependency
    torch, TORCH_ERROR = None, f"PyTorch not installed ({err}); pip install torch==2.13.0"
else:
    TORCH_ERROR = None

# model name -> (number of profiles, config overrides of model.resnet)
MODELS = {
    "demo": (3, DEMO_SETTINGS["full"]["model"]["resnet"]),  # configs/demo.yaml: 169k params
    "resnet1.5m": (
        8,
        {"stem_filters": 64, "stage_filters": [128, 144, 192], "blocks_per_stage": 2},
    ),  # 1.50M params (dilations 1 and 2)
}


class StepTimer(keras.callbacks.Callback):
    """Steps/s after the first ``skip`` steps (``batch`` counts steps, also with steps_per_execution)."""

    def __init__(self, skip: int):
        super().__init__()
        self.skip, self.marks = skip, []

    def on_train_batch_end(self, batch, logs=None):
        float(logs["loss"])  # the step has finished
        self.marks.append((batch, time.perf_counter()))

    def steps_per_s(self) -> float:
        b0, t0 = next(m for m in self.marks if m[0] >= self.skip - 1)
        b1, t1 = self.marks[-1]
        return (b1 - b0) / (t1 - t0)


def random_source(tmp: Path, n_windows: int, n_profiles: int, context: int) -> WindowSource:
    """A WindowSource over a random 2 x 1 Mb genome with random labels."""
    fasta = tmp / "genome.fa"
    if not fasta.exists():
        write_random_genome(fasta, n_chroms=2, length=1_000_000)
    genome = Genome(fasta, cache_dir=tmp)
    rng = np.random.default_rng(0)
    chroms = np.array([f"chr{i}" for i in rng.integers(1, 3, n_windows)])
    starts = (rng.integers(context, 1_000_000 - 2 * context, n_windows) // 200) * 200
    labels = (rng.random((n_windows, n_profiles)) < 0.3).astype(np.float32)
    table = WindowTable(
        [f"p{i}" for i in range(n_profiles)],
        chroms,
        starts,
        labels,
        np.array(["train"] * n_windows),
        200,
        context,
    )
    return WindowSource(genome, table)


def train_dataset(source: WindowSource, batch_size: int) -> tf.data.Dataset:
    """The training input exactly as ``train_model`` builds it."""
    return make_dataset(
        source, batch_size, shuffle=True, rc_augment=True, seed=0, repeat=True, drop_remainder=True
    )


def tf_round(model: keras.Model, ds: tf.data.Dataset, skip: int, steps: int, batch: int) -> float:
    """Sequences/s of ``fit`` over ``steps`` steps after ``skip`` untimed ones."""
    timer = StepTimer(skip)
    model.fit(ds, epochs=1, steps_per_epoch=skip + steps, callbacks=[timer], verbose=0, shuffle=False)
    return batch * timer.steps_per_s()


def torch_round(net, opt, batches, weights, skip: int, steps: int, batch: int) -> float:
    """Sequences/s of PyTorch training steps over the same batches."""
    net.train()
    t = 0.0
    for i in range(skip + steps):
        if i == skip:
            t = time.perf_counter()
        x, y = batches[i % len(batches)]
        opt.zero_grad(set_to_none=True)
        loss = masked_bce(net(x), y, weights)
        loss.backward()
        opt.step()
    float(loss.detach())
    return steps * batch / (time.perf_counter() - t)


def summary(rates: list[float]) -> dict:
    return {"seq_per_s": round(statistics.median(rates), 2), "rounds": [round(r, 2) for r in rates]}


def with_peak_fractions(out: dict, peak: float) -> dict:
    """Add ``fraction_of_peak`` beside every ``achieved_flop_per_s``."""
    for part in out.values():
        if isinstance(part, dict) and "achieved_flop_per_s" in part:
            part["fraction_of_peak"] = round(part["achieved_flop_per_s"] / peak, 4)
    return out


def benchmark_model(name: str, args, tmp: Path) -> dict:
    n_profiles, resnet = MODELS[name]
    b = args.batch_size
    n_windows = b * (args.warmup + args.steps) * 2 + 1
    source = random_source(tmp, n_windows, n_profiles, args.context)
    config = load_config(
        None, {"windows.context": args.context, **{f"model.resnet.{k}": v for k, v in resnet.items()}}
    )
    keras.utils.set_random_seed(0)
    model = build_for_config(config, source.table, "resnet")
    if args.jit != "default":
        model.jit_compile = args.jit == "on"
    if args.steps_per_execution > 1:
        model.compile(
            optimizer=model.optimizer,
            loss=model.loss,
            jit_compile=model.jit_compile,
            steps_per_execution=args.steps_per_execution,
        )
    flops = model_flops(model)
    ds = train_dataset(source, b)
    n_batches = args.warmup + args.steps
    cached = [(x.numpy(), y.numpy()) for x, y in ds.take(n_batches)]
    if args.pipeline == "cached":  # no input pipeline: the same batches from memory
        ds = tf.data.Dataset.from_tensor_slices(tuple(np.stack(a) for a in zip(*cached))).repeat().prefetch(2)

    torch_part: dict = {"error": TORCH_ERROR} if torch is None else {}
    if torch is not None:
        torch.manual_seed(0)
        net = TorchResNet(n_profiles, config.model.resnet)
        copy_keras_weights(net, model)
        x_check = cached[0][0][:16]
        with torch.no_grad():
            diff = np.abs(
                net.eval()(torch.from_numpy(x_check.transpose(0, 2, 1).copy())).numpy()
                - model(x_check, training=False).numpy()
            ).max()
        opt = torch.optim.Adam(net.parameters(), lr=config.training.learning_rate, eps=1e-7)
        weights = torch.tensor(positive_weights(source.table.labels), dtype=torch.float32)
        batches = [(torch.from_numpy(x.transpose(0, 2, 1).copy()), torch.from_numpy(y)) for x, y in cached]
        torch_part = {
            "params": parameter_count(net),
            "max_abs_output_diff_same_weights": float(diff),
            "rounds": [],
        }

    flipped = None
    if args.ab_jit:  # the same network and weights, XLA the other way round
        keras.utils.set_random_seed(0)
        flipped = build_for_config(config, source.table, "resnet")
        flipped.set_weights(model.get_weights())
        flipped.jit_compile = not model.jit_compile
    tf_rates, torch_rates, flipped_rates = [], [], []
    for r in range(args.rounds):  # alternate: both see the same machine state
        skip = args.warmup if r == 0 else 2
        tf_rates.append(tf_round(model, ds, skip, args.steps, b))
        if flipped is not None:
            flipped_rates.append(tf_round(flipped, ds, skip, args.steps, b))
        if torch is not None:
            torch_rates.append(torch_round(net, opt, batches, weights, skip, args.steps, b))
    tf_train = summary(tf_rates)
    out = {
        "params": model.count_params(),
        "profiles": n_profiles,
        "spec": resnet,
        "jit_compile": bool(model.jit_compile),
        "flops_per_seq": flops,
        "tf_train": {
            **tf_train,
            "achieved_flop_per_s": round(tf_train["seq_per_s"] * flops["training_step"]),
        },
    }
    if flipped is not None:
        out["tf_train_jit_flipped"] = {"jit_compile": bool(flipped.jit_compile), **summary(flipped_rates)}
        out["ratio_flipped_over_tf_per_round"] = [round(f / t, 3) for f, t in zip(flipped_rates, tf_rates)]
    if torch is not None:
        torch_train = summary(torch_rates)
        torch_part.pop("rounds")
        out["torch_train"] = {
            **torch_part,
            **torch_train,
            "achieved_flop_per_s": round(torch_train["seq_per_s"] * flops["training_step"]),
        }
        out["ratio_tf_over_torch_train"] = round(tf_train["seq_per_s"] / torch_train["seq_per_s"], 3)
        per_round = [t / p for t, p in zip(tf_rates, torch_rates)]
        out["ratio_per_round"] = [round(x, 3) for x in per_round]
        out["ratio_median_of_rounds"] = round(statistics.median(per_round), 3)

    # inference and attribution on fixed one-hot sequences
    x = np.concatenate([c[0] for c in cached])[: args.infer_sequences]
    n = len(x)
    rate = best_rate(lambda: model.predict(x, batch_size=args.infer_batch, verbose=0), n, args.repeats)
    out["tf_predict"] = {
        "seq_per_s": round(rate, 1),
        "batch_size": args.infer_batch,
        "achieved_flop_per_s": round(rate * flops["forward"]),
    }
    target = A.make_target(model, source.table.profiles, 0)
    rate = best_rate(lambda: A.gradients(target, x, args.infer_batch), n, args.repeats)
    out["tf_input_gradients"] = {  # strand-averaged: two model passes per sequence
        "seq_per_s": round(rate, 1),
        "batch_size": args.infer_batch,
        "achieved_flop_per_s": round(rate * 2 * flops["input_gradient"]),
    }
    if torch is not None:
        xt = torch.from_numpy(x.transpose(0, 2, 1).copy())
        net.eval()

        def torch_predict():
            with torch.no_grad():
                return [net(xt[i : i + args.infer_batch]) for i in range(0, n, args.infer_batch)]

        rate = best_rate(torch_predict, n, args.repeats)
        out["torch_predict"] = {
            "seq_per_s": round(rate, 1),
            "achieved_flop_per_s": round(rate * flops["forward"]),
        }
        out["ratio_tf_over_torch_predict"] = round(out["tf_predict"]["seq_per_s"] / rate, 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="demo,resnet1.5m", help=f"comma-separated: {', '.join(MODELS)}")
    ap.add_argument("--context", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=10, help="untimed steps in the first round")
    ap.add_argument("--steps", type=int, default=20, help="timed steps per round")
    ap.add_argument("--rounds", type=int, default=3, help="alternating TF/PyTorch rounds")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="intra-op threads (both)")
    ap.add_argument("--inter-op", type=int, default=0, help="TF inter-op threads (0: TF's default)")
    ap.add_argument(
        "--jit",
        choices=("default", "on", "off"),
        default="default",
        help="XLA for TF training (default: as compile_model sets it)",
    )
    ap.add_argument("--mixed-precision", action="store_true", help="TF mixed_bfloat16 policy")
    ap.add_argument(
        "--pipeline",
        choices=("real", "cached"),
        default="real",
        help="TF input: the tf.data pipeline, or the same batches from memory",
    )
    ap.add_argument("--steps-per-execution", type=int, default=1)
    ap.add_argument(
        "--ab-jit",
        action="store_true",
        help="also train a copy with XLA flipped, in the same alternating rounds",
    )
    ap.add_argument("--infer-sequences", type=int, default=512)
    ap.add_argument("--infer-batch", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=2, help="inference: best of")
    args = ap.parse_args()

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    if args.inter_op:
        tf.config.threading.set_inter_op_parallelism_threads(args.inter_op)
    if torch is not None:
        torch.set_num_threads(args.threads)
    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    peaks = [peak_matmul_flops()]  # before and after the models: the best of both is the peak
    result = {
        "benchmark": "training throughput, ours (Keras fit, tf.data) vs PyTorch, same network",
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "torch": torch.__version__ if torch is not None else None,
        },
        "settings": {k: v for k, v in vars(args).items()},
    }
    if torch is None:
        result["torch_error"] = TORCH_ERROR
    with tempfile.TemporaryDirectory() as tmp:
        models = {name: benchmark_model(name, args, Path(tmp)) for name in args.models.split(",")}
    peaks.append(peak_matmul_flops())
    peak = max(p["peak"] for p in peaks)
    result["peak_matmul_flop_per_s"] = {
        "peak": round(peak),
        "n": peaks[0]["n"],
        "measured": [{k: round(v) for k, v in p.items() if k != "n"} for p in peaks],
    }
    for name, out in models.items():
        result[name] = with_peak_fractions(out, peak)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
