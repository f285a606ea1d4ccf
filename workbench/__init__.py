"""Data Quality Workbench: keep ML training data honest.

The package holds every computation; the notebooks in ``notebooks/`` tell the story and
``workbench report NAME`` renders them headless into HTML reports.
"""

from workbench.errors import WorkbenchError

__all__ = ["WorkbenchError", "__version__"]

__version__ = "0.1.0"
