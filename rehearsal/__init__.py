"""The offline rehearsal of ``kedro run --env paper`` (``make rehearse-paper``), outside the package."""
