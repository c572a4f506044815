-- Years whose official calendar an administrator loaded (SPEC 3, AdminService.SetCalendarYear).
-- A row's transfers and single-date days off replace the shipped ones (data/calendar.toml)
-- for that year, and deadlines in it are no longer provisional.
CREATE TABLE calendar_years (
    year           integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    dated_days_off jsonb NOT NULL CHECK (jsonb_typeof(dated_days_off) = 'array'),
    transfers      jsonb NOT NULL CHECK (jsonb_typeof(transfers) = 'array'),
    set_by         text NOT NULL,
    set_at         timestamptz NOT NULL DEFAULT now()
);
