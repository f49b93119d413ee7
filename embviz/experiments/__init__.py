"""Research experiments built on embviz, not part of its measuring core.

Each module reproduces or probes a result from a paper with the package's encoders and
measures (e.g. :func:`finetune_local_id`, the fine-tuning experiment of Ruppik et al. 2025).
They train or run models, take minutes rather than seconds, and their outputs are findings to
read, not measurements to build on. Importing this package is light: torch and transformers
load when an experiment runs.
"""

from .finetune import finetune_local_id

__all__ = ["finetune_local_id"]
