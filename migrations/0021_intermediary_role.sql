-- Intermediaries: organisations that file IIN applications on an applicant's behalf under a
-- service agreement (the AIFC Expat Centre's Personal Manager service). They hold certificates
-- and are registered like every other caller, so the registry must accept their role.
ALTER TABLE organisations DROP CONSTRAINT organisations_role_known;
ALTER TABLE organisations ADD CONSTRAINT organisations_role_known
    CHECK (role IN ('psc', 'portal', 'intermediary', 'mission', 'commission', 'police',
                    'employment_center', 'admin', 'registry'));
