"""Running one training: the trainer (``trainer``), from config to record (``experiment``), devices and data
parallelism (``distributed``), metrics, tracking and inference on trained runs."""
