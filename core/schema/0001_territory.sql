-- Territory: the French administrative referential imported from the npm
-- package @etalab/decoupage-administratif (INSEE data), the collectivities
-- that file requests, and the perimeters offers are given on.

CREATE TABLE departement (
  code   TEXT PRIMARY KEY,  -- INSEE code of the département ('31', '2A', '971')
  name   TEXT NOT NULL,     -- official name ('Haute-Garonne')
  region TEXT NOT NULL      -- INSEE code of its région ('76')
) WITHOUT ROWID;

CREATE TABLE collectivity (
  code        TEXT PRIMARY KEY,   -- INSEE code (commune, 5 characters) or SIREN (EPCI, syndicat, service: 9 digits)
  kind        TEXT NOT NULL CHECK (kind IN ('commune', 'epci', 'syndicat', 'service')), -- what it is
  name        TEXT NOT NULL,      -- official name
  population  INTEGER CHECK (population IS NULL OR population >= 0), -- municipal population (commune), total population (EPCI); NULL if unknown
  departement TEXT REFERENCES departement(code), -- département of a commune; main département of the others; NULL if unknown
  epci        TEXT REFERENCES collectivity(code), -- for a commune: SIREN of its EPCI à fiscalité propre; NULL otherwise
  epci_kind   TEXT CHECK (epci_kind IS NULL OR epci_kind IN ('CC', 'CA', 'CU', 'METRO', 'MET69')), -- for an EPCI: its legal kind; NULL otherwise
  siren       TEXT                -- SIREN of a commune; NULL for the others (their code is their SIREN)
) WITHOUT ROWID;
CREATE INDEX collectivity_by_epci ON collectivity(epci) WHERE epci IS NOT NULL;
CREATE INDEX collectivity_by_departement ON collectivity(departement, kind);
CREATE INDEX collectivity_by_name ON collectivity(name COLLATE NOCASE);

CREATE TABLE postal_code (
  commune TEXT NOT NULL REFERENCES collectivity(code) ON DELETE CASCADE, -- INSEE code of the commune
  code    TEXT NOT NULL,  -- a postal code serving it (5 digits)
  PRIMARY KEY (commune, code)
) WITHOUT ROWID;
CREATE INDEX postal_code_by_code ON postal_code(code);

CREATE TABLE perimeter (
  id   INTEGER PRIMARY KEY,  -- internal id
  kind TEXT NOT NULL CHECK (kind IN ('commune', 'epci', 'departement', 'adhoc')), -- how its communes are known
  ref  TEXT NOT NULL,        -- INSEE code of the commune, SIREN of the EPCI, code of the département, or slug of the ad-hoc perimeter
  name TEXT NOT NULL,        -- display name
  UNIQUE (kind, ref)
);

CREATE TABLE perimeter_member (
  perimeter INTEGER NOT NULL REFERENCES perimeter(id) ON DELETE CASCADE, -- an ad-hoc perimeter
  commune   TEXT NOT NULL REFERENCES collectivity(code), -- one of its communes
  PRIMARY KEY (perimeter, commune)
) WITHOUT ROWID;
