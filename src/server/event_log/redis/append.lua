-- Appends one ingest request's events, atomically (a script runs alone on the server).
-- KEYS: 1 events stream, 2 batches stream, 3 duplicate index (hash), 4 index order (list), 5 meta (hash),
--       6 marks stream
-- ARGV: 1 capacity, 2 batch JSON, 3 most marks kept, then per event: duplicate key, event JSON,
--       warnings JSON or '', delivery JSON or ''
-- Returns: per event its id and the id it duplicates ('' when none).
local events, batches, index, order, meta, marks = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]

local function older(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, bm = tonumber(am), tonumber(bm)
  if am ~= bm then return am < bm end
  return tonumber(as) < tonumber(bs)
end

-- After XADD MAXLEN ~ dropped whole nodes from the head: forget the duplicate keys of the events
-- that went (exactly those older than the new head) and the batches no kept event refers to.
local function sweep()
  local head = redis.call('XRANGE', events, '-', '+', 'COUNT', 2)
  local first = head[1]
  if first and first[2][1] == 'cleared' then first = head[2] end
  local evicted = false
  while true do
    local item = redis.call('LINDEX', order, 0)
    if not item then break end
    local space = string.find(item, ' ', 1, true)
    local id = string.sub(item, 1, space - 1)
    if first and not older(id, first[1]) then break end
    local key = string.sub(item, space + 1)
    if redis.call('HGET', index, key) == id then redis.call('HDEL', index, key) end
    redis.call('LPOP', order)
    evicted = id
  end
  if evicted then redis.call('HSET', meta, 'evicted', evicted) end
  -- field 4 of an event entry is its batch id ('event', json, 'batch', id, ...)
  if first then redis.call('XTRIM', batches, 'MINID', '~', first[2][4]) end
end

-- One mark per run of ids (`core::id::Mark`): the run's first id -> its ordinal, so a reader's
-- missed events can be counted from ids alone. A run breaks at a new millisecond and where a clear
-- marker took a seq.
local total = tonumber(redis.call('HGET', meta, 'total') or '0')
local previous = redis.call('HGET', meta, 'last')
local newest_mark = redis.call('XREVRANGE', marks, '+', '-', 'COUNT', 1)[1]
local function mark(id)
  total = total + 1
  local starts = not previous
  if previous then
    local pm, ps = string.match(previous, '^(%d+)-(%d+)$')
    local im, is = string.match(id, '^(%d+)-(%d+)$')
    starts = pm ~= im or tonumber(ps) + 1 ~= tonumber(is)
  end
  previous = id
  if starts and not (newest_mark and not older(newest_mark[1], id)) then
    redis.call('XADD', marks, 'MAXLEN', '~', ARGV[3], id, 'first', string.format('%d', total))
  end
end

local batch = redis.call('XADD', batches, '*', 'batch', ARGV[2])
local len = redis.call('XLEN', events)
local out = {}
local id
for i = 4, #ARGV, 4 do
  local key, warnings, delivery = ARGV[i], ARGV[i + 2], ARGV[i + 3]
  local previous = redis.call('HGET', index, key)
  local fields = {'event', ARGV[i + 1], 'batch', batch}
  if warnings ~= '' then
    fields[#fields + 1] = 'warnings'
    fields[#fields + 1] = warnings
  end
  if delivery ~= '' then
    fields[#fields + 1] = 'delivery'
    fields[#fields + 1] = delivery
  end
  if previous then
    fields[#fields + 1] = 'duplicate_of'
    fields[#fields + 1] = previous
  end
  id = redis.call('XADD', events, 'MAXLEN', '~', ARGV[1], '*', unpack(fields))
  mark(id)
  redis.call('HSET', index, key, id)
  redis.call('RPUSH', order, id .. ' ' .. key)
  out[#out + 1] = id
  out[#out + 1] = previous or ''
  len = len + 1
  local now = redis.call('XLEN', events)
  if now < len then
    sweep()
    len = now
  end
end
redis.call('HINCRBY', meta, 'total', #out / 2)
redis.call('HSET', meta, 'last', id)
redis.call('HSETNX', meta, 'origin', out[1])
return out
