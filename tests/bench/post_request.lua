-- post_request — wrk script: POST /api/v1/requests as a requester (the
-- request is filed for the requester's own collectivity), with valid JSON
-- bodies composed from French word lists (1 to 3 themes, sometimes a budget
-- and an offer), drawn from a pool of pre-formatted requests per thread.
-- Counts the answers: every one must be 201. Argument after "--": TOKEN.
-- Prints the figures as KEY=value lines for tests/bench/run.sh.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

local themes = {"voirie", "eau-assainissement", "batiments", "urbanisme", "energie", "environnement",
                "numerique", "mobilite", "democratie-participative", "social", "culture-patrimoine",
                "tourisme", "finances", "juridique", "commande-publique"}
local objets = {"Réfection de la chaussée", "Aménagement d'un plateau ralentisseur",
                "Mise aux normes de la station d'épuration", "Rénovation de la salle des fêtes",
                "Révision du plan local d'urbanisme", "Rénovation de l'éclairage public",
                "Plantation de haies bocagères", "Sécurisation du système d'information",
                "Création d'une piste cyclable", "Mise en place d'un budget participatif",
                "Création d'une épicerie solidaire", "Restauration du lavoir communal",
                "Balisage d'un itinéraire de randonnée", "Plan pluriannuel d'investissement",
                "Procédure de biens sans maître", "Passation d'un marché de travaux"}
local lieux = {"rue de l'Église", "chemin des Vignes", "route de la Gare", "place de la Mairie",
               "hameau des Granges", "centre-bourg", "école communale", "stade municipal"}
local constats = {"La chaussée présente de nombreux nids-de-poule.",
                  "Des fuites importantes sont constatées sur le réseau.",
                  "Le bâtiment n'est pas accessible aux personnes à mobilité réduite.",
                  "Le document d'urbanisme date de plus de quinze ans.",
                  "La facture énergétique a doublé en deux ans.",
                  "Les habitants souhaitent être davantage associés aux décisions.",
                  "Les postes informatiques de la mairie ont plus de dix ans.",
                  "Aucune liaison cyclable ne relie le bourg au collège."}
local besoins = {"définir le programme des travaux", "estimer le coût de l'opération",
                 "rédiger le cahier des charges", "identifier les subventions mobilisables",
                 "choisir la procédure de marché adaptée", "associer les habitants au projet"}

local function pick(t) return t[math.random(#t)] end

local function body(n)
  local chosen, seen = {}, {}
  for _ = 1, math.random(3) do
    local t = pick(themes)
    if not seen[t] then seen[t] = true; chosen[#chosen + 1] = '"' .. t .. '"' end
  end
  local title = pick(objets)
  if math.random(2) == 1 then title = title .. " – " .. pick(lieux) end
  local desc = string.format("Demande n° %d de la mesure de charge. %s %s Nous souhaiterions être " ..
                             "accompagnés pour %s et %s.", n, pick(constats), pick(constats),
                             pick(besoins), pick(besoins))
  local extra = ""
  if math.random(10) <= 7 then extra = string.format(',"budget":%d', 1000 * math.random(5, 2000)) end
  return string.format('{"title":"%s","description":"%s","themes":[%s]%s}', title, desc,
                       table.concat(chosen, ","), extra)
end

function init(args)
  local token = args[1]
  if not token then error("usage: wrk ... -s post_request.lua URL -- TOKEN") end
  math.randomseed(os.time() * 1000 + (thread_no or 0) * 7919)
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Content-Type"] = "application/json"
  pool, next_one = {}, 0
  for i = 1, 1000 do pool[i] = wrk.format(nil, nil, nil, body((thread_no or 0) * 100000 + i)) end
  created, other, statuses = 0, 0, ""
end

function request()
  next_one = next_one % #pool + 1
  return pool[next_one]
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  else
    other = other + 1
    if other <= 5 then statuses = statuses .. " " .. status end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local c201, cother, seen = 0, 0, ""
  for _, t in ipairs(threads) do
    c201 = c201 + t:get("created")
    cother = cother + t:get("other")
    seen = seen .. t:get("statuses")
  end
  io.write(string.format("WRK_REQUESTS=%d\nWRK_RPS=%.0f\nWRK_P50_MS=%.3f\nWRK_P99_MS=%.3f\n" ..
                         "WRK_NON2XX=%d\nWRK_SOCKET_ERRORS=%d\nWRK_CREATED=%d\nWRK_NOT_201=%d\n" ..
                         "WRK_NOT_201_SAMPLE=%s\n",
                         summary.requests, summary.requests / (summary.duration / 1e6),
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000,
                         e.status, e.connect + e.read + e.write + e.timeout, c201, cother,
                         seen == "" and "-" or (string.gsub(seen, "^ ", ""))))
end
