"""``Encoder``: texts -> vectors with a Hugging Face model, hooked unchanged.

Hidden states come from ``output_hidden_states`` (index 0 = the embedding layer, -1 = the last
layer), so any architecture ``AutoModel`` loads works, encoders and causal LMs alike.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from .._validation import check_choice, check_positive_int, check_texts
from .device import inference_dtype, resolve_device
from .models import DEFAULT_MODEL, resolve_model
from .pooling import POOLINGS, pool

__all__ = ["Encoder", "TokenActivations"]

_logger = logging.getLogger(__name__)
_MAX_DEFAULT_LENGTH = 512


@dataclass
class TokenActivations:
    """Per-token hidden states of one layer, for token-level geometry and SAE training.

    Attributes
    ----------
    vectors : ndarray of shape (n_tokens, d), float32
    doc_index : ndarray of shape (n_tokens,), int64
        Which input text each token belongs to (texts in input order).
    position : ndarray of shape (n_tokens,), int64
        The token's position inside its (prompted, truncated) text.
    tokens : list of str, length n_tokens
        The tokenizer's token strings.
    layer : int
        Hidden-state index the vectors come from (0 = embeddings).
    """

    vectors: np.ndarray
    doc_index: np.ndarray
    position: np.ndarray
    tokens: list[str]
    layer: int

    def __len__(self) -> int:
        return len(self.vectors)


class Encoder:
    """Embed texts with a local transformer: pooling, layers, prompts, batching by length.

    Parameters
    ----------
    model : str, default "minilm"
        A registered name (see :func:`embviz.embed.list_models`), a local Hugging Face folder
        or a hub id where a hub is reachable.
    pooling : {"mean", "cls", "last", "max", "mean_skip_first"}, optional
        Defaults to ``"mean"`` for encoders and ``"last"`` for causal LMs.
    layer : int, default -1
        Hidden-state index used by :meth:`encode` (0 = embedding layer, -1 = last layer).
    prompt : str, optional
        Instruction prefix prepended to every text (prompt-based embeddings).
    max_length : int, optional
        Token limit; longer texts are truncated and counted in ``n_truncated_``. Defaults to the
        model's Sentence-Transformers ``max_seq_length`` when present, else
        ``min(model limit, 512)``. At most the model limit: ``max_position_embeddings``, or the
        tokenizer's ``model_max_length`` where smaller (mpnet: 514 positions, 512 usable).
    normalize : bool, default False
        L2-normalise each vector.
    batch_size : int, default 64
    device : str, default "auto"
        CUDA (float16) -> MPS -> CPU.
    progress : bool, default True
        Show a tqdm bar.

    Attributes
    ----------
    n_truncated_ : int
        Number of texts truncated by the last call.
    n_unknown_ : int
        Number of texts of the last call that became mostly unknown tokens: at least half of
        their tokens are the tokenizer's unknown token (``[UNK]``). A word-piece tokenizer
        turns any "word" longer than 100 characters (a long URL, a base64 blob, a 100,000
        character string without spaces) into a single ``[UNK]``, so such a text is short,
        not truncated, and its vector says next to nothing about it; a warning is logged.

    Examples
    --------
    >>> enc = Encoder("minilm", device="cpu", progress=False)
    >>> enc.encode(["a cat", "a dog"]).shape
    (2, 384)
    """

    def __init__(self, model: str = DEFAULT_MODEL, pooling: str | None = None, layer: int = -1,
                 prompt: str | None = None, max_length: int | None = None,
                 normalize: bool = False, batch_size: int = 64, device: str = "auto",
                 progress: bool = True):
        self.model_info = resolve_model(model)
        self.pooling = pooling or ("last" if self.model_info.kind == "causal" else "mean")
        check_choice(self.pooling, "pooling", POOLINGS)
        if prompt is not None and not isinstance(prompt, str):
            raise TypeError(f"prompt must be a string or None, got {type(prompt).__name__}")
        self.prompt = prompt or ""
        self.max_length = (self._default_max_length() if max_length is None
                           else self._check_max_length(max_length))
        self.layer = self._check_layer(layer, "layer")
        self.normalize = bool(normalize)
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.device = resolve_device(device)
        self.progress = progress
        self.n_truncated_ = 0
        self.n_unknown_ = 0
        self._model = None
        self._tokenizer = None

    # ------------------------------------------------------------------ setup
    @property
    def n_hidden_states(self) -> int:
        """Number of hidden states: transformer layers + 1 (the embedding layer)."""
        return int(self.model_info.config["num_hidden_layers"]) + 1

    def resolve_layers(self, layers=None) -> list[int]:
        """Checked, non-negative hidden-state indices (``None``: all of them).

        Parameters
        ----------
        layers : sequence of int, optional
            Indices in ``-n_hidden_states .. n_hidden_states - 1`` (negative count from the end).

        Returns
        -------
        list of int
        """
        if layers is None:
            return list(range(self.n_hidden_states))
        resolved = [self._check_layer(layer, "layers") for layer in layers]
        if not resolved:
            raise ValueError("layers is empty: give at least one hidden-state index")
        return resolved

    def _check_layer(self, layer, name: str) -> int:
        n = self.n_hidden_states
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)):
            raise TypeError(f"{name} must be an integer hidden-state index, got {layer!r}")
        if not -n <= layer < n:
            raise ValueError(f"{name}={layer} is out of range for {self.model_info.name!r}, "
                             f"which has {n} hidden states (valid: {-n}..{n - 1}; "
                             f"0 = embeddings, -1 = last layer)")
        return int(layer) % n

    def _default_max_length(self) -> int:
        import json
        from pathlib import Path

        st_config = Path(self.model_info.path) / "sentence_bert_config.json"
        if st_config.exists():
            return int(json.loads(st_config.read_text())["max_seq_length"])
        limit = self.model_info.config.get("max_position_embeddings", _MAX_DEFAULT_LENGTH)
        return min(int(limit), _MAX_DEFAULT_LENGTH)

    def _position_limit(self) -> int | None:
        """The longest input, in tokens, the model can read (``None`` when it doesn't say).

        ``max_position_embeddings`` of its config, or the tokenizer's ``model_max_length``
        where that is smaller (RoBERTa-style models such as mpnet keep two of their positions
        for padding: 514 in the config, 512 usable).
        """
        import json
        from pathlib import Path

        limits = []
        if self.model_info.config.get("max_position_embeddings"):
            limits.append(int(self.model_info.config["max_position_embeddings"]))
        tokenizer_config = Path(self.model_info.path) / "tokenizer_config.json"
        if tokenizer_config.exists():
            declared = json.loads(tokenizer_config.read_text()).get("model_max_length")
            if isinstance(declared, (int, float)) and 0 < declared < 10**7:  # 1e30: unset
                limits.append(int(declared))
        return min(limits) if limits else None

    def _check_max_length(self, max_length) -> int:
        max_length = check_positive_int(max_length, "max_length", minimum=2)
        limit = self._position_limit()
        if limit is not None and max_length > limit:
            raise ValueError(f"max_length={max_length} exceeds the {limit} tokens that "
                             f"{self.model_info.name!r} can read (its position embeddings); "
                             f"pass max_length <= {limit}, or None for the model's default "
                             f"({self._default_max_length()})")
        return max_length

    def _load(self):
        if self._model is None:
            from transformers import AutoModel, AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(self.model_info.path)
            if tokenizer.pad_token is None:
                tokenizer.pad_token = tokenizer.eos_token
            model = AutoModel.from_pretrained(self.model_info.path,
                                              dtype=inference_dtype(self.device))
            self._tokenizer, self._model = tokenizer, model.to(self.device).eval()
        return self._tokenizer, self._model

    def provenance(self, layers: list[int] | None = None) -> dict:
        """Everything that decides the vectors (used as the cache key and stored with them)."""
        return {"model": self.model_info.provenance(), "pooling": self.pooling,
                "layers": [self.layer] if layers is None else list(layers),
                "prompt": self.prompt, "max_length": self.max_length,
                "normalize": self.normalize}

    # ------------------------------------------------------------------ batching
    def _tokenize(self, texts: list[str]) -> list[list[int]]:
        tokenizer, _ = self._load()
        texts = [self.prompt + t for t in texts]
        full = tokenizer(texts, truncation=False, verbose=False)["input_ids"]
        self.n_truncated_ = int(sum(len(ids) > self.max_length for ids in full))
        self.n_unknown_ = self._count_unknown(tokenizer, full)
        if self.n_unknown_:
            _logger.warning("%d of %d texts are mostly unknown tokens (%s): a word-piece "
                            "tokenizer turns any word longer than 100 characters (URLs, "
                            "blobs, text without spaces) into one; their vectors say next to "
                            "nothing about them", self.n_unknown_, len(texts),
                            tokenizer.unk_token)
        if self.n_truncated_:
            _logger.warning("%d of %d texts were truncated to max_length=%d tokens",
                            self.n_truncated_, len(texts), self.max_length)
            return tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]
        return full

    def _count_unknown(self, tokenizer, token_ids: list[list[int]]) -> int:
        """Texts of which at least half the tokens (past the prompt and special tokens) are
        the unknown token."""
        unknown = tokenizer.unk_token_id
        if unknown is None:
            return 0
        overhead = len(tokenizer(self.prompt)["input_ids"])  # special tokens + the prompt
        return int(sum(0 < 2 * ids.count(unknown) >= len(ids) - overhead for ids in token_ids))

    def _batches(self, token_ids: list[list[int]], desc: str):
        """Yield ``(rows, hidden_states, attention_mask, input_ids)``, longest texts first."""
        import torch

        from .._progress import progress_bar

        tokenizer, model = self._load()
        order = np.argsort([-len(ids) for ids in token_ids], kind="stable")
        bar = progress_bar(total=len(order), desc=desc, unit="text", disable=not self.progress,
                   leave=False)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                rows = order[start:start + self.batch_size]
                batch = tokenizer.pad({"input_ids": [token_ids[i] for i in rows]},
                                      return_tensors="pt").to(self.device)
                out = model(input_ids=batch["input_ids"],
                            attention_mask=batch["attention_mask"], output_hidden_states=True)
                yield rows, out.hidden_states, batch["attention_mask"], batch["input_ids"]
                bar.update(len(rows))
        bar.close()

    def _pool(self, hidden, mask):
        import torch.nn.functional as F

        vectors = pool(hidden.float(), mask, self.pooling)
        return F.normalize(vectors, dim=-1) if self.normalize else vectors

    # ------------------------------------------------------------------ public
    def encode(self, texts) -> np.ndarray:
        """Embed texts at ``self.layer``.

        Parameters
        ----------
        texts : sequence of str, length n

        Returns
        -------
        ndarray of shape (n, d), float32, in input order
        """
        return self.encode_layers(texts, [self.layer])[0]

    def encode_layers(self, texts, layers=None) -> np.ndarray:
        """Embed texts at several layers in one forward pass.

        Parameters
        ----------
        texts : sequence of str, length n
        layers : sequence of int, optional
            Hidden-state indices (default: all, ``0..n_hidden_states-1``).

        Returns
        -------
        ndarray of shape (n_layers, n, d), float32
        """
        texts = check_texts(texts)
        layers = self.resolve_layers(layers)
        token_ids = self._tokenize(texts)
        out = None
        for rows, hidden, mask, _ in self._batches(token_ids, f"embed {self.model_info.name}"):
            pooled = [self._pool(hidden[layer], mask).cpu().numpy() for layer in layers]
            if out is None:
                out = np.empty((len(layers), len(texts), pooled[0].shape[1]), np.float32)
            out[:, rows] = np.stack(pooled)
        return out

    def first_token_norm_ratio(self, texts, layers=None) -> np.ndarray:
        """How much larger the first token's hidden state is than the others', per layer.

        One forward pass. The first real token of a causal LM (BOS, or the first word when no
        BOS is added) is an attention sink whose state has a far larger norm than the other
        tokens' (Xiao et al. 2024, ICLR; Sun et al. 2024, "Massive Activations in Large Language
        Models", COLM); in an encoder the first token is [CLS].

        Parameters
        ----------
        texts : sequence of str, length n
            Texts of at least two tokens count; shorter ones are skipped.
        layers : sequence of int, optional
            Hidden-state indices (default: all).

        Returns
        -------
        ndarray of shape (n_layers,), float64
            Median L2 norm of the first real token divided by the median L2 norm of the other
            real tokens, over all texts, per layer.
        """
        texts = check_texts(texts)
        layers = self.resolve_layers(layers)
        token_ids = self._tokenize(texts)
        first: list[list[np.ndarray]] = [[] for _ in layers]
        rest: list[list[np.ndarray]] = [[] for _ in layers]
        for _, hidden, mask, _ in self._batches(token_ids, "token norms"):
            real = mask.bool().cpu().numpy()
            start = real.argmax(1)  # first real token (either padding side)
            for i, layer in enumerate(layers):
                norms = hidden[layer].float().norm(dim=-1).cpu().numpy()  # (batch, tokens)
                for b in range(len(norms)):
                    if real[b].sum() < 2:
                        continue
                    keep = real[b].copy()
                    keep[start[b]] = False
                    first[i].append(norms[b, start[b]:start[b] + 1])
                    rest[i].append(norms[b, keep])
        if not first[0]:
            raise ValueError("no text has two or more tokens")
        return np.array([np.median(np.concatenate(f)) / np.median(np.concatenate(r))
                         for f, r in zip(first, rest)], dtype=np.float64)

    def token_activations(self, texts, layer: int = -1,
                          special_tokens: bool = False) -> TokenActivations:
        """Hidden states of every token at one layer.

        Parameters
        ----------
        texts : sequence of str, length n
        layer : int, default -1
        special_tokens : bool, default False
            Keep special tokens ([CLS], [SEP], BOS); padding is always dropped.

        Returns
        -------
        TokenActivations
            ``vectors (n_tokens, d)`` with each token's document index, position and string,
            ordered by document then position.
        """
        texts = check_texts(texts)
        layer = self._check_layer(layer, "layer")
        tokenizer, _ = self._load()
        token_ids = self._tokenize(texts)
        per_doc: list = [None] * len(texts)
        for rows, hidden, mask, ids in self._batches(token_ids, "token activations"):
            states = hidden[layer].float().cpu().numpy()
            for b, row in enumerate(rows):
                keep = mask[b].bool().cpu().numpy()
                if not special_tokens:
                    special = tokenizer.get_special_tokens_mask(
                        ids[b].tolist(), already_has_special_tokens=True)
                    keep &= ~np.asarray(special, bool)
                per_doc[row] = (states[b][keep], np.flatnonzero(keep), ids[b][keep].tolist())
        return TokenActivations(
            vectors=np.concatenate([d[0] for d in per_doc]).astype(np.float32),
            doc_index=np.concatenate([np.full(len(d[1]), i) for i, d in enumerate(per_doc)]),
            position=np.concatenate([d[1] for d in per_doc]).astype(np.int64),
            tokens=[tok for d in per_doc for tok in tokenizer.convert_ids_to_tokens(d[2])],
            layer=layer)
