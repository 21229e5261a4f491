"""Run the Python TF Serving-compatible gRPC and REST server: ``brainresnet serve`` as a script.

    python serving/server.py --model-base-path models/iPSC_neuron --port 8500

See ``brainresnet serve --help``; the code is brainresnet_tf/serve/server.py.
"""

import sys

from brainresnet_tf.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
