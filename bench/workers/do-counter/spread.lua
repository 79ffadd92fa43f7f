-- wrk: each request goes to one of 10,000 objects
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/increment?name=o" .. math.random(0, 9999))
end
