"""The deadline engine: obligations, reminders, escalation and timers, swept by Celery beat.

Apps register their obligation kinds and timer actions (``registry``), create obligations
through ``services``, and never write timers of their own.
"""
