-- Catalogue: the organisations that give support (departmental services and
-- satellite bodies), their offers, the fixed theme taxonomy, and the
-- memberships of collectivities to organisations.

CREATE TABLE theme (
  code     TEXT PRIMARY KEY,  -- identifier used in code, API and URLs
  label    TEXT NOT NULL,     -- French label shown to users
  position INTEGER NOT NULL   -- display order
) WITHOUT ROWID;
INSERT INTO theme (code, label, position) VALUES
  ('voirie', 'Voirie', 1),
  ('eau-assainissement', 'Eau et assainissement', 2),
  ('batiments', 'Bâtiments', 3),
  ('urbanisme', 'Urbanisme', 4),
  ('energie', 'Énergie', 5),
  ('environnement', 'Environnement', 6),
  ('numerique', 'Numérique', 7),
  ('mobilite', 'Mobilité', 8),
  ('democratie-participative', 'Démocratie participative', 9),
  ('social', 'Social', 10),
  ('culture-patrimoine', 'Culture et patrimoine', 11),
  ('tourisme', 'Tourisme', 12),
  ('finances', 'Finances', 13),
  ('juridique', 'Juridique', 14),
  ('commande-publique', 'Commande publique', 15);

CREATE TABLE org (
  id         INTEGER PRIMARY KEY, -- internal id
  slug       TEXT NOT NULL UNIQUE, -- short stable identifier ('atd31'), lower-case letters, digits and '-'
  name       TEXT NOT NULL,       -- full name
  kind       TEXT NOT NULL CHECK (kind IN ('direction', 'service', 'satellite', 'mission', 'partner')), -- place in the département's organisation
  parent     INTEGER REFERENCES org(id), -- enclosing organisation (a service's direction); NULL at top level
  email      TEXT,                -- contact e-mail address
  phone      TEXT,                -- contact telephone number
  capacity   INTEGER NOT NULL DEFAULT 20 CHECK (capacity >= 0), -- open parts it can hold at once (used for load)
  created_at INTEGER NOT NULL     -- creation time, UTC epoch milliseconds
);

CREATE TABLE offer (
  id                  INTEGER PRIMARY KEY, -- internal id
  slug                TEXT NOT NULL UNIQUE, -- short stable identifier
  org                 INTEGER NOT NULL REFERENCES org(id), -- organisation giving it
  kind                TEXT NOT NULL CHECK (kind IN ('conseil', 'amo', 'etude', 'subvention', 'formation', 'evenement')), -- kind of support
  title               TEXT NOT NULL,        -- title shown in the catalogue
  summary             TEXT NOT NULL DEFAULT '', -- what it is, for whom, how to ask
  perimeter           INTEGER REFERENCES perimeter(id), -- where it is given; NULL means everywhere
  eligibility         TEXT,                 -- FEEL-lite eligibility expression over the collectivity; NULL means no rule
  requires_membership INTEGER NOT NULL DEFAULT 0 CHECK (requires_membership IN (0, 1)), -- 1 if only members of the org may ask
  sla_ack_days        INTEGER CHECK (sla_ack_days IS NULL OR sla_ack_days >= 0), -- target to acknowledge, in business days
  sla_take_days       INTEGER CHECK (sla_take_days IS NULL OR sla_take_days >= 0), -- target to take charge, in business days
  sla_resolve_days    INTEGER CHECK (sla_resolve_days IS NULL OR sla_resolve_days >= 0), -- target to resolve, in business days
  process             TEXT NOT NULL DEFAULT 'demande-appui', -- id of the BPMN process that handles its requests
  active              INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)), -- 0 when withdrawn from the catalogue
  created_at          INTEGER NOT NULL      -- creation time, UTC epoch milliseconds
);
CREATE INDEX offer_by_org ON offer(org);

CREATE TABLE offer_theme (
  offer INTEGER NOT NULL REFERENCES offer(id) ON DELETE CASCADE, -- the offer
  theme TEXT NOT NULL REFERENCES theme(code), -- one of its themes
  PRIMARY KEY (offer, theme)
) WITHOUT ROWID;
CREATE INDEX offer_theme_by_theme ON offer_theme(theme);

CREATE TABLE offer_audience (
  offer INTEGER NOT NULL REFERENCES offer(id) ON DELETE CASCADE, -- the offer
  kind  TEXT NOT NULL CHECK (kind IN ('commune', 'epci', 'syndicat', 'service')), -- a kind of collectivity that may ask
  PRIMARY KEY (offer, kind)
) WITHOUT ROWID;

CREATE TABLE membership (
  id           INTEGER PRIMARY KEY, -- internal id
  collectivity TEXT NOT NULL REFERENCES collectivity(code), -- the member
  org          INTEGER NOT NULL REFERENCES org(id), -- the organisation adhered to
  start_date   TEXT NOT NULL,       -- first day of membership (YYYY-MM-DD)
  end_date     TEXT,                -- last day of membership (YYYY-MM-DD); NULL while it lasts
  created_at   INTEGER NOT NULL,    -- when it was recorded, UTC epoch milliseconds
  CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX membership_by_collectivity ON membership(collectivity, org);
CREATE INDEX membership_by_org ON membership(org);
