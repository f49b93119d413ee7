"""embviz explorer: ``panel serve apps/explorer.py`` (then open http://localhost:5006/explorer).

Opens on the bundled default corpus (5,000 WordNet glosses embedded with minilm; cached after
the first run). Environment: ``EMBVIZ_MAX_UPLOAD_MB`` (upload limit, default 50),
``EMBVIZ_APP_DATA`` (a folder whose corpus files the app may offer; no other server path is
ever read).
"""

import panel as pn

from embviz.app import Explorer

pn.extension("plotly", "tabulator", "filedropper", notifications=True)

Explorer().template().servable(title="embviz explorer")
