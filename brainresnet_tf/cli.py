"""The ``brainresnet`` command line."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="YAML config (see configs/)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set training.epochs=3 (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    """Argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="brainresnet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="synthetic genome -> train ResNet and baseline -> metrics")
    p.add_argument("--out", default="runs/demo", help="output directory")
    p.add_argument("--quick", action="store_true", help="small data and model (about 6 min on 2 cores)")
    p.add_argument("--seed", type=int, default=0)
    _add_config_args(p)

    p = sub.add_parser("train", help="train a model from a config")
    _add_config_args(p)
    p.add_argument("--out", help="output directory (overrides out_dir)")
    p.add_argument("--arch", choices=["resnet", "baseline"], help="overrides model.arch")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--baseline", action="store_true", help="also train the baseline CNN and compare")

    p = sub.add_parser("launch", help="multi-worker training on this machine: N local workers "
                                      "with TF_CONFIG on loopback ports (worker 0 is the chief)")
    p.add_argument("--workers", type=int, required=True, help="number of worker processes")
    _add_config_args(p)
    p.add_argument("--port-base", type=int, help="ports P..P+N-1 on 127.0.0.1 (default: free ones)")
    p.add_argument("--out", help="output directory (overrides out_dir)")
    p.add_argument("--resume", action="store_true", help="every worker continues from the last checkpoint")
    p.add_argument("--restarts", type=int, default=0,
                   help="when a worker dies, stop all and start them again with --resume, "
                        "up to this many times (default 0: fail)")
    p.add_argument("--command", dest="command_name", choices=["train", "pretrain"], default="train",
                   help="what each worker runs (default train)")
    p.add_argument("--baseline", action="store_true", help="train: also train the baseline CNN")

    p = sub.add_parser("pretrain", help="train on a compendium; save its trunk as a feature extractor")
    _add_config_args(p)
    p.add_argument("--out", help="output directory (overrides out_dir)")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")

    p = sub.add_parser("compare-transfer",
                       help="scratch vs frozen vs fine-tuned transfer at several data sizes")
    _add_config_args(p)
    p.add_argument("--extractor", help="extractor.keras (default: the config's transfer.extractor)")
    p.add_argument("--fractions", default="0.05,0.2,1", help="training-set fractions")
    p.add_argument("--seeds", default="0,1,2", help="seeds per fraction and mode")
    p.add_argument("--out", help="output directory (default: <out_dir>/compare_transfer)")

    p = sub.add_parser("demo-transfer", help="synthetic compendium -> pretrain -> transfer vs scratch")
    p.add_argument("--out", default="runs/transfer_demo", help="output directory")
    p.add_argument("--quick", action="store_true", help="two data sizes instead of three")
    p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("evaluate", help="per-profile AUROC/AUPRC on the test chromosomes")
    p.add_argument("--model", required=True, help="model.keras")
    _add_config_args(p)
    p.add_argument("--out", help="output directory (default: the model's folder)")
    p.add_argument("--baseline", nargs="?", const="train", default=None,
                   help="compare with a baseline: a baseline model.keras, or nothing to train one")

    p = sub.add_parser("predict", help="predict every profile for regions of a genome")
    p.add_argument("--model", required=True)
    p.add_argument("--genome", required=True, help="FASTA (plain or bgzipped, indexed)")
    p.add_argument("--regions", required=True, help="BED file; windows are centred on each region")
    p.add_argument("--out", required=True, help=".tsv or .parquet")
    p.add_argument("--batch-size", type=int, default=256)

    p = sub.add_parser("score-variants", help="effect of each SNV of a VCF on every profile")
    p.add_argument("--model", required=True, help="model.keras (with its model.json)")
    p.add_argument("--genome", required=True, help="FASTA the VCF's REF alleles come from")
    p.add_argument("--vcf", required=True, help="VCF, plain or gzipped")
    p.add_argument("--out", required=True, help="scores .tsv or .parquet (written as it goes)")
    p.add_argument("--batch-size", type=int, default=256, help="variants per model call")
    p.add_argument("--strict", action="store_true",
                   help="stop at a REF mismatch, unknown chromosome or position past its end "
                        "(default: skip, count and list them in <out>.skipped.tsv)")
    p.add_argument("--region", help="only variants in chrom[:start-end] (1-based, inclusive), "
                                    "to split a VCF across processes")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("validate-variants",
                       help="variant scores vs measured allelic imbalance: enrichment, Spearman")
    p.add_argument("--scores", required=True, help="score-variants output (.tsv or .parquet)")
    p.add_argument("--observed", required=True,
                   help="allelic table: chrom,pos,ref,alt or variant_id; ref_reads,alt_reads or "
                        "log_ratio; significant")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--score-column", default="max_abs_diff", help="ranking score (by |value|)")
    p.add_argument("--comparators", default="", help="other score columns, comma-separated")
    p.add_argument("--top-k", default="50,100,200", help="comma-separated k values")
    p.add_argument("--profile", help="profile whose log(p_ref/p_alt) is compared with the observed "
                                     "log(ref/alt) (default: each variant's max_abs_profile)")

    p = sub.add_parser("motifs", help="attributions -> TF-MoDISco patterns -> TOMTOM vs JASPAR")
    p.add_argument("--model", required=True, help="model.keras (with its model.json)")
    p.add_argument("--genome", help="FASTA (default: the genome named in the model's metadata)")
    p.add_argument("--regions", nargs="+", metavar="BED",
                   help="BED/narrowPeak files; windows centred on each region (with --top-k: "
                        "the candidates)")
    p.add_argument("--top-k", type=int, help="explain the k windows the model scores highest for "
                   "the task (with --contrast: k/2 most specific to each side), among --regions "
                   "or genome-wide bins")
    p.add_argument("--task", required=True, help="profile to explain")
    p.add_argument("--contrast", help="explain task minus this profile (cell-type-specific motifs)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--method", choices=["ig", "ixg", "ism"], default="ig",
                   help="integrated gradients, input x gradient, or in-silico mutagenesis")
    p.add_argument("--steps", type=int, default=20, help="integrated-gradients steps")
    p.add_argument("--scale", choices=["logit", "output"], default="logit",
                   help="explain the output layer's logit or the output itself")
    p.add_argument("--batch-size", type=int, default=256, help="model inputs per call")
    p.add_argument("--window", type=int, help="central bases given to TF-MoDISco (default all)")
    p.add_argument("--max-seqlets", type=int, default=20000,
                   help="TF-MoDISco seqlets per sign (its API default)")
    p.add_argument("--n-leiden", type=int, default=2, help="TF-MoDISco Leiden runs")
    p.add_argument("--jaspar-release", default="JASPAR2024", help="pyjaspar release to match against")
    p.add_argument("--truth", help="synthetic data folder (motif_sites.tsv, elements.tsv) to check "
                                   "against; default: the genome's folder if it has them; none: off")
    p.add_argument("--bigwig", action="store_true", help="also write contributions.bw")
    p.add_argument("--no-progress", action="store_true", help="no progress bars or summary")

    p = sub.add_parser("attribute", help="per-base attributions of regions as a bigWig track")
    p.add_argument("--model", required=True, help="model.keras (with its model.json)")
    p.add_argument("--genome", help="FASTA (default: the genome named in the model's metadata)")
    p.add_argument("--regions", required=True, nargs="+", metavar="BED",
                   help="BED files; windows centred on each region")
    p.add_argument("--task", required=True, help="profile to explain")
    p.add_argument("--contrast", help="explain task minus this profile")
    p.add_argument("--out", required=True, help="bigWig path (.bw)")
    p.add_argument("--method", choices=["ig", "ixg", "ism"], default="ig")
    p.add_argument("--steps", type=int, default=20, help="integrated-gradients steps")
    p.add_argument("--scale", choices=["logit", "output"], default="logit")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--npz", help="also save one-hot and hypothetical contributions here")
    p.add_argument("--no-progress", action="store_true")

    p = sub.add_parser("export", help="write a TF Serving SavedModel: <serving-dir>/<version>/")
    p.add_argument("--model", required=True, help="model.keras (with its model.json)")
    p.add_argument("--serving-dir", required=True, help="model base path, e.g. models/iPSC_neuron")
    p.add_argument("--version", type=int, help="version number (default: the next integer)")

    p = sub.add_parser("kipoi-install",
                       help="add a model to the BrainResNet Kipoi group and register it with Kipoi")
    p.add_argument("--model", required=True, help="model.keras (with its model.json)")
    p.add_argument("--name", required=True, help="model name in the group, e.g. iPSC_neuron "
                                                 "(kipoi predict BrainResNet/<name>)")
    p.add_argument("--kipoi-dir", help="folder for the installed group "
                                       "(default: $HOME/.kipoi/brainresnet_models)")
    p.add_argument("--source-name", default="kipoi",
                   help="Kipoi model source to register the folder as (default kipoi, so plain "
                        "`kipoi predict BrainResNet/<name>` finds it; the public zoo entry is "
                        "kept as kipoi_zoo)")
    p.add_argument("--cell-type", help="cell type shown in the model's doc (default: the model's)")

    p = sub.add_parser("serve", help="gRPC server with TF Serving's API over an exported model")
    p.add_argument("--model-base-path", required=True, help="folder of version folders")
    p.add_argument("--model-name", help="name clients ask for (default: the folder's name)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback only)")
    p.add_argument("--port", type=int, default=8500)
    p.add_argument("--max-batch-size", type=int, default=64, help="rows per merged batch")
    p.add_argument("--batch-timeout-ms", type=float, default=1.0,
                   help="longest wait for more requests before running a batch")
    p.add_argument("--no-batching", action="store_true", help="run each request on its own")
    p.add_argument("--num-batch-threads", type=int,
                   help="batches that may run at once (default: cores, at most 4)")
    p.add_argument("--poll-seconds", type=float, default=1.0,
                   help="how often to look for a new version")
    p.add_argument("--intra-op-threads", type=int, default=0,
                   help="TensorFlow intra-op threads (0: TF's default, all cores)")
    p.add_argument("--inter-op-threads", type=int, default=0,
                   help="TensorFlow inter-op threads (0: TF's default)")

    p = sub.add_parser("query", help="query a TF Serving endpoint (ours or the real one)")
    p.add_argument("--server", default="127.0.0.1:8500", help="host:port of the gRPC endpoint")
    p.add_argument("--model", required=True, help="model name on the server")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--sequences", nargs="+", metavar="DNA", help="DNA strings (ACGTN)")
    src.add_argument("--fasta", help="FASTA; each record exactly the model's input length")
    src.add_argument("--bed", help="BED regions; windows centred on each (needs --genome)")
    p.add_argument("--genome", help="genome FASTA for --bed")
    p.add_argument("--signature", default="predict_dna", choices=["predict_dna", "serving_default"],
                   help="predict_dna (strings, strand-averaged by the server) or serving_default "
                        "(one-hot, forward strand only)")
    p.add_argument("--out", help="write the table here (.tsv or .parquet) instead of stdout")
    p.add_argument("--batch-size", type=int, default=64, help="sequences per request")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``brainresnet`` console script."""
    args = build_parser().parse_args(argv)
    from .errors import InputError
    try:
        return _dispatch(args)
    except InputError as err:
        print(f"brainresnet: error: {err}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "launch":  # before importing TensorFlow: the launcher only runs processes
        from .launch import run_launch
        return run_launch(args)
    from . import jobs
    from .config import load_config, parse_overrides

    overrides = parse_overrides(args.set) if hasattr(args, "set") else {}
    if args.command == "demo":
        jobs.run_demo(Path(args.out), quick=args.quick, seed=args.seed, config_path=args.config,
                      overrides=overrides)
    elif args.command == "train":
        if args.out:
            overrides["out_dir"] = str(Path(args.out).resolve())
        if args.arch:
            overrides["model.arch"] = args.arch
        config = load_config(args.config, overrides)
        jobs.run_train(config, resume=args.resume, with_baseline=args.baseline)
    elif args.command == "pretrain":
        if args.out:
            overrides["out_dir"] = str(Path(args.out).resolve())
        jobs.run_pretrain(load_config(args.config, overrides), resume=args.resume)
    elif args.command == "compare-transfer":
        jobs.run_compare_transfer(load_config(args.config, overrides),
                                  Path(args.extractor) if args.extractor else None,
                                  tuple(float(f) for f in args.fractions.split(",")),
                                  tuple(int(x) for x in args.seeds.split(",")),
                                  Path(args.out) if args.out else None)
    elif args.command == "demo-transfer":
        jobs.run_transfer_demo(Path(args.out), quick=args.quick, seed=args.seed)
    elif args.command == "evaluate":
        config = load_config(args.config, overrides)
        jobs.run_evaluate(config, Path(args.model), Path(args.out) if args.out else None, args.baseline)
    elif args.command == "predict":
        jobs.run_predict(Path(args.model), Path(args.genome), Path(args.regions), Path(args.out),
                         args.batch_size)
    elif args.command == "score-variants":
        from .variants import run_score_variants
        run_score_variants(args.model, args.genome, args.vcf, args.out, args.batch_size,
                           args.strict, args.region, not args.no_progress)
    elif args.command == "validate-variants":
        from .errors import InputError
        from .variant_validation import format_summary, validate_variants
        try:
            top_k = [int(k) for k in args.top_k.split(",") if k.strip()]
        except ValueError:
            raise InputError(f"--top-k {args.top_k!r}: expected integers like 50,100,200") from None
        comparators = [c.strip() for c in args.comparators.split(",") if c.strip()]
        summary = validate_variants(args.scores, args.observed, args.out, args.score_column,
                                    comparators, top_k, args.profile)
        print(format_summary(summary))
        print(f"[validate-variants] enrichment.tsv, validation.json, joined.tsv, enrichment.png, "
              f"scatter.png -> {args.out}")
    elif args.command == "motifs":
        from .motif_job import run_motifs
        run_motifs(args.model, args.out, args.task, genome=args.genome, regions=args.regions,
                   top_k=args.top_k, contrast=args.contrast, method=args.method, steps=args.steps,
                   scale=args.scale, batch_size=args.batch_size, window=args.window,
                   max_seqlets=args.max_seqlets, n_leiden=args.n_leiden,
                   release=args.jaspar_release, truth=args.truth, bigwig=args.bigwig,
                   progress=not args.no_progress)
    elif args.command == "attribute":
        from .attribution_tracks import run_attribute
        run_attribute(args.model, args.genome, args.regions, args.task, args.out, args.contrast,
                      args.method, args.steps, args.scale, args.batch_size, args.npz,
                      not args.no_progress)
    elif args.command == "export":
        from .export import export_serving
        path = export_serving(Path(args.model), Path(args.serving_dir), args.version)
        print(f"[export] SavedModel for TF Serving -> {path}")
    elif args.command == "kipoi-install":
        from .kipoi_group import GROUP, install_model
        path = install_model(Path(args.model), args.name, args.kipoi_dir, args.source_name,
                             cell_type=args.cell_type)
        source = "" if args.source_name == "kipoi" else f" --source {args.source_name}"
        print(f"[kipoi-install] {GROUP}/{args.name} -> {path}\n"
              f"  kipoi test {GROUP}/{args.name} --source {args.source_name}\n"
              f"  kipoi predict {GROUP}/{args.name}{source} --dataloader_args="
              "'{\"intervals_file\": \"regions.bed\", \"fasta_file\": \"genome.fa\"}' -o preds.tsv")
    elif args.command == "serve":
        from .serving_server import serve
        serve(args.model_base_path, args.model_name, args.host, args.port, args.max_batch_size,
              args.batch_timeout_ms, not args.no_batching, args.poll_seconds,
              args.intra_op_threads, args.inter_op_threads, args.num_batch_threads)
    elif args.command == "query":
        from .serving_client import run_query
        run_query(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
