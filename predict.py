"""Batch prediction: `python predict.py --model models/<run> --input PATH --output OUT.jsonl`.

The same as `netra predict`; see `netra predict --help` and src/netra/predict.py.
"""

import sys

from netra.cli import main

if __name__ == "__main__":
    sys.exit(main(["predict", *sys.argv[1:]]))
