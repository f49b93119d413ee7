"""embviz explorer: ``panel serve apps/explorer.py`` (then open http://localhost:5006/explorer).

Opens on the bundled default corpus (5,000 WordNet glosses embedded with minilm; cached after
the first run). Environment: ``EMBVIZ_MAX_UPLOAD_MB`` (upload limit, default 50; uploads are
sent in chunks, so it holds end to end), ``EMBVIZ_MAX_ROWS`` (texts per corpus, a bundled
sample's ``n`` or an upload's rows, default 200,000), ``EMBVIZ_MAX_UPLOAD_VALUES`` and
``EMBVIZ_MAX_DECODED_MB`` (values an uploaded Parquet / ``.npy`` file may declare, default
20,000,000, and what it may decode to, default 500 MB; read from its metadata before its data),
``EMBVIZ_MAX_JOBS`` (heavy jobs run at
once across all sessions of the server, default 2; the others queue and their pages say how
many jobs are ahead), ``EMBVIZ_APP_DATA`` (a folder whose corpus files the app may offer; no
other server path is ever read). A closed page's jobs stop within a few seconds, and the server
exits promptly on SIGTERM even during a job.
"""

import panel as pn

from embviz.app import Explorer

pn.extension("plotly", "tabulator", "filedropper", notifications=True)

Explorer().template().servable(title="embviz explorer")
