"""Simulated cities: a realistic prefecture-level city and petition cases driven through the real
commands (the demo, and the city-year the benchmarks use).

``city.build_city_spec`` writes an organisation in the org-file format
(``examples/organisation.yaml``): a city modelled on 哈密市 with its districts/counties, townships
and streets, villages and communities, grids, functional departments, petition bureaus, review
organs, 政法 and 纪检监察 organs, and people in posts (``people``), including posts that change
hands during the demo period.

``generator.generate_cases`` drives the application's own command API (``Batch``: every command
is checked by the aggregate exactly as an API call would be) to build case histories across every
path the regulation knows. Each case is a small simulation (a Python generator, ``engine``) that
yields its next act with a business time; a scheduler runs the acts of all cases of a batch in
business-time order, so a later petition (a bypass visit, a repeat) sees its original case as it
stood at that moment. Acts that would fall after the cut-off are not done: those cases stay open,
some overdue. The plan of a run (``plan``) picks each case's path and profile; the lives of cases
are told in ``intake``, ``handling``, ``replies`` and ``families``; what petitions are about is in
``matters``; moments in office hours in ``timing``. ``demo.run_demo`` is the demo run.

Nothing is caught: a refused command is a bug in this generator and stops the run, with the
case, the act and the rule that refused it.
"""
