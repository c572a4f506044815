-- The day the documents of a closed kandas status application were erased (SPEC 5.7, seed
-- 004); NULL while they are kept.
ALTER TABLE applications ADD COLUMN documents_erased_on date;
CREATE INDEX applications_documents_kept ON applications (procedure, id)
    WHERE documents_erased_on IS NULL AND state <> 'submitted';
