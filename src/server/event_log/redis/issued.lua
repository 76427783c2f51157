-- The marks around each of some ids, for `core::id::Mark::issued_through`.
-- KEYS: 1 marks stream, 2 meta
-- ARGV: ids
-- Returns: {total, origin or '', then per id: the last mark's id at or before it, that mark's first,
-- and the first of the mark after it} ('' where there is no such mark).
local out = {redis.call('HGET', KEYS[2], 'total') or '0', redis.call('HGET', KEYS[2], 'origin') or ''}
for _, id in ipairs(ARGV) do
  local floor = redis.call('XREVRANGE', KEYS[1], id, '-', 'COUNT', 1)[1]
  local after = redis.call('XRANGE', KEYS[1], '(' .. id, '+', 'COUNT', 1)[1]
  out[#out + 1] = floor and floor[1] or ''
  out[#out + 1] = floor and floor[2][2] or ''
  out[#out + 1] = after and after[2][2] or ''
end
return out
