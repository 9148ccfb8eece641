-- imports_undone: mark an import undone, saying by whom.
-- $id, $message ("undone by ..."). Grain: one row per import.
update imports set status = 'undone', message = $message where import_id = $id
