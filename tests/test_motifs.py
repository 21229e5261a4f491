"""JASPAR offline, TOMTOM naming, MEME files, top-k selection, the ground-truth check, and a small
end-to-end ``brainresnet motifs`` run (hand-built CTCF model, TF-MoDISco, TOMTOM, report)."""

from __future__ import annotations

import json
import socket
import time

import keras
import numpy as np
import pandas as pd
import pytest

from brainresnet_tf.data.synthetic import jaspar_motif
from brainresnet_tf.interpret import motifs as M
from brainresnet_tf.interpret.motif_check import Truth, check_contrast, recovery
from brainresnet_tf.interpret.selection import top_k
from tests.conftest import write_fasta


@pytest.fixture(scope="module")
def db():
    return M.jaspar_core_vertebrates()


def sample_ppm(probs: np.ndarray, n: int = 300, seed: int = 0) -> np.ndarray:
    """PPM (W, 4) of ``n`` instances drawn from ``probs`` (W, 4)."""
    rng = np.random.default_rng(seed)
    idx = (rng.random((n, len(probs), 1)) > np.cumsum(probs, axis=1)[None]).sum(-1).clip(0, 3)
    return np.stack([(idx == b).mean(0) for b in range(4)], axis=1)


def test_jaspar_lookup_is_offline(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    fresh = M.jaspar_core_vertebrates.__wrapped__("JASPAR2024")
    assert len(fresh) > 500
    i = fresh.index("MA0143.5")
    assert fresh.names[i] == "SOX2"
    assert fresh.pwms[i].shape[0] == 4
    np.testing.assert_allclose(fresh.pwms[i].sum(axis=0), 1.0)
    assert fresh.index("MA0143.9") == i  # another version of the same matrix: by base id


def test_tomtom_names_a_planted_known_motif(db):
    queries = [sample_ppm(jaspar_motif(name)[1], seed=k) for k, name in enumerate(("CTCF", "PAX6"))]
    best = M.match_ppms(queries, db, top_n=3)
    assert [b[0]["id"] for b in best] == ["MA0139.2", "MA0069.1"]
    assert all(b[0]["q"] < 0.05 for b in best)
    assert best[0][0]["q"] <= best[0][1]["q"]
    # the reverse complement is matched on the other strand
    rc = M.match_ppms([queries[0][::-1, ::-1]], db, top_n=1)[0][0]
    assert rc["id"] == "MA0139.2" and rc["strand"] == "-"


def _pattern(name: str, ppm: np.ndarray, n: int = 50) -> M.Pattern:
    flank = np.full((5, 4), 0.25)
    full = np.vstack([flank, ppm, flank])
    cwm = full * np.r_[np.zeros(5), np.ones(len(ppm)), np.zeros(5)][:, None]
    return M.Pattern(
        name,
        1 if name.startswith("pos") else -1,
        n,
        full,
        cwm,
        cwm,
        pd.DataFrame({"example_idx": [], "start": [], "end": [], "is_revcomp": []}),
    )


def test_trimming_keeps_informative_flanks_beyond_the_cwm_core(db):
    """A model leaning on PAX6's central columns: the CWM core alone names PAX9; the bounds
    widened over the PPM's informative flanks give the whole motif, named PAX6."""
    sharp = jaspar_motif("PAX6")[1] ** 2
    pax6 = sharp / sharp.sum(axis=1, keepdims=True)
    flank = np.full((6, 4), 0.25)
    ppm = np.vstack([flank, pax6, flank])
    weight = np.zeros(len(ppm))
    weight[6 + 2 : 6 + 12] = 1.0  # contributions only on columns 2..11
    pattern = M.Pattern(
        "pos_patterns.pattern_0", 1, 300, ppm, ppm * weight[:, None], ppm * weight[:, None], pd.DataFrame()
    )
    core = M.match_ppms([ppm[6 + 2 : 6 + 12]], db, 1)[0][0]
    assert core["name"] == "PAX9"  # what CWM trimming alone would report
    assert pattern.trim_bounds() == (6, 6 + len(pax6))
    assert M.match_ppms([pattern.trimmed_ppm()], db, 1)[0][0]["name"] == "PAX6"


def test_pattern_trimming_table_and_meme_files(db, tmp_path):
    from memelite.io import read_meme

    ctcf = sample_ppm(jaspar_motif("CTCF")[1])
    pats = [
        _pattern("pos_patterns.pattern_0", ctcf),
        _pattern("neg_patterns.pattern_0", sample_ppm(jaspar_motif("PAX6")[1])),
    ]
    assert pats[0].trim_bounds() == (5, 5 + len(ctcf))
    table = M.pattern_table(pats, db)
    assert list(table["match1_name"]) == ["CTCF", "PAX6"]
    assert list(table["sign"]) == ["+", "-"]
    M.write_patterns_meme(pats, tmp_path / "p.meme")
    back = read_meme(str(tmp_path / "p.meme"))
    assert list(back) == ["pos_patterns.pattern_0", "neg_patterns.pattern_0"]
    np.testing.assert_allclose(back["pos_patterns.pattern_0"], ctcf.T, atol=1e-6)
    M.write_db_meme(db, tmp_path / "db.meme")
    assert len(read_meme(str(tmp_path / "db.meme"))) == len(db)


def test_top_k_and_contrast_halves():
    windows = pd.DataFrame({"chrom": "chr1", "start": np.arange(6) * 10, "name": list("abcdef")})
    windows["end"] = windows["start"] + 10
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5], [0.95, 0.2], [0.1, 0.99], [0.3, 0.3]])
    assert list(top_k(windows, scores, 2, 0)["name"]) == ["d", "a"]
    both = top_k(windows, scores, 4, 0, contrast=1)
    assert list(both["name"]) == ["a", "d", "e", "b"]
    assert (both["score"].iloc[:2] > 0).all() and (both["score"].iloc[2:] < 0).all()


