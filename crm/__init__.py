"""CRM: the data Recovery Portal protects (companies, contacts, leads, deals,
products, custom field definitions), the module registry, the one canonical
record format, and the services through which every write goes, each
recording its History events in the same transaction. Also the CSV import and
the recycle bin's restore, which write CRM rows from files and from events.
"""
