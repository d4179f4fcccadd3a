/**
 * The router's hot state lives in Redis and changes only through these scripts, each of which runs
 * atomically on the server. That is what keeps the invariants with any number of router replicas:
 * no agent above capacity, no task held by two agents, no task lost between queue and agent.
 *
 * Layout, every key under one tenant hash tag `<prefix>{<tenant>}:` (so a Redis Cluster keeps a
 * tenant in one slot and scripts may touch any of its keys):
 *   agent:<a>            hash  status, idleSince, cap:<channel>, load:<channel>, skill:<s>, lang:<l>
 *   agent:<a>:queues     set   queues the agent is eligible for (required skills met)
 *   agent:<a>:tasks      set   tasks offered to or assigned to the agent
 *   queue:<q>            hash  channel, strategy, offerTtlMs, autoAccept
 *   queue:<q>:members    set   eligible agents
 *   queue:<q>:ready      zset  members that are available with free capacity, best first
 *   queue:<q>:waiting    zset  waiting tasks, lowest score first (see taskScore)
 *   task:<t>             hash  state, queue, channel, units, lang, score, enqueuedAt, agent, expiresAt
 *   task:<t>:req         hash  extra skill -> minimum level for this task
 *   task:<t>:declined    set   agents that rejected the task or let its offer time out
 *   offers               zset  offered tasks by expiry time
 *   heartbeats           zset  agents not offline, by last heartbeat
 * ARGV[1] is always the full prefix including the hash tag; KEYS[1] is a key of the same tenant,
 * given only so that a cluster client routes the script to the right node.
 */

const LIBRARY = `
local P = ARGV[1]
local function agentKey(a) return P .. 'agent:' .. a end
local function taskKey(t) return P .. 'task:' .. t end
local function queueKey(q) return P .. 'queue:' .. q end
local function num(v, default)
  if v == false or v == nil then return default end
  return tonumber(v)
end

-- Re-derives the agent's place in the ready index of every queue it serves.
local function refreshAgent(a)
  local ak = agentKey(a)
  local status = redis.call('HGET', ak, 'status')
  local idleSince = num(redis.call('HGET', ak, 'idleSince'), 0)
  for _, q in ipairs(redis.call('SMEMBERS', ak .. ':queues')) do
    local qk = queueKey(q)
    local channel = redis.call('HGET', qk, 'channel')
    local ready = false
    local score = idleSince
    if status == 'available' and channel then
      local load = num(redis.call('HGET', ak, 'load:' .. channel), 0)
      local cap = num(redis.call('HGET', ak, 'cap:' .. channel), 0)
      if load < cap then
        ready = true
        if redis.call('HGET', qk, 'strategy') == 'least_loaded' then
          -- Load in percent first, then longest idle; stays well inside a double's exact range.
          score = math.floor(load * 100 / cap) * 1e13 + idleSince
        end
      end
    end
    if ready then
      redis.call('ZADD', qk .. ':ready', score, a)
    else
      redis.call('ZREM', qk .. ':ready', a)
    end
  end
end

-- Gives a task held by agent a back to its queue with its original score (its original age).
local function requeue(t, a, remember_decline)
  local tk = taskKey(t)
  local channel = redis.call('HGET', tk, 'channel')
  local units = num(redis.call('HGET', tk, 'units'), 1)
  local q = redis.call('HGET', tk, 'queue')
  local ak = agentKey(a)
  local load = num(redis.call('HGET', ak, 'load:' .. channel), 0) - units
  if load < 0 then load = 0 end
  redis.call('HSET', ak, 'load:' .. channel, load)
  redis.call('SREM', ak .. ':tasks', t)
  if remember_decline then redis.call('SADD', tk .. ':declined', a) end
  redis.call('HSET', tk, 'state', 'waiting')
  redis.call('HDEL', tk, 'agent', 'expiresAt')
  redis.call('ZREM', P .. 'offers', t)
  redis.call('ZADD', queueKey(q) .. ':waiting', redis.call('HGET', tk, 'score'), t)
  return q
end

-- Marks the agent offline and releases its offers (and, if asked, its assignments).
local function goOffline(a, requeue_assigned, released)
  local ak = agentKey(a)
  redis.call('HSET', ak, 'status', 'offline')
  redis.call('ZREM', P .. 'heartbeats', a)
  for _, t in ipairs(redis.call('SMEMBERS', ak .. ':tasks')) do
    local state = redis.call('HGET', taskKey(t), 'state')
    if state == 'offered' or (state == 'assigned' and requeue_assigned) then
      local q = requeue(t, a, false)
      table.insert(released, a)
      table.insert(released, t)
      table.insert(released, q)
    end
  end
  refreshAgent(a)
end
`;

function script(body: string): string {
  return `${LIBRARY}\n${body}`;
}

/** ARGV: prefix, queue, channel, strategy, offerTtlMs, autoAccept ('1'|'0'). */
export const CONFIGURE_QUEUE = script(`
local q = ARGV[2]
redis.call('HSET', queueKey(q), 'channel', ARGV[3], 'strategy', ARGV[4], 'offerTtlMs', ARGV[5], 'autoAccept', ARGV[6])
for _, a in ipairs(redis.call('SMEMBERS', queueKey(q) .. ':members')) do refreshAgent(a) end
return 'OK'
`);

