"""People: the registry of prisoners of war, detained civilians, the missing and the dead; the lists the
parties exchange (XLSX and CSV in, out); families' inquiries; and the matching of names across scripts.

Modules:
    names        normalisation and transliteration (Ukrainian 2010, Russian passport 1997/2010 and ICAO,
                 GOST, BGN/PCGN, German, French), Ukrainian <-> Russian name equivalents, the Slavic
                 phonetic key; pure functions, no database
    spreadsheet  reading lists from XLSX and CSV safely (headers in three languages, column mapping,
                 dates, a report for every row) and writing them without formula injection
    matching     the probabilistic model (Splink on DuckDB; the same settings run on Spark): dedupe a
                 list, link a list or an inquiry to the registry; the batch commands `parley match` and
                 `parley dedupe`
    models, kinds, service, api, cli, scenario, export
                 the registry on the spine's one write path: signed records, audiences, reads; a
                 capability that ``parley.assembly`` registers
"""
