"""``brainresnet demo-transfer``: synthetic compendium -> pretrain -> transfer vs scratch."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from brainresnet_tf.workflows.common import for_terminal
from brainresnet_tf.workflows.demo import DEMO_GENOME, DEMO_SETTINGS, demo_scale

NAME = "demo-transfer"


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``demo-transfer`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="synthetic compendium -> pretrain -> transfer vs scratch")
    p.add_argument("--out", default="runs/transfer_demo", help="output directory")
    p.add_argument("--quick", action="store_true", help="two data sizes instead of three")
    p.add_argument(
        "--tiny",
        action="store_true",
        help="CI scale: 6 compendium cell types, one seed, "
        "2 epochs; checks that every step runs, its numbers mean little",
    )
    p.add_argument("--seed", type=int, default=0)
    return p


def run(args: argparse.Namespace) -> int:
    """Run the transfer demo."""
    run_transfer_demo(Path(args.out), quick=args.quick, seed=args.seed, tiny=args.tiny)
    return 0


# (compendium cell types, training-set fractions, seeds) per scale
TRANSFER_DEMO = {
    "tiny": (6, (0.2, 1.0), (0,)),
    "quick": (50, (0.05, 1.0), (0, 1, 2)),
    "full": (50, (0.05, 0.2, 1.0), (0, 1, 2)),
}


def transfer_demo_configs(out: Path, data, scale: str) -> tuple[Path, dict[str, Path]]:
    """Write the compendium pre-training config and one config per BrainResNet family member."""
    import yaml

    from brainresnet_tf.demo.synthetic import BRAINRESNET_FAMILY
    from brainresnet_tf.io.atomic import write_text

    settings = json.loads(json.dumps(DEMO_SETTINGS["tiny" if scale == "tiny" else "quick"]))
    family = {c.name for c in BRAINRESNET_FAMILY}

    def profile(p) -> dict:
        return {
            "name": p.name,
            "cell_type": p.cell_type,
            "assay": p.assay,
            "peaks": str(p.peaks),
            "bigwig": str(p.bigwig),
        }

    base = {"genome": {"fasta": str(data.fasta), "build": "synthetic-demo"}, **settings}
    (out / "configs" / "brainresnet").mkdir(parents=True, exist_ok=True)
    pretrain = out / "configs" / "pretrain_compendium.yaml"
    write_text(
        pretrain,
        yaml.safe_dump(
            {
                **base,
                "profiles": [profile(p) for p in data.profiles if p.cell_type not in family],
                "training": {**settings["training"], "epochs": 2 if scale == "tiny" else 15},
                "out_dir": str(out / "pretrain"),
            },
            sort_keys=False,
        ),
    )
    members = {}
    for member in BRAINRESNET_FAMILY:
        path = out / "configs" / "brainresnet" / f"{member.name}.yaml"
        write_text(
            path,
            yaml.safe_dump(
                {
                    **base,
                    "profiles": [profile(p) for p in data.profiles if p.cell_type == member.name],
                    "transfer": {
                        "extractor": str(out / "pretrain" / "extractor.keras"),
                        "mode": "frozen",
                        "learning_rate": 0.0002,
                    },
                    "out_dir": str(out / "BrainResNet" / member.name),
                },
                sort_keys=False,
            ),
        )
        members[member.name] = path
    return pretrain, members


def run_transfer_demo(
    out: Path, quick: bool = False, seed: int = 0, target: str = "iPSC_neuron", tiny: bool = False
) -> dict:
    """Synthetic compendium (50 cell types) -> pretrain -> scratch vs transfer for ``target``."""
    from brainresnet_tf.demo.synthetic import (
        BRAINRESNET_FAMILY,
        compendium_cell_types,
        generate_synthetic_dataset,
    )

    t0 = time.time()
    out = out.resolve()
    scale = demo_scale(quick, tiny)
    n_compendium, fractions, seeds = TRANSFER_DEMO[scale]
    cell_types = compendium_cell_types(n_compendium, seed) + BRAINRESNET_FAMILY
    print(
        f"[transfer-demo] synthetic genome with {len(cell_types)} cell types "
        f"({n_compendium} compendium + BrainResNet family) in {out / 'data'}"
    )
    data = generate_synthetic_dataset(
        out / "data", cell_types=cell_types, seed=seed, **DEMO_GENOME["tiny" if tiny else "quick"]
    )
    pretrain_cfg, members = transfer_demo_configs(out, data, scale)
    from brainresnet_tf.train.config import load_config
    from brainresnet_tf.workflows.compare_transfer import run_compare_transfer
    from brainresnet_tf.workflows.pretrain import run_pretrain

    extractor = run_pretrain(for_terminal(load_config(pretrain_cfg)), overwrite=True)
    verdict = run_compare_transfer(
        for_terminal(load_config(members[target])),
        extractor,
        fractions,
        seeds,
        out / "compare_transfer" / target,
    )
    print(f"[transfer-demo] finished in {time.time() - t0:.0f} s; family configs in {out / 'configs'}")
    return verdict
