"""Every command the README and the documentation pages (docs/**/*.md) show, and the tiny-scale
version CI runs (tests/test_readme.py).

Keys are the commands as written there (continuation lines joined, comments dropped; each shown on
at least one page); values are what runs in a scratch copy of the repository's layout, with the
placeholder files (hg38.fa, peaks.bed, asoc.vcf.gz ...) made from the tiny demo's data. Dict order
is run order. ``{tiny}`` adds the tiny training settings, ``{root}`` is the repository, ``{grpc}`` /
``{rest}`` free ports, ``{dna}`` a DNA string of the demo model's input length.
"""

TINY_TRAINING = (
    "--set training.epochs=1 --set training.min_epochs=1 --set training.ensemble=1 "
    "--set training.tensorboard=false --set training.progress=false"
)
TINY_MODEL = (
    "--set model.resnet.stem_filters=8 --set model.resnet.stage_filters=[8,8] --set model.resnet.head_units=8 "
    "--set model.baseline.filters=[8,8,8] --set model.baseline.head_units=8"
)

# shown commands CI does not run itself, and why
NOT_RUN = {
    'pip install -e ".[dev]"': "the install step of .ci/run itself",
    "pytest -q": "the test run of .ci/run itself",
    'pip install -e ".[kipoi]"': "the [kipoi] extra is part of [dev], installed by .ci/run",
    'pip install torch==2.13.0 "setuptools<81" tangermeme': "torch and tangermeme stay out of the "
    "dependencies (several GB); the DeepLIFT reference check runs where they are installed",
    "python benchmarks/deeplift_reference.py": "needs torch and tangermeme (see above); "
    "tests/inference/test_deeplift.py checks the same rules without them",
}

