-- Spread point queries over the 10,000 seeded rows.
math.randomseed(42)
request = function()
  return wrk.format("GET", string.format("/item/%d", math.random(1, 10000)))
end
