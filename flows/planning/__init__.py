"""Pure planning, no Prefect and no I/O: the planner's model (``model``), its greedy pass
(``seating``), its exact step (``cpsat``), the round planner (``planner``), one candidate's slot
(``slots``) and her call windows (``windows``).

May import: ``config`` (round types), and within ``flows.planning``: model <- seating <- cpsat
<- planner <- slots.
"""
