"""690.ml: ``generate`` a seeded classification data set, then train one classifier per schedule
in a map (scikit-learn, as upstream)."""
