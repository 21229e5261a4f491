"""YAML configuration -> validated, typed dataclasses (unknown keys are errors, with suggestions)."""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from brainresnet_tf.data.sequence_sets import SequenceSpec, files_in
from brainresnet_tf.data.targets import Profile
from brainresnet_tf.data.windows import WindowSpec, check_spec
from brainresnet_tf.errors import InputError
from brainresnet_tf.models.specs import (
    ARCHITECTURES,
    BASELINE_POOLING,
    TRANSFER_MODES,
    BaselineSpec,
    ResNetSpec,
)

STRATEGIES = ("auto", "default", "mirrored", "multi_worker")
LOOPS = ("auto", "fit", "custom")
TARGETS = ("peaks", "signal")


@dataclass(frozen=True)
class GenomeSpec:
    """The reference FASTA and where its encoded cache lives."""

    fasta: Path | None = None
    cache_dir: Path | None = None
    build: str = ""  # assembly name (hg38, ...), recorded in models and checked on transfer


@dataclass(frozen=True)
class ModelConfig:
    """Which architecture to train and the sizes of each."""

    arch: str = "resnet"
    resnet: ResNetSpec = ResNetSpec()
    baseline: BaselineSpec = BaselineSpec()


@dataclass(frozen=True)
class TransferSpec:
    """Borrowing a pre-trained feature extractor (``brainresnet pretrain``), MetaChrom-style."""

    extractor: Path | None = None  # extractor.keras written by brainresnet pretrain
    mode: str = "none"  # none | frozen | fine_tune
    learning_rate: float = 1e-4  # the extractor's own (lower) rate when fine-tuning


@dataclass(frozen=True)
class TrainingSpec:
    """Optimisation, early stopping and the tf.distribute strategy."""

    batch_size: int = 64  # GLOBAL batch per step, split evenly over all replicas of all
    # workers (per-replica = batch_size / replicas), so a config
    # trains the same model under every strategy
    epochs: int | None = None  # None: 60 on small data (< small_data windows), else 20
    learning_rate: float = 1e-3
    weight_decay: float = 0.01  # AdamW's decoupled weight decay (0: plain Adam)
    patience: int | None = None  # epochs without validation AUPRC gain before stopping (12 / 4)
    min_epochs: int | None = None  # never stop before this (10 / 5)
    ensemble: int | None = None  # members averaged, each from its own seed (3 / 1)
    monitor: str = "auprc"  # validation metric that keeps the best epoch: auprc or auroc (ties: lower loss)
    jitter: int = 20  # random shift of each training window, bp either way, redrawn every epoch
    test_time_shift: int | None = None  # the saved model averages its window moved by -s, 0, +s bp
    # (None: 10 on small data, else 0, i.e. off)
    mutate: float | None = None  # each training base redrawn from ACGT with this probability, every
    # epoch (EvoAug's random mutation; None: 0.05 on small data, else 0, i.e. off)
    flank_mask: float | None = None  # share of training windows cut to a random central stretch
    # (1/4 to all of the window, the flanks N), as short sequences are scored centred in N
    # (None: chosen by data size in train/fit.py)
    shuffled_negatives: float | None = None  # per positive training window, this many dinucleotide
    # shuffles of it join each epoch as negatives for every profile (None: 1 for peaks, 0 for signal)
    motif_filters: int | None = None  # ResNet stem filters set from the JASPAR motifs most enriched
    # in the training positives over their shuffles, the rest random (train/motif_init.py; the CNN
    # baseline keeps random filters: CV chose that for it; None: 64 on small peak data, else 32)
    small_data: int = 5000  # fewer training windows than this take the small-data defaults above
    strategy: str = "auto"  # auto | default | mirrored | multi_worker (auto: multi_worker
    # when TF_CONFIG is set, mirrored with >1 GPU, else default)
    loop: str = "auto"  # auto | fit | custom: Keras fit, or the strategy.run loop of
    # distributed.py (auto: custom under multi_worker, else fit)
    class_weighting: bool = True  # up-weight positives of rare profiles (peaks target)
    rc_augment: bool = True
    seed: int = 0
    tensorboard: bool = True
    progress: bool = True


