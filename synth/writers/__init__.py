"""Dataset writers: files on disk, atomic writes, merge of per-frame records."""
