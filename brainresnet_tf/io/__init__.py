"""Files in and out, no TensorFlow: genome, intervals, VCF, sequences, tables, bigWig, atomic writes."""