@dataclass(frozen=True)
class Config:
    """A whole run: genome, profiles, binning, model, training and output directory."""

    genome: GenomeSpec = GenomeSpec()
    profiles: tuple[Profile, ...] = ()
    sequences: SequenceSpec = SequenceSpec()  # labelled sequence sets instead of genome + profiles
    windows: WindowSpec = WindowSpec()
    model: ModelConfig = ModelConfig()
    transfer: TransferSpec = TransferSpec()
    training: TrainingSpec = TrainingSpec()
    out_dir: Path = Path("runs/brainresnet")
    source: Path | None = field(default=None, compare=False)


def load_config(path: str | os.PathLike | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Read a YAML config (paths relative to its folder), apply ``overrides`` (dotted keys)."""
    data: dict[str, Any] = {}
    base = Path.cwd()
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise InputError(f"{path}: config file not found")
        if path.is_dir():
            raise InputError(f"{path}: is a folder; expected a YAML config file (see configs/)")
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as err:
            where = getattr(err, "problem_mark", None)
            line = f":{where.line + 1}" if where is not None else ""
            problem = getattr(err, "problem", None) or str(err).splitlines()[0]
            raise InputError(f"{path}{line}: not valid YAML ({problem})") from None
        except (UnicodeDecodeError, ValueError):
            raise InputError(f"{path}: not a text file; expected a YAML config") from None
        if not isinstance(data, dict):
            raise InputError(f"{path}: config must be a mapping of sections")
        base = path.parent
    for dotted, value in (overrides or {}).items():
        set_dotted(data, dotted, value)
    where = str(path) if path is not None else "config"
    config = _build(Config, data, where, "", base)
    validate(config, where)
    return dataclasses.replace(config, source=Path(path) if path is not None else None)


def validate(config: Config, where: str = "config") -> None:
    """Check every value's range and choice (no TensorFlow needed): one line per problem."""

    def bad(key: str, value: Any, expected: str) -> InputError:
        return InputError(f"{where}: '{key}' is {value!r}; expected {expected}")

    def positive(key: str, value: float, allow_zero: bool = False) -> None:
        ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
        if not ok:
            raise bad(key, value, "a number >= 0" if allow_zero else "a number > 0")

    def fraction(key: str, value: float, low_open: bool = False) -> None:
        if not (math.isfinite(value) and (0 < value if low_open else 0 <= value) and value <= 1):
            raise bad(key, value, "a fraction in (0, 1]" if low_open else "a fraction in [0, 1]")

    def choice(key: str, value: str, options: tuple[str, ...]) -> None:
        if value not in options:
            raise bad(key, value, "one of " + ", ".join(options))

    choice("model.arch", config.model.arch, ARCHITECTURES)
    choice("transfer.mode", config.transfer.mode, TRANSFER_MODES)
    choice("model.baseline.pooling", config.model.baseline.pooling, BASELINE_POOLING)
    choice("training.strategy", config.training.strategy, STRATEGIES)
    choice("training.loop", config.training.loop, LOOPS)
    choice("training.monitor", config.training.monitor, ("auprc", "auroc"))
    choice("windows.target", config.windows.target, TARGETS)
    w, tr = config.windows, config.training
    for key, value in (
        ("windows.bin_size", w.bin_size),
        ("windows.context", w.context),
        ("training.batch_size", tr.batch_size),
    ):
        positive(key, value)
    for key in ("epochs", "patience", "ensemble"):  # None: the data-size-aware default
        if getattr(tr, key) is not None:
            positive(f"training.{key}", getattr(tr, key))
    positive("training.weight_decay", tr.weight_decay, allow_zero=True)
    positive("training.jitter", tr.jitter, allow_zero=True)
    if tr.test_time_shift is not None:
        positive("training.test_time_shift", tr.test_time_shift, allow_zero=True)
    positive("training.small_data", tr.small_data, allow_zero=True)
    for key in ("mutate", "flank_mask"):
        rate = getattr(tr, key)
        if rate is not None and not (math.isfinite(rate) and 0 <= rate < 1):
            raise bad(f"training.{key}", rate, "a rate in [0, 1) (0: off)")
    for key, why in (
        ("shuffled_negatives", "shuffles are negatives of binary peak labels"),
        ("motif_filters", "motifs are chosen by enrichment in positive windows"),
    ):  # peak-only options: None is the default, 0 is off
        value = getattr(tr, key)
        if value is not None:
            positive(f"training.{key}", value, allow_zero=True)
            if value > 0 and config.windows.target != "peaks":
                raise bad(f"training.{key}", value, f"0 with windows.target signal ({why})")
    if w.context < w.bin_size:
        raise bad("windows.context", w.context, f"at least windows.bin_size ({w.bin_size})")
    positive("windows.negative_ratio", w.negative_ratio, allow_zero=True)
    fraction("windows.min_overlap", w.min_overlap, low_open=True)
    fraction("windows.max_n_fraction", w.max_n_fraction)
    fraction("windows.signal_quantile", w.signal_quantile, low_open=True)
    positive("training.learning_rate", tr.learning_rate)
    positive("transfer.learning_rate", config.transfer.learning_rate, allow_zero=True)  # 0: BN stats only
    if tr.min_epochs is not None:
        positive("training.min_epochs", tr.min_epochs, allow_zero=True)
    check_spec(w, where)  # the split keys (fractions, block_size, seed) and the rest again
    _validate_spec("model.resnet", config.model.resnet, bad)
    _validate_spec("model.baseline", config.model.baseline, bad)
    s = config.sequences
    fraction("sequences.valid_fraction", s.valid_fraction)
    fraction("sequences.test_fraction", s.test_fraction)
    if s.valid_fraction + s.test_fraction >= 1:
        raise bad("sequences.valid_fraction", s.valid_fraction, "valid_fraction + test_fraction below 1")
    if s.length is not None:
        positive("sequences.length", s.length)
    if (s.valid.given or s.test.given) and not s.enabled:
        raise InputError(f"{where}: sequences.valid/test are given but sequences.train is not")
    if s.enabled and config.profiles:
        raise InputError(
            f"{where}: give either sequences (labelled sequence sets) or profiles (genome peaks), not both"
        )
    names = [p.name for p in config.profiles]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(
            f"{where}: profile name(s) {', '.join(map(repr, repeated))} appear more than once; "
            "every profile needs its own name (one model output each)"
        )
    for p in config.profiles:
        if not p.name.strip():
            raise InputError(f"{where}: a profile has an empty name")


def _validate_spec(prefix: str, spec: Any, bad) -> None:
    """Sizes > 0, dropout rates in [0, 1), filter lists not empty."""
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        key = f"{prefix}.{f.name}"
        if "dropout" in f.name:
            if not (math.isfinite(value) and 0 <= value < 1):
                raise bad(key, value, "a rate in [0, 1)")
        elif isinstance(value, tuple):
            if not value or any(not isinstance(v, int) or v < 1 for v in value):
                raise bad(key, list(value), "a non-empty list of positive integers")
        elif isinstance(value, int) and not isinstance(value, bool) and value < 1:
            raise bad(key, value, "a positive integer")


def set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``data["a"]["b"] = value`` for ``dotted="a.b"``, creating sections as needed."""
    keys = dotted.split(".")
    if not all(keys):
        raise InputError(f"--set {dotted}=...: empty key part (expected section.key=value)")
    node = data
    for i, key in enumerate(keys[:-1]):
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise InputError(f"--set {dotted}=...: '{'.'.join(keys[: i + 1])}' is a value, not a section")
    node[keys[-1]] = value


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["training.epochs=3", ...]`` -> ``{"training.epochs": 3}`` (values parsed as YAML)."""
    out = {}
    for item in items:
        if "=" not in item:
            raise InputError(f"--set {item!r}: expected KEY=VALUE, e.g. training.epochs=3")
        key, value = item.split("=", 1)
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise InputError(
                f"--set {item!r}: the value is not valid YAML (quote strings: key='a,b')"
            ) from None
    return out


def config_to_dict(config: Config) -> dict[str, Any]:
    """Plain-YAML form of a config (paths as strings), for saving beside a run."""

    def plain(value):
        if dataclasses.is_dataclass(value):
            return {
                f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "source"
            }
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, Path):
            return str(value)
        return value

    return plain(config)


