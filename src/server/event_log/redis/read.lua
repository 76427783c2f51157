-- Reads a slice of the history and the batches its events belong to, in one consistent view.
-- KEYS: 1 events stream, 2 batches stream
-- ARGV: 1 'XRANGE' or 'XREVRANGE', 2 and 3 the bounds in that command's order, 4 COUNT or ''
-- Returns: {entries, batches}; entries may include the `cleared` marker, which callers skip.
local entries
if ARGV[4] == '' then
  entries = redis.call(ARGV[1], KEYS[1], ARGV[2], ARGV[3])
else
  entries = redis.call(ARGV[1], KEYS[1], ARGV[2], ARGV[3], 'COUNT', ARGV[4])
end
-- Event entries are ordered, and so are their batches: the first and last bound the batches needed.
local first_batch, last_batch
for _, entry in ipairs(entries) do
  if entry[2][1] == 'event' then
    -- field 4 of an event entry is its batch id ('event', json, 'batch', id, ...)
    first_batch = first_batch or entry[2][4]
    last_batch = entry[2][4]
  end
end
if not first_batch then return {entries, {}} end
if ARGV[1] == 'XREVRANGE' then first_batch, last_batch = last_batch, first_batch end
return {entries, redis.call('XRANGE', KEYS[2], first_batch, last_batch)}
