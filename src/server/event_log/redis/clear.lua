-- Clears the history for every replica: a `cleared` marker that each replica's XREAD tail turns
-- into a `cleared` frame, then XTRIM MINID drops everything older. Returns how many events went.
-- KEYS: 1 events stream, 2 batches stream, 3 duplicate index, 4 index order, 5 meta
local events, batches, index, order, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]

local removed = redis.call('XLEN', events)
local head = redis.call('XRANGE', events, '-', '+', 'COUNT', 1)
if head[1] and head[1][2][1] == 'cleared' then removed = removed - 1 end
local through = redis.call('HGET', meta, 'cleared') or ''
local last = redis.call('XREVRANGE', events, '+', '-', 'COUNT', 1)
if last[1] and last[1][2][1] ~= 'cleared' then through = last[1][1] end
local marker = redis.call('XADD', events, '*', 'cleared', through)
redis.call('XTRIM', events, 'MINID', marker)
-- Emptied, not deleted: a stream keeps its last id, so batch ids after the clear stay greater.
redis.call('XTRIM', batches, 'MAXLEN', 0)
redis.call('DEL', index, order)
if through ~= '' then redis.call('HSET', meta, 'cleared', through) end
return removed
