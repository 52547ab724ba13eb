-- The online store's write rule (docs/online-store-format.md), the one copy that the TypeScript
-- store (libs/online-store/src/online-store.ts) and the batch job (spark-jobs/batch_features.py)
-- both load. KEYS = the value key, its `:ts` event-time key. Sets value and event time together,
-- only if the new event time is not older than the stored one. ARGV[1] = '' deletes the value
-- (the event time is kept so older updates stay out); ARGV[2] = '' (no event time: a tombstone)
-- skips the comparison.
if ARGV[2] ~= '' then
  local stored = redis.call('GET', KEYS[2])
  if stored and tonumber(stored) > tonumber(ARGV[2]) then return 0 end
  redis.call('SET', KEYS[2], ARGV[2])
end
if ARGV[1] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[1]) end
return 1
