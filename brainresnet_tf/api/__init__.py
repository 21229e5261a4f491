"""The Python API: what the ``brainresnet`` commands do, as functions that return tables.

``import brainresnet_tf as br`` exposes these names lazily (no TensorFlow is imported until a model
is loaded or trained):

* :func:`br.load_model <brainresnet_tf.api.model.load_model>` -> :class:`~brainresnet_tf.api.model.Model`
  (``.profiles``, ``.meta``, ``.predict``, ``.score_variants``, ``.attribute``);
* :func:`br.motifs <brainresnet_tf.api.motifs.motifs>` and :func:`br.hits <brainresnet_tf.api.hits.hits>`,
  which write the commands' files and return a result with ``.table`` and ``.figures``;
* :func:`br.train <brainresnet_tf.api.train.train>` -> :class:`~brainresnet_tf.api.train.Run`;
* ``br.Genome`` (:class:`brainresnet_tf.io.genome.Genome`), ``br.read_peaks``
  (:func:`brainresnet_tf.io.intervals.read_bed`) and ``br.read_variants``
  (:func:`brainresnet_tf.io.variant_files.read_variants`).

The commands (:mod:`brainresnet_tf.workflows`) are thin shells over these: they check their flags,
call the API and print. The API never prints: functions that report progress take a ``log``
callable (each says what it receives). The examples run as doctests (``tests/test_api.py``) in a
folder holding a tiny saved model (``model.keras``), its genome and peaks (``data/``), variants and a
training config.
"""
