"""CRM History: the append-only event log of every create, update, delete and
restore of a CRM record (R1-R5), its recorder, the timeline's queries, pages
and API. It never imports the CRM it logs: the CRM registers how to title and
link a record of each entity type (`registry`).
"""
