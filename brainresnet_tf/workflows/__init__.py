"""One module per ``brainresnet`` command, each with ``add_parser(subparsers)`` and ``run(args)``.

The only layer that prints progress. Importing a workflow module is cheap (no TensorFlow): each
imports what it needs inside ``run``, so arguments are checked before the heavy start-up.
"""

COMMANDS = (
    "demo",
    "train",
    "launch",
    "pretrain",
    "compare_transfer",
    "demo_transfer",
    "evaluate",
    "predict",
    "score_variants",
    "validate_variants",
    "constraint",
    "variant_heatmap",
    "motifs",
    "attribute",
    "design",
    "hits",
    "annotate_variants",
    "export",
    "kipoi_install",
    "serve",
    "query",
)
