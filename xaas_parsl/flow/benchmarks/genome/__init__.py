"""6100.1000-genome: the Pegasus 1000 Genomes workflow (chromosome 21) as SeBS-Flow runs it:
``individuals`` per VCF byte range → ``individuals_merge`` ‖ ``sifting`` → per population
``frequency`` ‖ ``mutation_overlap``.

Upstream's inputs (the real chr21 VCF, its SIFT annotation and the population lists) come from
SeBS's data repository. Ours are synthetic and seeded (``_data``): a VCF with the same columns,
an ``AF`` field at the 9th INFO position and phased genotypes, an annotation VCF whose ``|``-split
INFO carries gene and SIFT/PolyPhen fields at positions 4, 16, 17, and population member lists
(with some names absent from the VCF, so the intersection matters). Random draws in
``frequency``/``mutation_overlap`` are seeded by the population name, so outputs are
reproducible (upstream's are not).
"""