def _truth(tmp_path) -> Truth:
    elements = pd.DataFrame(
        {
            "element_id": ["e1", "e2", "e3"],
            "chrom": "chr1",
            "start": [0, 100, 200],
            "end": [50, 150, 250],
            "program": ["neuron", "npc", "shared"],
            "motifs": ["NEUROD1,RFX2", "SOX2", "CTCF"],
            "neuron": [1, 0, 1],
            "npc": [0, 1, 1],
        }
    )
    sites = pd.DataFrame(
        {
            "element_id": ["e1", "e1", "e2", "e3"],
            "chrom": "chr1",
            "start": [5, 20, 110, 210],
            "end": [12, 34, 117, 229],
            "motif_name": ["NEUROD1", "RFX2", "SOX2", "CTCF"],
            "matrix_id": ["MA1109.2", "MA0600.3", "MA0143.5", "MA0139.2"],
            "sequence": ["CAGATGG", "GTTGCCATGGCAAC", "ACAATGG", "C" * 19],
        }
    )
    return Truth(tmp_path, sites, elements, dict(zip(sites["motif_name"], sites["matrix_id"])))


def _table(rows):
    cols = ["pattern", "sign", "match1_id", "match1_name", "match1_q", "match2_id", "match2_q"]
    return pd.DataFrame(rows, columns=cols)


def test_recovery_and_contrast_check(tmp_path):
    truth = _truth(tmp_path)
    assert truth.motifs_of("neuron") == ["CTCF", "NEUROD1", "RFX2"]
    table = _table(
        [
            ("pos_patterns.pattern_0", "+", "MA1109.3", "NEUROD1", 1e-4, "MA0668", 1e-3),
            ("pos_patterns.pattern_1", "+", "MA0509.3", "RFX1", 1e-6, "MA0600.3", 1e-5),
            ("neg_patterns.pattern_0", "-", "MA0143.5", "SOX2", 1e-3, None, None),
        ]
    )
    rec = recovery(table, {"NEUROD1": "MA1109.2", "RFX2": "MA0600.3", "CTCF": "MA0139.2"})
    assert list(rec["named"]) == [True, False, False]
    assert list(rec["family_top"]) == [True, True, False]  # RFX1 shares RFX2's family
    sites = pd.DataFrame(
        {"motif": ["NEUROD1", "RFX2", "SOX2"], "n_sites": 5, "mean_contribution": [1.0, 0.5, -0.7]}
    )
    res, text = check_contrast(table, truth, "neuron", "npc", sites)
    assert set(res["motif"]) == {"NEUROD1", "RFX2", "SOX2"}
    assert res["site_sign_ok"].all() and not res["named_wrong_sign"].any()
    assert "separation: PASS" in text


