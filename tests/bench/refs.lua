-- refs — the random choice of a request reference shared by the wrk
-- scripts (get_request.lua, pages.lua), loaded with
--   dofile(here .. "refs.lua")
-- REFS is bench_gen's BENCH_REFS ("2019:142734,2020:143141,…": references
-- 1..count per year). refs_picker(REFS) returns the number of references
-- and a function giving one of them at random (uniformly), "YYYY-NNNNNN".

function refs_picker(refs)
  local years, cum, total = {}, {}, 0
  for y, n in string.gmatch(refs or "", "(%d+):(%d+)") do
    total = total + tonumber(n)
    years[#years + 1] = tonumber(y)
    cum[#cum + 1] = total
  end
  return total, function()
    local r = math.random(total)
    local i = 1
    while cum[i] < r do i = i + 1 end
    return string.format("%d-%06d", years[i], r - (cum[i - 1] or 0))
  end
end
