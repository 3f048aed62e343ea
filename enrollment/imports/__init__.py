"""Roster import (花名册导入), in one place. The workflow, step by step:

1. **Upload** (views.imports.import_upload): the .xlsx is checked by core.uploads (content
   sniffed, size bounded) and read by `parse.parse_roster`: bounded and streaming, the header
   found under any title rows, columns recognised by their usual names, cells cleaned (names,
   ID numbers with check digit, phones, ranks), footer rows dropped.
2. **Match and preview** (`enrollment.services.imports.import_preview_create`): each row is matched to a person
   (ID number, then phone or staff number with the name) or marked for a new account; unit
   texts as offices write them are placed in the unit tree (`match.match_unit`, remembered
   aliases `UnitAlias`); the preview is stored on an `ImportBatch` with a digest.
3. **Correct** (`import_unit_resolve`, `import_row_edit`): the organizer picks
   the unit for a text the importer could not place (`selectors.import_unknown_units` offers
   the likeliest first; the choice is remembered as an alias) and edits a row inline.
4. **Confirm** (`import_commit`): everything in one transaction, refused when the
   preview is stale (its digest no longer matches) or over capacity; or **cancel**.
5. **Purge** (`import_batches_purge`, nightly from beat): row details (ID numbers,
   phones) are cleared after IMPORT_DETAIL_DAYS, unconfirmed previews deleted.

Modules here: `parse` (reading the workbook, cleaning cells; no database), `match` (unit
names as offices write them placed in the tree; no database), `selectors` (the reads of the
preview page). The writes are `enrollment.services.imports` (with every other enrollment write,
re-exported by `enrollment.services`). Pages:
`enrollment.views.imports`; templates `enrollment/import_upload.html`,
`enrollment/import_preview.html`. `credits.online_import` reuses the cell cleaners of `parse`.
"""