/** ARGV: prefix, agent, JSON {capacities, skills, languages, queues}. */
export const CONFIGURE_AGENT = script(`
local a = ARGV[2]
local ak = agentKey(a)
local cfg = cjson.decode(ARGV[3])
for _, field in ipairs(redis.call('HKEYS', ak)) do
  if string.sub(field, 1, 4) == 'cap:' or string.sub(field, 1, 6) == 'skill:' or string.sub(field, 1, 5) == 'lang:' then
    redis.call('HDEL', ak, field)
  end
end
for channel, capacity in pairs(cfg.capacities) do redis.call('HSET', ak, 'cap:' .. channel, capacity) end
for skill, level in pairs(cfg.skills) do redis.call('HSET', ak, 'skill:' .. skill, level) end
for _, language in ipairs(cfg.languages) do redis.call('HSET', ak, 'lang:' .. language, 1) end
for _, q in ipairs(redis.call('SMEMBERS', ak .. ':queues')) do
  redis.call('ZREM', queueKey(q) .. ':ready', a)
  redis.call('SREM', queueKey(q) .. ':members', a)
end
redis.call('DEL', ak .. ':queues')
for _, q in ipairs(cfg.queues) do
  redis.call('SADD', ak .. ':queues', q)
  redis.call('SADD', queueKey(q) .. ':members', a)
end
if redis.call('HEXISTS', ak, 'status') == 0 then redis.call('HSET', ak, 'status', 'offline') end
refreshAgent(a)
return 'OK'
`);

/** ARGV: prefix, agent, status, now, requeueAssigned ('1'|'0'). Returns released [agent, task, queue]*. */
export const SET_STATUS = script(`
local a = ARGV[2]
local status = ARGV[3]
local now = ARGV[4]
local ak = agentKey(a)
if redis.call('EXISTS', ak) == 0 then return redis.error_reply('UNKNOWN_AGENT') end
local released = {}
local previous = redis.call('HGET', ak, 'status')
if previous ~= status then redis.call('HSET', ak, 'statusAt', now) end
if status == 'offline' then
  goOffline(a, ARGV[5] == '1', released)
  return released
end
redis.call('HSET', ak, 'status', status)
if status == 'available' and previous ~= 'available' then redis.call('HSET', ak, 'idleSince', now) end
redis.call('ZADD', P .. 'heartbeats', now, a)
refreshAgent(a)
return released
`);

/** ARGV: prefix, agent, now. Returns 1 when recorded, 0 when the agent is offline or unknown. */
export const HEARTBEAT = script(`
local a = ARGV[2]
local status = redis.call('HGET', agentKey(a), 'status')
if not status or status == 'offline' then return 0 end
redis.call('ZADD', P .. 'heartbeats', ARGV[3], a)
return 1
`);

/** ARGV: prefix, cutoff, requeueAssigned, limit. Returns released [agent, task, queue]* and offline agents. */
export const SWEEP_SILENT_AGENTS = script(`
local released = {}
local silent = redis.call('ZRANGEBYSCORE', P .. 'heartbeats', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[4]))
for _, a in ipairs(silent) do goOffline(a, ARGV[3] == '1', released) end
return { silent, released }
`);

/** ARGV: prefix, task, queue, channel, units, lang, score, now, JSON requirements. */
export const ENQUEUE_TASK = script(`
local t = ARGV[2]
local tk = taskKey(t)
local state = redis.call('HGET', tk, 'state')
if state and state ~= 'done' then return { 'EXISTS', state } end
redis.call('DEL', tk, tk .. ':req', tk .. ':declined')
redis.call('HSET', tk, 'state', 'waiting', 'queue', ARGV[3], 'channel', ARGV[4], 'units', ARGV[5],
  'lang', ARGV[6], 'score', ARGV[7], 'enqueuedAt', ARGV[8])
for skill, level in pairs(cjson.decode(ARGV[9])) do redis.call('HSET', tk .. ':req', skill, level) end
redis.call('ZADD', queueKey(ARGV[3]) .. ':waiting', ARGV[7], t)
return { 'ENQUEUED' }
`);

/**
 * ARGV: prefix, queue, task, now, maxCandidates. Offers the task to the best ready agent of the
 * queue that meets its language and extra skills, has free capacity and never declined it.
 * Looks at no more than maxCandidates agents from the ready index: cost does not grow with the
 * number of agents.
 */