@pytest.fixture
def ctcf_world(tmp_path):
    """A genome with JASPAR CTCF instances planted at 240 sites, their truth files, and a saved
    hand-built model whose one filter is CTCF's log-odds matrix."""
    from brainresnet_tf.models.saving import ModelMeta, save_model

    mid, probs = jaspar_motif("CTCF")
    rng = np.random.default_rng(0)
    width, length, n_sites = len(probs), 100, 240
    seqs, rows = {}, []
    for c in ("chr1", "chr2"):
        seq = rng.choice(list("ACGT"), 15_000)
        for start in np.arange(150, 15_000 - 150, 120):
            if len(rows) >= n_sites:
                break
            idx = (rng.random((width, 1)) > np.cumsum(probs, axis=1)).sum(-1).clip(0, 3)
            inst = "".join("ACGT"[i] for i in idx)
            seq[start : start + width] = list(inst)
            rows.append(
                {
                    "element_id": f"{c}_{start}",
                    "chrom": c,
                    "start": int(start),
                    "end": int(start + width),
                    "strand": "+",
                    "motif_name": "CTCF",
                    "matrix_id": mid,
                    "sequence": inst,
                }
            )
        seqs[c] = "".join(seq)
    data = tmp_path / "data"
    data.mkdir()
    fasta = write_fasta(data / "genome.fa", seqs)
    sites = pd.DataFrame(rows)
    sites.to_csv(data / "motif_sites.tsv", sep="\t", index=False)
    elements = sites[["element_id", "chrom", "start", "end"]].assign(
        program="open", motifs="CTCF", open=1, closed=0
    )
    elements.to_csv(data / "elements.tsv", sep="\t", index=False)
    sites[["chrom", "start", "end"]].to_csv(data / "peaks.bed", sep="\t", index=False, header=False)

    inp = keras.Input((length, 4), name="sequence")
    conv = keras.layers.Conv1D(1, width, activation="relu")
    noise = keras.layers.Conv1D(1, 5)  # small random weights: attributions are never all zero
    x = keras.layers.Concatenate()(
        [keras.layers.GlobalMaxPooling1D()(conv(inp)), keras.layers.GlobalAveragePooling1D()(noise(inp))]
    )
    dense = keras.layers.Dense(2, activation="sigmoid", name="profiles")
    model = keras.Model(inp, dense(x))
    log_odds = np.log(probs / 0.25).astype(np.float32)
    conv.set_weights([log_odds[:, :, None], np.array([-4.0], np.float32)])
    noise.set_weights([rng.normal(0, 1.0, (5, 4, 1)).astype(np.float32), np.zeros(1, np.float32)])
    dense.set_weights([np.array([[0.5, -0.5], [1.0, 1.0]], np.float32), np.zeros(2, np.float32)])
    save_model(
        model,
        tmp_path / "model.keras",
        ModelMeta(["open_ATAC", "closed_ATAC"], length, genome=str(fasta), cell_types=["open", "closed"]),
    )
    return tmp_path


