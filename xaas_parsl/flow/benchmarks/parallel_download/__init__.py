"""631.parallel-download: ``generate`` fans out C items, each ``process`` downloads the same blob
from the object store."""
