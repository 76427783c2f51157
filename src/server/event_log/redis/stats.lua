-- Size and bounds of the history without moving event bodies over the wire.
-- KEYS: 1 events stream, 2 meta
-- Returns: {len, first id, last id, total, evicted, cleared, origin, last issued}, '' for none.
local len = redis.call('XLEN', KEYS[1])
local head = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 2)
local first = head[1]
if first and first[2][1] == 'cleared' then
  len = len - 1
  first = head[2]
end
local tail = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
local last = ''
if tail and tail[2][1] ~= 'cleared' then last = tail[1] end
local meta = redis.call('HMGET', KEYS[2], 'total', 'evicted', 'cleared', 'origin', 'last')
return {tostring(len), first and first[1] or '', last, meta[1] or '0', meta[2] or '', meta[3] or '',
  meta[4] or '', meta[5] or ''}
