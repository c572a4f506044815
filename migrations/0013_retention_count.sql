-- The metrics endpoint counts erased applications at every scrape: an index of those alone
-- keeps that count from reading the whole applications table.
CREATE INDEX applications_documents_erased ON applications (documents_erased_on)
    WHERE documents_erased_on IS NOT NULL;
