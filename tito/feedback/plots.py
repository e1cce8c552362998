"""What every module's figures share: a plain matplotlib Figure (headless, no pyplot, no
global state) that Jupyter shows once per cell and `tito plot` saves as PNG."""
from __future__ import annotations

import io

from matplotlib.figure import Figure

DPI = 100


def first_display_in_cell(obj) -> bool:
    """True the first time `obj` is displayed in the current Jupyter cell.

    The notebook helpers show their results at once (so a cell with two plots shows both)
    and also return them; this keeps Jupyter from showing the returned value again.
    """
    from IPython import get_ipython

    count = getattr(get_ipython(), "execution_count", None)
    if count is not None and getattr(obj, "_shown_in_cell", None) == count:
        return False
    obj._shown_in_cell = count
    return True


class FeedbackFigure(Figure):
    """A Figure that Jupyter shows once per cell, however often it is displayed."""

    def _ipython_display_(self):
        if not first_display_in_cell(self):
            return
        from IPython.display import Image, display

        buffer = io.BytesIO()
        self.savefig(buffer, format="png")
        display(Image(buffer.getvalue()))


def _figure(size) -> FeedbackFigure:
    """An empty figure of `size` inches at DPI, laid out by matplotlib's constrained layout."""
    fig = FeedbackFigure(figsize=size, dpi=DPI, layout="constrained")
    fig.get_layout_engine().set(h_pad=0.08, w_pad=0.08, hspace=0.06, wspace=0.05)
    return fig
