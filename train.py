"""Fine-tune the netra tagger and article-type classifier.

    python train.py --config configs/tiny.yaml [training.epochs=3 ...] [--resume | --overwrite]
    torchrun --nproc_per_node 2 train.py --config configs/tiny.yaml

Reads top to bottom like `netra.training.run_training`, which does the work:
config -> seed -> data (validated, labels checked) -> for each of tagger and classifier: build the
model, train with the Hugging Face Trainer (windows, pooled classifier loss, dev metrics,
checkpoints), choose thresholds, save best/ and last/ -> run.json.
"""

import argparse
import sys

from netra.commands.train import add_arguments, run

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    sys.exit(run(parser.parse_intermixed_args()))
