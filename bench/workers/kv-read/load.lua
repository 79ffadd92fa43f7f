-- Spread reads over the 10,000 preloaded redirects.
math.randomseed(42)
request = function()
  return wrk.format("GET", string.format("/redirect/%05d", math.random(0, 9999)))
end
