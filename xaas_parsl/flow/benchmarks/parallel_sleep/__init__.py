"""630.parallel-sleep: ``generate`` fans out C items, each ``process`` sleeps S seconds."""