def _build(cls, data: Any, where: str, prefix: str, base: Path):
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"{where}: '{prefix or 'config'}' must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls) if f.name != "source"]
    kwargs = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}".encode("unicode_escape").decode("ascii")  # shown on one line
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=1)
            hint = f"; did you mean '{prefix}{close[0]}'?" if close else f"; known keys: {', '.join(names)}"
            raise InputError(f"{where}: unknown config key '{dotted}'{hint}")
        kwargs[key] = _convert(hints[key], value, where, dotted, base)
    return cls(**kwargs)


def _convert(hint, value, where: str, dotted: str, base: Path):
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        hint = next(a for a in args if a is not type(None))
        return _convert(hint, value, where, dotted, base)
    if dataclasses.is_dataclass(hint):
        if hint is Profile:
            return _profile(value, where, dotted, base)
        return _build(hint, value, where, dotted + ".", base)
    if origin is tuple:
        if value is None:
            return ()
        if not isinstance(value, (list, tuple)):
            value = [value]
        return tuple(_convert(args[0], v, where, f"{dotted}[{i}]", base) for i, v in enumerate(value))
    if hint is Path:
        path = Path(os.path.expanduser(str(value)))
        return path if path.is_absolute() else base / path
    if hint is bool:
        if not isinstance(value, bool):
            raise InputError(f"{where}: '{dotted}' must be true or false, got {value!r}")
        return value
    if hint in (int, float, str):
        try:
            if hint is int and isinstance(value, float) and not value.is_integer():
                raise ValueError
            return hint(value)
        except (TypeError, ValueError):
            raise InputError(f"{where}: '{dotted}' must be {hint.__name__}, got {value!r}") from None
    return value


