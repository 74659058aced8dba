"""Run the benchmark: `python bench/run.py [--quick | --smoke] [--only raw,upstream,...]`. See README.md."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.cli import main

if __name__ == "__main__":
    sys.exit(main())
