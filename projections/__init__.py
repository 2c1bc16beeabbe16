"""Read models of the case log: statutory clocks, responsibility segments, work queues.

Entry points: :func:`projections.runner.catch_up`, :func:`projections.runner.rebuild`,
:func:`projections.runner.recompute_provisional`, and the questions in :mod:`projections.queries`.
"""
