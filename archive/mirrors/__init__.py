"""Mirror awareness: probe each domain, classify it, find new mirrors, record and alert on changes.

``classify`` says what an answer means, ``probe`` asks a domain (and archives the exchange),
``discovery`` reads the outlet's own announcements of new addresses, ``state`` keeps the
history and the candidates, and ``run`` holds the stage functions the DAG and CLI call.
Failover during a crawl lives with the spider (``spiders/failover.py``) and uses
``classify`` to recognise a seizure notice.
"""
