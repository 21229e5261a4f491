"""The Kipoi interval dataloader stays strict about chromosomes the genome lacks (one row per interval)."""

from __future__ import annotations

import pytest

from brainresnet_tf.errors import InputError
from tests.toy_data import write_partial_genome_regions, write_text

pytest.importorskip("kipoi", reason="kipoi is not installed (pip install -e '.[kipoi]')")


def test_interval_dataloader_stops_at_a_region_off_the_genome(tmp_path):
    from brainresnet_tf.serve.kipoi_components import BrainResNetIntervalDl

    on = [("chr1", s, s + 100) for s in (100, 400, 900, 1500)]
    fasta, mixed, _ = write_partial_genome_regions(tmp_path, "ACGT" * 500, on)
    # `brainresnet predict` skips these regions; Kipoi's dataloader may not drop rows silently
    with pytest.raises(InputError, match=r"mixed.bed:4: chromosome 'chr2' is not in genome chr1.fa"):
        BrainResNetIntervalDl(str(mixed), str(fasta), input_length=100)
    clean = write_text(tmp_path / "clean.bed", "".join(f"{c}\t{s}\t{e}\n" for c, s, e in on))
    dl = BrainResNetIntervalDl(str(clean), str(fasta), input_length=100)
    assert len(dl) == 4 and dl[3]["inputs"].shape == (100, 4)
