"""660.map-reduce: word count (``split`` → map ``map`` → ``shuffle`` → map ``reduce``); the
intermediate counts travel through the object store, as upstream's do."""