export const OFFER_TASK = script(`
local q = ARGV[2]
local t = ARGV[3]
local now = tonumber(ARGV[4])
local tk = taskKey(t)
local state = redis.call('HGET', tk, 'state')
if state ~= 'waiting' then return { 'TASK_NOT_WAITING', state or 'missing' } end
if redis.call('HGET', tk, 'queue') ~= q then return { 'TASK_NOT_WAITING', 'other-queue' } end
local qk = queueKey(q)
local channel = redis.call('HGET', tk, 'channel')
local units = num(redis.call('HGET', tk, 'units'), 1)
local lang = redis.call('HGET', tk, 'lang')
local requirements = redis.call('HGETALL', tk .. ':req')
local declined = tk .. ':declined'
for _, a in ipairs(redis.call('ZRANGE', qk .. ':ready', 0, tonumber(ARGV[5]) - 1)) do
  local ak = agentKey(a)
  local eligible = redis.call('SISMEMBER', declined, a) == 0
    and redis.call('HGET', ak, 'status') == 'available'
    and num(redis.call('HGET', ak, 'load:' .. channel), 0) + units <= num(redis.call('HGET', ak, 'cap:' .. channel), 0)
  if eligible and lang and lang ~= '' then
    eligible = redis.call('HEXISTS', ak, 'lang:' .. lang) == 1
  end
  if eligible then
    for i = 1, #requirements, 2 do
      if num(redis.call('HGET', ak, 'skill:' .. requirements[i]), 0) < tonumber(requirements[i + 1]) then
        eligible = false
        break
      end
    end
  end
  if eligible then
    redis.call('HINCRBY', ak, 'load:' .. channel, units)
    redis.call('HSET', ak, 'idleSince', now)
    redis.call('SADD', ak .. ':tasks', t)
    redis.call('ZREM', qk .. ':waiting', t)
    refreshAgent(a)
    if redis.call('HGET', qk, 'autoAccept') == '1' then
      redis.call('HSET', tk, 'state', 'assigned', 'agent', a)
      return { 'ASSIGNED', a }
    end
    local expiresAt = now + num(redis.call('HGET', qk, 'offerTtlMs'), 30000)
    redis.call('HSET', tk, 'state', 'offered', 'agent', a, 'expiresAt', expiresAt)
    redis.call('ZADD', P .. 'offers', expiresAt, t)
    return { 'OFFERED', a, tostring(expiresAt) }
  end
end
return { 'NO_AGENT' }
`);

/** ARGV: prefix, task, agent. */
export const ACCEPT_OFFER = script(`
local tk = taskKey(ARGV[2])
local state = redis.call('HGET', tk, 'state')
if state ~= 'offered' or redis.call('HGET', tk, 'agent') ~= ARGV[3] then
  return { 'NOT_OFFERED', state or 'missing' }
end
redis.call('HSET', tk, 'state', 'assigned')
redis.call('HDEL', tk, 'expiresAt')
redis.call('ZREM', P .. 'offers', ARGV[2])
return { 'ASSIGNED' }
`);

/** ARGV: prefix, task, agent. The task goes back to its queue and is never offered to the agent again. */
export const DECLINE_OFFER = script(`
local tk = taskKey(ARGV[2])
if redis.call('HGET', tk, 'state') ~= 'offered' or redis.call('HGET', tk, 'agent') ~= ARGV[3] then
  return { 'NOT_OFFERED' }
end
local q = requeue(ARGV[2], ARGV[3], true)
refreshAgent(ARGV[3])
return { 'REQUEUED', q }
`);

/** ARGV: prefix, now, limit. Returns [task, agent, queue]* of offers that timed out. */
export const EXPIRE_OFFERS = script(`
local expired = {}
for _, t in ipairs(redis.call('ZRANGEBYSCORE', P .. 'offers', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))) do
  local tk = taskKey(t)
  local a = redis.call('HGET', tk, 'agent')
  if redis.call('HGET', tk, 'state') == 'offered' and a then
    local q = requeue(t, a, true)
    refreshAgent(a)
    table.insert(expired, t)
    table.insert(expired, a)
    table.insert(expired, q)
  else
    redis.call('ZREM', P .. 'offers', t)
  end
end
return expired
`);

/** ARGV: prefix, task. Ends a task (conversation resolved or handed elsewhere) and frees capacity. */
export const COMPLETE_TASK = script(`
local t = ARGV[2]
local tk = taskKey(t)
local state = redis.call('HGET', tk, 'state')
if state == 'offered' or state == 'assigned' then
  local a = redis.call('HGET', tk, 'agent')
  local channel = redis.call('HGET', tk, 'channel')
  local units = num(redis.call('HGET', tk, 'units'), 1)
  local ak = agentKey(a)
  local load = num(redis.call('HGET', ak, 'load:' .. channel), 0) - units
  if load < 0 then load = 0 end
  redis.call('HSET', ak, 'load:' .. channel, load)
  redis.call('SREM', ak .. ':tasks', t)
  redis.call('ZREM', P .. 'offers', t)
  redis.call('HSET', tk, 'state', 'done')
  refreshAgent(a)
  return { 'COMPLETED', a, redis.call('HGET', tk, 'queue') }
end
if state == 'waiting' then
  redis.call('ZREM', queueKey(redis.call('HGET', tk, 'queue')) .. ':waiting', t)
  redis.call('HSET', tk, 'state', 'done')
  return { 'CANCELLED' }
end
return { 'NOT_ACTIVE', state or 'missing' }
`);