COMMANDS: dict[str, str] = {
    # --- the demo and training on "your data" (the demo's files stand in for hg38 and its peaks)
    "brainresnet demo --out runs/demo": "brainresnet demo --tiny --out runs/demo",
    "brainresnet train --config configs/hg38_example.yaml --baseline": "brainresnet train --config configs/hg38_example.yaml --baseline {tiny} "
    + TINY_MODEL,
    "brainresnet evaluate --model runs/hg38_brain/model.keras --config configs/hg38_example.yaml "
    "--baseline runs/hg38_brain/baseline/model.keras": "brainresnet evaluate --model runs/hg38_brain/model.keras --config configs/hg38_example.yaml "
    "--baseline runs/hg38_brain/baseline/model.keras " + TINY_MODEL,
    "brainresnet predict --model runs/hg38_brain/model.keras --genome hg38.fa --regions peaks.bed "
    "--out predictions.tsv": "brainresnet predict --model runs/hg38_brain/model.keras --genome hg38.fa --regions peaks.bed "
    "--out predictions.tsv",
    "brainresnet predict --model runs/hg38_brain/model.keras --genome hg38.fa --genome-wide --out tracks/": "brainresnet predict --model runs/hg38_brain/model.keras --genome hg38.fa --genome-wide --chroms chr1 "
    "--out tracks/",
    "brainresnet predict --model runs/hg38_brain/model.keras --genome hg38.fa --genome-wide --workers 2 "
    "--out tracks_dask/": "brainresnet predict --model runs/hg38_brain/model.keras --genome hg38.fa --genome-wide "
    "--chroms chr1,chr2 --workers 2 --out tracks_dask/ --no-progress",
    # --- labelled sequence sets
    "brainresnet train --config configs/sequences_example.yaml --baseline": "brainresnet train --config configs/sequences_example.yaml --baseline {tiny}",
    "brainresnet predict --model runs/sequences/model.keras --fasta candidates.fa --out candidates.tsv": "brainresnet predict --model runs/sequences/model.keras --fasta candidates.fa --out candidates.tsv",
    # --- transfer learning (demo-transfer first: the shipped configs read its files)
    "brainresnet demo-transfer --out runs/transfer_demo": "brainresnet demo-transfer --tiny --out runs/transfer_demo",
    "brainresnet pretrain --config configs/pretrain_compendium.yaml": "brainresnet pretrain --config configs/pretrain_compendium.yaml --overwrite {tiny}",
    "brainresnet train --config configs/brainresnet/iPSC_neuron.yaml": "brainresnet train --config configs/brainresnet/iPSC_neuron.yaml {tiny}",
    "brainresnet compare-transfer --config configs/brainresnet/iPSC_neuron.yaml --fractions 0.05,0.2,1 "
    "--seeds 0,1,2": "brainresnet compare-transfer --config configs/brainresnet/iPSC_neuron.yaml --fractions 0.5 --seeds 0 "
    "{tiny}",
    # --- variants
    "brainresnet score-variants --model runs/x/model.keras --genome hg38.fa --vcf asoc.vcf.gz --out scores.tsv": "brainresnet score-variants --model runs/x/model.keras --genome hg38.fa --vcf asoc.vcf.gz --out scores.tsv "
    "--no-progress",
    "brainresnet score-variants --model runs/x/model.keras --genome hg38.fa --vcf asoc.vcf.gz --null 10000 "
    "--out calibrated.tsv": "brainresnet score-variants --model runs/x/model.keras --genome hg38.fa "
    "--vcf asoc.vcf.gz --null 200 --out calibrated.tsv --no-progress",
    "brainresnet score-variants --model runs/x/model.keras --genome hg38.fa --variants snps.bed --out snps.tsv": "brainresnet score-variants --model runs/x/model.keras --genome hg38.fa --variants snps.bed --out snps.tsv "
    "--no-progress",
    "brainresnet validate-variants --scores scores.tsv --observed allelic_counts.tsv --out validation/ "
    "--comparators other_model_score,cadd": "brainresnet validate-variants --scores scores.tsv --observed allelic_counts.tsv --out validation/ "
    "--comparators other_model_score,cadd",
    "brainresnet score-variants --model runs/x/model.keras --pairs qtl_pairs.tsv --out qtl_scores.tsv": "brainresnet score-variants --model runs/x/model.keras --pairs qtl_pairs.tsv --out qtl_scores.tsv --no-progress",
    "brainresnet score-variants --model runs/x/model.keras --genome hg38.fa --vcf asoc.vcf.gz --orient --out oriented.tsv": "brainresnet score-variants --model runs/x/model.keras --genome hg38.fa --vcf asoc.vcf.gz --orient --out oriented.tsv --no-progress",
    # --- distributed scoring (docs/distributed-scoring.md): pysam stands in for bgzip and tabix; a
    # scheduler and one worker are started for --scheduler, on a free port, and stopped after
    "bgzip variants.vcf": "cp runs/demo/variants/demo.vcf variants.vcf && "
    """python -c "import pysam; pysam.tabix_compress('variants.vcf', 'variants.vcf.gz')\"""",
    "tabix -p vcf variants.vcf.gz": """python -c "import pysam; pysam.tabix_index('variants.vcf.gz', preset='vcf')\"""",
    "brainresnet score-variants --model runs/x/model.keras --genome hg38.fa --vcf variants.vcf.gz --workers 2 "
    "--null 10000 --out scores.tsv.gz": "brainresnet score-variants --model runs/x/model.keras --genome hg38.fa --vcf variants.vcf.gz --workers 2 "
    "--null 200 --shard-size 300 --out scores.tsv.gz --no-progress",
    "brainresnet score-variants --model runs/x/model.keras --genome hg38.fa --vcf variants.vcf.gz "
    "--scheduler tcp://10.0.0.5:8786 --shard-size 50000 --out scores.parquet": "stop() { kill $1; for i in $(seq 60); do kill -0 $1 2>/dev/null || return; sleep 0.5; done; kill -9 $1; }; "
    "dask scheduler --host 127.0.0.1 --port 0 --scheduler-file dask.json --no-dashboard > dask.log 2>&1 & S=$!; "
    "for i in $(seq 240); do [ -s dask.json ] && break; sleep 0.5; done; "
    "dask worker --scheduler-file dask.json --no-nanny --nthreads 1 --no-dashboard >> dask.log 2>&1 & W=$!; "
    "brainresnet score-variants --model runs/x/model.keras --genome hg38.fa --vcf variants.vcf.gz "
    """--scheduler $(python -c "import json; print(json.load(open('dask.json'))['address'])") """
    "--shard-size 300 --out scores.parquet --no-progress; rc=$?; "
    # the worker stops while its scheduler still answers (else its close can hang), then the scheduler
    "stop $W; stop $S; wait; exit $rc",
    "brainresnet score-variants --model runs/x/kmer/model.joblib --pairs qtl_pairs.tsv --out qtl_kmer.tsv": "brainresnet score-variants --model runs/x/kmer/model.joblib --pairs qtl_pairs.tsv --out qtl_kmer.tsv --no-progress",
    "brainresnet validate-variants --scores qtl_scores.tsv --observed qtl_pairs.tsv --effect-column beta "
    "--profile iPSC_neuron_ATAC --compare kmer=qtl_kmer.tsv --out qtl_validation/": "brainresnet validate-variants --scores qtl_scores.tsv --observed qtl_pairs.tsv --effect-column beta "
    "--profile iPSC_neuron_ATAC --compare kmer=qtl_kmer.tsv --out qtl_validation/ --bootstrap 100",
    "brainresnet constraint --scores runs/demo/variants/scores.tsv --out runs/demo/constraint "
    "--track GERP=runs/demo/data/conservation.bw --af-vcf runs/demo/variants/demo.vcf": "brainresnet constraint --scores runs/demo/variants/scores.tsv --out runs/demo/constraint "
    "--track GERP=runs/demo/data/conservation.bw --af-vcf runs/demo/variants/demo.vcf",
    "brainresnet variant-heatmap --scores runs/demo/variants/scores.tsv --out runs/demo/heatmap "
    "--loci runs/demo/variants/element_loci.tsv --cluster": "brainresnet variant-heatmap --scores runs/demo/variants/scores.tsv --out runs/demo/heatmap "
    "--loci runs/demo/variants/element_loci.tsv --cluster",
    "brainresnet constraint --scores scores.tsv --out constraint --top-k 100,500,1000 "
    "--track GERP=gerp_conservation_scores.homo_sapiens.GRCh38.bw --track phyloP=hg38.phyloP100way.bw "
    "--af-vcf gnomad.genomes.sites.vcf.bgz --af-key AF_nfe": "brainresnet constraint --scores scores.tsv --out constraint --top-k 100,500,1000 "
    "--track GERP=gerp_conservation_scores.homo_sapiens.GRCh38.bw --track phyloP=hg38.phyloP100way.bw "
    "--af-vcf gnomad.genomes.sites.vcf.bgz --af-key AF_nfe",
    "brainresnet variant-heatmap --scores scores.tsv --out heatmap --loci credible_sets.tsv --value logit_diff": "brainresnet variant-heatmap --scores scores.tsv --out heatmap --loci credible_sets.tsv --value logit_diff",
    # --- motifs, hits, design
    "brainresnet motifs --model runs/demo/model.keras --regions runs/demo/data/peaks/iPSC_neuron_ATAC.narrowPeak "
    "--task iPSC_neuron_ATAC --out motifs/ipsc": "brainresnet motifs --model runs/demo/model.keras --regions runs/demo/data/peaks/iPSC_neuron_ATAC.narrowPeak "
    "--task iPSC_neuron_ATAC --out motifs/ipsc --steps 4 --no-progress",
    "brainresnet motifs --model runs/demo/model.keras --task iPSC_neuron_ATAC --contrast NPC_ATAC --regions "
    "runs/demo/data/peaks/iPSC_neuron_ATAC.narrowPeak runs/demo/data/peaks/NPC_ATAC.narrowPeak "
    "--out motifs/ipsc_vs_npc": "brainresnet motifs --model runs/demo/model.keras --task iPSC_neuron_ATAC --contrast NPC_ATAC --regions "
    "runs/demo/data/peaks/iPSC_neuron_ATAC.narrowPeak runs/demo/data/peaks/NPC_ATAC.narrowPeak "
    "--out motifs/ipsc_vs_npc --steps 4 --no-progress",
    "brainresnet motifs --model runs/demo/model.keras --method deeplift --regions "
    "runs/demo/data/peaks/iPSC_neuron_ATAC.narrowPeak --task iPSC_neuron_ATAC --out motifs/ipsc_shap": "brainresnet motifs --model runs/demo/model.keras --method deeplift --references 2 --regions "
    "runs/demo/data/peaks/iPSC_neuron_ATAC.narrowPeak --task iPSC_neuron_ATAC --out motifs/ipsc_shap --no-progress",
    "brainresnet motifs --model model.keras --genome hg38.fa --top-k 2000 --task NPC_ATAC --out motifs/npc": "brainresnet motifs --model model.keras --genome hg38.fa --top-k 300 --task NPC_ATAC --out motifs/npc "
    "--steps 4 --no-progress",
    "brainresnet attribute --model model.keras --genome hg38.fa --regions loci.bed --task iPSC_neuron_ATAC "
    "--out ipsc.bw": "brainresnet attribute --model model.keras --genome hg38.fa --regions loci.bed --task iPSC_neuron_ATAC "
    "--out ipsc.bw --steps 4 --no-progress",
    "brainresnet hits --model runs/demo/model.keras --task iPSC_neuron_ATAC --regions "
    "runs/demo/data/peaks/iPSC_neuron_ATAC.narrowPeak --motifs motifs/ipsc --out hits/ipsc": "brainresnet hits --model runs/demo/model.keras --task iPSC_neuron_ATAC --regions "
    "runs/demo/data/peaks/iPSC_neuron_ATAC.narrowPeak --motifs motifs/ipsc --out hits/ipsc --include-unnamed --jaspar NEUROG2",
    "brainresnet hits --model runs/demo/model.keras --task iPSC_neuron_ATAC --regions "
    "runs/demo/data/peaks/iPSC_neuron_ATAC.narrowPeak --jaspar NEUROG2 RFX4 CTCF YY1 --out hits/ipsc_jaspar": "brainresnet hits --model runs/demo/model.keras --task iPSC_neuron_ATAC --regions "
    "runs/demo/data/peaks/iPSC_neuron_ATAC.narrowPeak --jaspar NEUROG2 RFX4 CTCF YY1 --out hits/ipsc_jaspar",
    "brainresnet annotate-variants --scores runs/demo/variants/scores.tsv --hits hits/ipsc/hits.bed "
    "--out hits/ipsc/variants.tsv": "brainresnet annotate-variants --scores runs/demo/variants/scores.tsv --hits hits/ipsc_jaspar/hits.bed "
    "--out hits/ipsc/variants.tsv",
    "brainresnet design --model runs/demo/model.keras --task iPSC_neuron_ATAC --contrast NPC_ATAC --n 10 "
    "--rounds 40 --gc 0.35,0.65 --max-homopolymer 6 --seed 0 --out design/neuron": "brainresnet design --model runs/demo/model.keras --task iPSC_neuron_ATAC --contrast NPC_ATAC --n 2 "
    "--rounds 2 --gc 0.35,0.65 --max-homopolymer 6 --seed 0 --out design/neuron",
    "brainresnet hits --model runs/demo/model.keras --task iPSC_neuron_ATAC --contrast NPC_ATAC --fasta "
    "design/neuron/designed.fa --jaspar NEUROG2 RFX4 PAX6 GLI3 --out design/neuron/hits": "brainresnet hits --model runs/demo/model.keras --task iPSC_neuron_ATAC --contrast NPC_ATAC --fasta "
    "design/neuron/designed.fa --jaspar NEUROG2 RFX4 PAX6 GLI3 --out design/neuron/hits",
    # --- serving (serve runs in the background while query and curl ask it)
    "brainresnet export --model runs/x/model.keras --serving-dir models/iPSC_neuron": "brainresnet export --model runs/x/model.keras --serving-dir models/iPSC_neuron",
    "brainresnet serve --model-base-path models/iPSC_neuron --port 8500 --rest-port 8501": "&brainresnet serve --model-base-path models/iPSC_neuron --port {grpc} --rest-port {rest}",
    "brainresnet query --server 127.0.0.1:8500 --model iPSC_neuron --sequences ACGT...": "brainresnet query --server 127.0.0.1:{grpc} --model iPSC_neuron --sequences {dna}",
    """curl -s -d '{"signature_name": "predict_dna", "instances": ["ACGT..."]}' """
    "http://127.0.0.1:8501/v1/models/iPSC_neuron:predict": """curl -sf -d '{"signature_name": "predict_dna", "instances": ["{dna}"]}' """
    "http://127.0.0.1:{rest}/v1/models/iPSC_neuron:predict",
    # --- Kipoi (HOME is the scratch folder)
    "brainresnet kipoi-install --model runs/transfer_demo/BrainResNet/iPSC_neuron/model.keras --name iPSC_neuron": "brainresnet kipoi-install --model runs/transfer_demo/BrainResNet/iPSC_neuron/model.keras --name iPSC_neuron",
    "kipoi test BrainResNet/iPSC_neuron --source kipoi": "kipoi test BrainResNet/iPSC_neuron --source kipoi",
    """kipoi predict BrainResNet/iPSC_neuron --dataloader_args='{"intervals_file": "peaks.bed", """
    """"fasta_file": "genome.fa"}' -o preds.tsv""": """kipoi predict BrainResNet/iPSC_neuron --dataloader_args='{"intervals_file": "peaks.bed", """
    """"fasta_file": "genome.fa"}' -o preds.tsv""",
    # --- benchmarks, at their smallest sizes
    "python benchmarks/variants.py": "python {root}/benchmarks/variants.py --variants 300 --naive-variants 10 --repeats 1",
    "python benchmarks/variants_scale.py": "python {root}/benchmarks/variants_scale.py --smoke > variants_scale.json",
    "python benchmarks/constraint.py": "python {root}/benchmarks/constraint.py --variants 20000 --naive 500",
    "python benchmarks/attribution.py": "python {root}/benchmarks/attribution.py --sequences 8 --single-sequences 2 --step-sequences 1 --steps 2 --references 2 "
    "--repeats 1",
    "python benchmarks/design.py --model runs/demo/model.keras": "python {root}/benchmarks/design.py --model runs/demo/model.keras --sequences 2 --rounds 1 "
    "--naive-sequences 0",
    "python benchmarks/serving.py --rounds 2": "python {root}/benchmarks/serving.py --rounds 1 --seconds 0.5 --n1 5 --n64 2 --rows 1 --clients 2",
    "python benchmarks/pipeline.py": "python {root}/benchmarks/pipeline.py --windows 2000 --naive-windows 50 --context 400 --profiles 2",
    "python benchmarks/training.py": "python {root}/benchmarks/training.py --models demo --context 400 --warmup 1 --steps 2 --rounds 1 "
    "--infer-sequences 16 --repeats 1",
    "nice -n 10 python benchmarks/genome_scale.py": "python {root}/benchmarks/genome_scale.py --cache scale --scale 0.0005 --profiles 2 --peaks 50 --epochs 1 "
    "--predict-chroms chr21 --raw-batches 2",
    "python benchmarks/realdata.py": "python {root}/benchmarks/realdata.py --seeds 0 --smoke --work realdata",
    "python benchmarks/realdata.py --cv 5 --seeds 0,1": "python {root}/benchmarks/realdata.py --cv 2 --seeds 0 --smoke --work realdata_cv > realdata_cv.json",
    "python benchmarks/dsqtl.py": "python {root}/benchmarks/dsqtl.py --seeds 0 --smoke --work dsqtl --bootstrap 50",
    "python benchmarks/dsqtl.py --pretrain fine_tune": "python {root}/benchmarks/dsqtl.py --seeds 0 --smoke --work dsqtl_ft --bootstrap 50 "
    "--pretrain fine_tune",
    "python benchmarks/dsqtl.py --all-chr20": "python {root}/benchmarks/dsqtl.py --all-chr20 --seeds 0 --smoke --work dsqtl_all "
    "--bootstrap 50",
    "python benchmarks/dsqtl.py --cv 5 --seeds 0,1": "python {root}/benchmarks/dsqtl.py --cv 2 --seeds 0 --smoke --work dsqtl_cv > dsqtl_cv.json",
    "python benchmarks/brain_chr20.py": "python {root}/benchmarks/brain_chr20.py --smoke --work brain",
}
