"""The embedded demo's generators: a synthetic genome with JASPAR motifs planted per cell type
(peaks, signal, truth files) and the variants that break or create them. Not part of the data
layer a user's files flow through; they use the io layer to write real FASTA, BED and bigWig."""
