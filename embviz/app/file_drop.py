"""An upload widget whose size limit holds end to end: chunked, refused in the page and on the
server.

Panel's ``FileInput`` sends a file as one base64 websocket message, and Bokeh closes the
session on any message above 20 MiB, so files above ~15 MB silently killed the page and the
documented upload limit could never be reached. ``FileDropper`` sends the file in chunks
(:data:`CHUNK_BYTES` each, well under the websocket limit) and its page side refuses a file
above ``max_file_size`` before sending anything ("File is too large"). A page can be forged,
so :class:`LimitedFileDropper` also counts the bytes that arrive and drops a file as soon as
they exceed :func:`~embviz.app.limits.max_upload_bytes`, naming it in :attr:`refused`. It also
holds one unfinished file at a time: the first chunk of a new file drops the chunks of any file
still arriving (Panel keeps each name's chunks until its last one comes, so forged first chunks
under ever new names, never finished, used to add 42 MB each for as long as the page was open).
A page's unfinished uploads are thus bounded by its upload widgets times the upload limit.
"""

from __future__ import annotations

import panel as pn
import param

from .limits import max_upload_bytes

__all__ = ["CHUNK_BYTES", "LimitedFileDropper"]

#: Bytes per websocket message of an upload (Bokeh's default message limit is 20 MiB).
CHUNK_BYTES = 4_000_000


class LimitedFileDropper(pn.widgets.FileDropper):
    """A single-file ``FileDropper`` limited to ``max_upload_bytes()``, checked on the server.

    Attributes
    ----------
    refused : str
        The message of the last file dropped for its size (set once its last chunk arrives,
        or at the first chunk over the limit), empty otherwise.
    """

    refused = param.String(default="", doc="why the last file was dropped (its size)")
    receiving = param.Boolean(default=False, doc="a file's chunks are arriving (first chunk "
                              "received, last one not yet)")

    _rename = {**pn.widgets.FileDropper._rename, "refused": None,
               "receiving": None}  # server-side only

    def __init__(self, **params):
        limit = max_upload_bytes()
        params.setdefault("max_file_size", f"{max(1, limit // 1000)}KB")
        params.setdefault("chunk_size", CHUNK_BYTES)
        super().__init__(multiple=False, **params)
        self._received: dict[str, int] = {}

    @property
    def filename(self) -> str | None:
        """The uploaded file's name (the newest, if a page sent several)."""
        return next(reversed(self.value), None) if self.value else None

    @property
    def content(self) -> bytes | None:
        """The uploaded file's bytes (text files come back as str from Panel: re-encoded)."""
        if not self.value:
            return None
        data = self.value[self.filename]
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)

    def _process_event(self, event) -> None:
        if event.event_name != "upload_event":
            super()._process_event(event)
            return
        if not self._accept_chunk(event.data):
            return
        super()._process_event(event)
        if event.data.get("chunk") == event.data.get("total_chunks"):
            self._received.pop(event.data.get("name"), None)
            self.receiving = False

    def _accept_chunk(self, data: dict) -> bool:
        """Count the chunk's bytes; False (and the file's buffer dropped) over the limit or
        for a chunk of a file whose first chunk never came."""
        name, chunk = data.get("name"), data.get("chunk")
        if chunk == 1:
            for other in list(self._received):  # one file arrives at a time: a new one
                self._file_buffer.pop(other, None)  # replaces any still arriving
            self._received = {name: 0}
            self.value.clear()  # one file at a time: a new upload replaces the last one
            self.mime_type.clear()
            self.receiving = True
        elif name not in self._received:
            return False
        self._received[name] += len(data.get("data") or b"")
        limit = max_upload_bytes()
        if self._received[name] <= limit:
            return True
        self._file_buffer.pop(name, None)
        del self._received[name]
        self.receiving = False
        self.refused = ""  # a second refusal of the same name still notifies
        self.refused = (f"{name!r} is larger than the upload limit of {limit / 1e6:g} MB "
                        f"(set EMBVIZ_MAX_UPLOAD_MB)")
        return False
