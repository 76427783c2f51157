-- The marks around each of some ids, for `core::id::Mark::issued_through`.
-- KEYS: 1 marks stream, 2 meta
-- ARGV: ids
-- Returns: {total, origin or '', then per id: its mark's ms, that mark's first, the next mark's first}
-- ('' for a mark that is not kept).
local out = {redis.call('HGET', KEYS[2], 'total') or '0', redis.call('HGET', KEYS[2], 'origin') or ''}
for _, id in ipairs(ARGV) do
  local ms = string.match(id, '^(%d+)-')
  local floor = redis.call('XREVRANGE', KEYS[1], ms .. '-0', '-', 'COUNT', 1)[1]
  local after = redis.call('XRANGE', KEYS[1], '(' .. ms .. '-0', '+', 'COUNT', 1)[1]
  out[#out + 1] = floor and string.match(floor[1], '^(%d+)-') or ''
  out[#out + 1] = floor and floor[2][2] or ''
  out[#out + 1] = after and after[2][2] or ''
end
return out
