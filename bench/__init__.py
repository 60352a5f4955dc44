"""lyricbot's benchmarks: training throughput, generation speed and request latency of the
lyriccore engine, run with `python -m bench` (see bench/README.md)."""