def _profile(value, where: str, dotted: str, base: Path) -> Profile:
    if not isinstance(value, dict) or "name" not in value:
        raise InputError(
            f"{where}: '{dotted}' must be a mapping with at least 'name' and 'peaks' or 'bigwig'"
        )
    profile = _build(Profile, value, where, dotted + ".", base)
    if profile.peaks is None and profile.bigwig is None:
        raise InputError(f"{where}: profile '{profile.name}' has neither 'peaks' nor 'bigwig'")
    return profile


def check_files(config: Config) -> None:
    """Every input file the config names exists and is a file: checked before TensorFlow loads."""
    where = str(config.source or "config")

    def check(key: str, path: Path | None, required: bool = False) -> None:
        if path is None:
            if required:
                raise InputError(f"{where}: '{key}' is not set")
            return
        if not path.exists():
            raise InputError(f"{where}: '{key}' {path}: file not found")
        if path.is_dir():
            raise InputError(f"{where}: '{key}' {path}: is a folder, expected a file")

    if config.sequences.enabled:
        for key, path in files_in(config.sequences):
            check(key, path)
        return
    check("genome.fasta", config.genome.fasta, required=True)
    for i, p in enumerate(config.profiles):
        check(f"profiles[{i}].peaks", p.peaks)
        check(f"profiles[{i}].bigwig", p.bigwig)
    if config.transfer.mode != "none":
        check("transfer.extractor", config.transfer.extractor, required=True)
