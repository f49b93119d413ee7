"""Research experiments built on embviz, not part of its measuring core.

Each module reproduces or probes a result from a paper with the package's encoders and
measures (e.g. :func:`finetune_local_id`, the fine-tuning experiment of Ruppik et al. 2025;
:func:`few_shot_classify`, depth-based choice of in-context examples of Seegmiller & Preum 2023;
:func:`critical_n` and :func:`limit_dataset`, the free-embedding experiment and the LIMIT
dataset of Weller et al. 2025).
They train or run models, take minutes rather than seconds, and their outputs are findings to
read, not measurements to build on. Importing this package is light: torch and transformers
load when an experiment runs.
"""

from .finetune import change_correlation, finetune_local_id
from .free_embedding import (
    PAPER_CUBIC,
    CriticalN,
    FreeEmbeddingFit,
    critical_n,
    critical_n_curve,
    cyclic_polytope_embedding,
    free_embedding_fit,
    paper_critical_n,
    polynomial_fit,
)
from .icl import SELECTIONS, compare_selections, few_shot_classify, select_examples
from .limit_dataset import (
    LimitDataset,
    bm25_scores,
    limit_dataset,
    recall_at_k,
    recall_table,
    retrieval_recall,
)

__all__ = ["PAPER_CUBIC", "SELECTIONS", "CriticalN", "FreeEmbeddingFit", "LimitDataset",
           "bm25_scores", "change_correlation", "compare_selections", "critical_n",
           "critical_n_curve", "cyclic_polytope_embedding", "few_shot_classify",
           "finetune_local_id", "free_embedding_fit", "limit_dataset",
           "paper_critical_n", "polynomial_fit", "recall_at_k", "recall_table",
           "retrieval_recall", "select_examples"]