def test_motifs_command_end_to_end(ctcf_world, capsys):
    """< 20 s once numba's kernels are cached (the first run in a fresh environment compiles
    modisco-lite's and memelite's kernels, ~1-2 min)."""
    from brainresnet_tf.cli import main

    out = ctcf_world / "motifs"
    t0 = time.time()
    rc = main(
        [
            "motifs",
            "--model",
            str(ctcf_world / "model.keras"),
            "--regions",
            str(ctcf_world / "data" / "peaks.bed"),
            "--task",
            "open_ATAC",
            "--method",
            "ixg",
            "--out",
            str(out),
            "--no-progress",
            "--bigwig",
        ]
    )
    elapsed = time.time() - t0
    assert rc == 0
    table = pd.read_csv(out / "motifs.tsv", sep="\t")
    top = table.iloc[0]
    assert top["sign"] == "+" and top["match1_name"] == "CTCF" and top["match1_q"] < 0.05
    for name in (
        "modisco_results.h5",
        "patterns.meme",
        "jaspar.meme",
        "report.html",
        "contributions.bw",
        "one_hot.npz",
        "hypothetical.npz",
        "regions.tsv",
    ):
        assert (out / name).stat().st_size > 0, name
    html = (out / "report.html").read_text()
    assert "logos/pos_0.cwm.png" in html and "CTCF" in html
    assert (out / "logos" / "pos_0.cwm.png").stat().st_size > 1000
    assert np.load(out / "hypothetical.npz")["arr_0"].shape == (240, 4, 100)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["check"]["recovery"][0]["named"] is True
    printed = capsys.readouterr().out
    assert "named as top TOMTOM match (q < 0.05): 1/1 = 100% -> PASS" in printed
    print(f"end-to-end motifs run: {elapsed:.1f} s")


def test_attribute_command_writes_bigwig(ctcf_world):
    import pyBigWig

    from brainresnet_tf.cli import main

    bw_path = ctcf_world / "track.bw"
    rc = main(
        [
            "attribute",
            "--model",
            str(ctcf_world / "model.keras"),
            "--regions",
            str(ctcf_world / "data" / "peaks.bed"),
            "--task",
            "open_ATAC",
            "--contrast",
            "closed_ATAC",
            "--out",
            str(bw_path),
            "--method",
            "ixg",
            "--no-progress",
        ]
    )
    assert rc == 0
    bw = pyBigWig.open(str(bw_path))
    sites = pd.read_csv(ctcf_world / "data" / "motif_sites.tsv", sep="\t")
    inside = [np.sum(bw.values(c, s, e)) for c, s, e in zip(sites.chrom, sites.start, sites.end)]
    outside = [np.mean(np.abs(bw.values(c, e + 5, e + 25))) for c, e in zip(sites.chrom, sites.end)]
    # the contrast open - closed keeps the CTCF filter (weights 0.5 - -0.5) and cancels the noise
    # filter (1 - 1): contributions are at the planted sites (and the few background windows
    # that pass the filter's threshold, mostly on the other strand)
    assert np.mean(inside) > 5.0
    assert np.median(outside) < 1e-6 and np.mean(outside) < np.mean(inside) / 100


def test_motifs_command_rejects_unknown_task(ctcf_world, capsys):
    from brainresnet_tf.cli import main

    rc = main(
        [
            "motifs",
            "--model",
            str(ctcf_world / "model.keras"),
            "--top-k",
            "10",
            "--task",
            "nope",
            "--out",
            str(ctcf_world / "m"),
        ]
    )
    assert rc == 2
    assert "unknown profile 'nope'" in capsys.readouterr().err


def test_genome_bins_and_top_k_windows(ctcf_world):
    from brainresnet_tf.interpret.selection import genome_bins, score_windows
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.models.saving import load_model

    model, meta = load_model(ctcf_world / "model.keras")
    genome = Genome(ctcf_world / "data" / "genome.fa")
    bins = genome_bins(genome, meta.input_length)
    assert len(bins) == 2 * (15_000 // 50 - 1)  # stride 50 over two 15 kb chromosomes
    assert (bins["end"] - bins["start"] == 100).all()
    scores = score_windows(model, genome, bins, meta.input_length, progress=False)
    best = top_k(bins, scores, 20, 0)
    sites = pd.read_csv(ctcf_world / "data" / "motif_sites.tsv", sep="\t")
    # every top window holds a whole planted CTCF instance
    for chrom, start in zip(best["chrom"], best["start"]):
        s = sites[sites["chrom"] == chrom]
        assert ((s["start"] >= start) & (s["end"] <= start + 100)).any()
