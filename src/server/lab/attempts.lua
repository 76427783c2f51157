-- Counts one delivery of each event of an ingest request and reads the rules' version, in one
-- round trip (a replica reloads its rules only when the version moved).
-- KEYS: 1 attempts (hash: duplicate key -> count), 2 attempts order (list of the hash's keys,
--       oldest first), 3 rules version
-- ARGV: 1 most keys kept, then the duplicate key of each event
-- Returns: {rules version, then each event's attempt number}
local attempts, order, version = KEYS[1], KEYS[2], KEYS[3]
local out = {tonumber(redis.call('GET', version) or '0')}
for i = 2, #ARGV do
  local n = redis.call('HINCRBY', attempts, ARGV[i], 1)
  if n == 1 then redis.call('RPUSH', order, ARGV[i]) end
  out[#out + 1] = n
end
local excess = redis.call('LLEN', order) - tonumber(ARGV[1])
while excess > 0 do
  redis.call('HDEL', attempts, redis.call('LPOP', order))
  excess = excess - 1
end
return out
