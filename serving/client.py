"""Query a TF Serving gRPC endpoint (ours or the official server): ``brainresnet query`` as a script.

    python serving/client.py --server 127.0.0.1:8500 --model iPSC_neuron --sequences ACGT...
    python serving/client.py --model iPSC_neuron --bed peaks.bed --genome hg38.fa --out preds.tsv

See ``brainresnet query --help`` for every option; the code is brainresnet_tf/serve/client.py.
"""

import sys

from brainresnet_tf.cli import main

if __name__ == "__main__":
    sys.exit(main(["query", *sys.argv[1:]]))
