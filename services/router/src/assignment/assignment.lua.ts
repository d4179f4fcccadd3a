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
 *   queue:<q>            hash  channel, strategy, offerTtlMs, autoAccept, and the queue dynamics
 *                              written every tick (SYNC_QUEUES): closed, steps (JSON), req (JSON),
 *                              unitsPerTask, priorityStepMs, preferPreviousMs, requeueAssigned
 *   queue:<q>:members    set   eligible agents
 *   queue:<q>:ready      zset  members that are available with free capacity, best first
 *   queue:<q>:waiting    zset  waiting tasks offerable from this queue (its own and those widened
 *                              to it by overflow), lowest score first (see taskScore)
 *   queue:<q>:byAge      zset  the queue's own waiting tasks by enqueuedAt (wait-time alerts)
 *   task:<t>             hash  state, queue (home), channel, units, lang, priority, score,
 *                              enqueuedAt, step (overflow steps applied), relax, agent, expiresAt,
 *                              lastAgent (who last had it assigned; kept when it comes back)
 *   task:<t>:req         hash  extra skill -> minimum level for this task
 *   task:<t>:declined    set   agents that rejected the task or let its offer time out
 *   task:<t>:queues      set   overflow queues the task was widened to
 *   offers               zset  offered tasks by expiry time
 *   heartbeats           zset  agents not offline, by last heartbeat
 *   overflowDue          zset  waiting tasks by the time their next overflow step is due
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

-- Puts a waiting task into the waiting set of its home queue and of every queue it was widened to.
local function addWaiting(t)
  local tk = taskKey(t)
  local home = redis.call('HGET', tk, 'queue')
  local score = redis.call('HGET', tk, 'score')
  redis.call('ZADD', queueKey(home) .. ':waiting', score, t)
  redis.call('ZADD', queueKey(home) .. ':byAge', redis.call('HGET', tk, 'enqueuedAt'), t)
  for _, q in ipairs(redis.call('SMEMBERS', tk .. ':queues')) do
    redis.call('ZADD', queueKey(q) .. ':waiting', score, t)
  end
end

local function removeWaiting(t)
  local tk = taskKey(t)
  local home = redis.call('HGET', tk, 'queue')
  redis.call('ZREM', queueKey(home) .. ':waiting', t)
  redis.call('ZREM', queueKey(home) .. ':byAge', t)
  for _, q in ipairs(redis.call('SMEMBERS', tk .. ':queues')) do
    redis.call('ZREM', queueKey(q) .. ':waiting', t)
  end
end

local function stepsOf(q)
  local steps = redis.call('HGET', queueKey(q), 'steps')
  if not steps then return {} end
  return cjson.decode(steps)
end

-- Schedules a waiting task's next overflow step of its home queue (none: it leaves the schedule).
-- Steps count from enqueuedAt, so a task given back by an agent keeps its place in the schedule.
local function scheduleNextStep(t)
  local tk = taskKey(t)
  local nextStep = stepsOf(redis.call('HGET', tk, 'queue'))[num(redis.call('HGET', tk, 'step'), 0) + 1]
  if nextStep then
    redis.call('ZADD', P .. 'overflowDue', num(redis.call('HGET', tk, 'enqueuedAt'), 0) + nextStep.afterMs, t)
  else
    redis.call('ZREM', P .. 'overflowDue', t)
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
  addWaiting(t)
  scheduleNextStep(t)
  return q
end

-- Marks the agent offline and releases its offers, and its assignments when the task's queue says
-- so (requeueAssigned), or, where the queue does not say, when the caller asks.
local function goOffline(a, requeue_assigned, released)
  local ak = agentKey(a)
  redis.call('HSET', ak, 'status', 'offline')
  redis.call('ZREM', P .. 'heartbeats', a)
  for _, t in ipairs(redis.call('SMEMBERS', ak .. ':tasks')) do
    local tk = taskKey(t)
    local state = redis.call('HGET', tk, 'state')
    local queue_says = redis.call('HGET', queueKey(redis.call('HGET', tk, 'queue')), 'requeueAssigned')
    local give_back = queue_says == '1' or (not queue_says and requeue_assigned)
    if state == 'offered' or (state == 'assigned' and give_back) then
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

/**
 * ARGV: prefix, task, queue, channel, units, lang, priority, enqueuedAt, JSON requirements.
 * The queue's unitsPerTask (when set) replaces the given units, and its priorityStepMs (default
 * 10 minutes) sets how much waiting time one priority step is worth. A finished task that comes
 * back keeps who last handled it (lastAgent), for the previous-agent preference.
 */
export const ENQUEUE_TASK = script(`
local t = ARGV[2]
local tk = taskKey(t)
local state = redis.call('HGET', tk, 'state')
if state and state ~= 'done' then return { 'EXISTS', state } end
local lastAgent = redis.call('HGET', tk, 'lastAgent')
redis.call('DEL', tk, tk .. ':req', tk .. ':declined', tk .. ':queues')
local qk = queueKey(ARGV[3])
local units = redis.call('HGET', qk, 'unitsPerTask') or ARGV[5]
local priority = tonumber(ARGV[7])
local enqueuedAt = tonumber(ARGV[8])
local score = enqueuedAt - priority * num(redis.call('HGET', qk, 'priorityStepMs'), 600000)
redis.call('HSET', tk, 'state', 'waiting', 'queue', ARGV[3], 'channel', ARGV[4], 'units', units,
  'lang', ARGV[6], 'priority', priority, 'score', score, 'enqueuedAt', enqueuedAt, 'step', 0, 'relax', 0)
if lastAgent then redis.call('HSET', tk, 'lastAgent', lastAgent) end
for skill, level in pairs(cjson.decode(ARGV[9])) do redis.call('HSET', tk .. ':req', skill, level) end
addWaiting(t)
scheduleNextStep(t)
return { 'ENQUEUED' }
`);

/**
 * ARGV: prefix, queue, task, now, maxCandidates, candidateLimit. Offers the task to the best agent
 * of the queue that is available, has free capacity on the task's channel, speaks its language,
 * has its skills (its own and its home queue's levels, both relaxed by overflow steps) and never
 * declined it: first the agent who last handled it, while the queue prefers previous agents and
 * that agent qualifies; else the ready index, best first, 50 at a time. Looks at no more than
 * maxCandidates agents of the ready index, so cost does not grow with the number of agents (and
 * stays at one page while the best agents qualify, the common case), and reports at most
 * candidateLimit of those it looked at (the chosen one last) with why each was passed over.
 * Replies [kind, agent, expiresAt, via, passedOver, candidates JSON]; QUEUE_CLOSED outside hours.
 */
export const OFFER_TASK = script(`
local q = ARGV[2]
local t = ARGV[3]
local now = tonumber(ARGV[4])
local candidateLimit = tonumber(ARGV[6])
local tk = taskKey(t)
local state = redis.call('HGET', tk, 'state')
if state ~= 'waiting' then return { 'TASK_NOT_WAITING', state or 'missing' } end
local home = redis.call('HGET', tk, 'queue')
if home ~= q and redis.call('SISMEMBER', tk .. ':queues', q) == 0 then
  return { 'TASK_NOT_WAITING', 'other-queue' }
end
local qk = queueKey(q)
if redis.call('HGET', qk, 'closed') == '1' then return { 'QUEUE_CLOSED' } end
local channel = redis.call('HGET', tk, 'channel')
local units = num(redis.call('HGET', tk, 'units'), 1)
local lang = redis.call('HGET', tk, 'lang')
-- Relaxing overflow steps lower the task's own levels and its home queue's alike.
local relax = num(redis.call('HGET', tk, 'relax'), 0)
local requirements = {}
local taskReq = redis.call('HGETALL', tk .. ':req')
for i = 1, #taskReq, 2 do
  local level = tonumber(taskReq[i + 1]) - relax
  if level > 0 then table.insert(requirements, { taskReq[i], level }) end
end
-- Members of a queue with relaxing steps meet only its fully relaxed levels (see
-- membershipLevels), so the home queue's levels, relaxed as far as this task has aged, are checked here.
local queueReq = redis.call('HGET', qk, 'req')
if home == q and queueReq then
  for skill, level in pairs(cjson.decode(queueReq)) do
    if level - relax > 0 then table.insert(requirements, { skill, level - relax }) end
  end
end
local declined = tk .. ':declined'

-- Why agent a cannot take the task, or nil when it can.
local function verdict(a)
  local ak = agentKey(a)
  if redis.call('SISMEMBER', declined, a) == 1 then return 'declined it or let its offer expire before' end
  local status = redis.call('HGET', ak, 'status')
  if status ~= 'available' then return 'is ' .. tostring(status or 'unknown') end
  local load = num(redis.call('HGET', ak, 'load:' .. channel), 0)
  local cap = num(redis.call('HGET', ak, 'cap:' .. channel), 0)
  if load + units > cap then
    return 'no free ' .. channel .. ' capacity (' .. load .. ' of ' .. cap .. ' in use, needs ' .. units .. ')'
  end
  if lang and lang ~= '' and redis.call('HEXISTS', ak, 'lang:' .. lang) == 0 then
    return 'does not speak ' .. lang
  end
  for _, requirement in ipairs(requirements) do
    local has = num(redis.call('HGET', ak, 'skill:' .. requirement[1]), 0)
    if has < requirement[2] then
      return 'lacks skill ' .. requirement[1] .. ' >= ' .. requirement[2] .. ' (has ' .. has .. ')'
    end
  end
  return nil
end

local candidates = {}
local passedOver = 0
local function passOver(a, why)
  passedOver = passedOver + 1
  -- One slot stays free for the chosen agent.
  if #candidates < candidateLimit - 1 then table.insert(candidates, { a, why }) end
end

local function claim(a, via)
  local ak = agentKey(a)
  table.insert(candidates, { a, '' })
  redis.call('HINCRBY', ak, 'load:' .. channel, units)
  redis.call('HSET', ak, 'idleSince', now)
  redis.call('SADD', ak .. ':tasks', t)
  removeWaiting(t)
  redis.call('ZREM', P .. 'overflowDue', t)
  refreshAgent(a)
  local listed = cjson.encode(candidates)
  if redis.call('HGET', qk, 'autoAccept') == '1' then
    redis.call('HSET', tk, 'state', 'assigned', 'agent', a)
    return { 'ASSIGNED', a, '', via, tostring(passedOver), listed }
  end
  local expiresAt = now + num(redis.call('HGET', qk, 'offerTtlMs'), 30000)
  redis.call('HSET', tk, 'state', 'offered', 'agent', a, 'expiresAt', expiresAt)
  redis.call('ZADD', P .. 'offers', expiresAt, t)
  return { 'OFFERED', a, tostring(expiresAt), via, tostring(passedOver), listed }
end

local previous = redis.call('HGET', tk, 'lastAgent')
local preferMs = num(redis.call('HGET', qk, 'preferPreviousMs'), 0)
local triedPrevious = false
if previous and preferMs > 0 and now - num(redis.call('HGET', tk, 'enqueuedAt'), now) <= preferMs
  and redis.call('SISMEMBER', qk .. ':members', previous) == 1 then
  triedPrevious = true
  local why = verdict(previous)
  if not why then return claim(previous, 'previous_agent') end
  passOver(previous, 'handled it last, but ' .. why)
end
-- Best first, a page at a time: the first page usually has the agent, and when its agents do
-- not qualify (language, skills, declined) the next ones are looked at, up to maxCandidates.
local maxCandidates = tonumber(ARGV[5])
local examined = 0
while examined < maxCandidates do
  local last = examined + math.min(50, maxCandidates - examined) - 1
  local page = redis.call('ZRANGE', qk .. ':ready', examined, last)
  for _, a in ipairs(page) do
    if not (triedPrevious and a == previous) then
      local why = verdict(a)
      if not why then return claim(a, 'ready_index') end
      passOver(a, why)
    end
  end
  if #page < last - examined + 1 then break end
  examined = last + 1
end
return { 'NO_AGENT', '', '', '', tostring(passedOver), cjson.encode(candidates) }
`);

/**
 * ARGV: prefix, now, JSON [{id, closed, steps, req, unitsPerTask, priorityStepMs,
 * preferPreviousMs, requeueAssigned, maxWaitMs}]. Writes each queue's dynamics (absent fields are
 * removed); when a queue's overflow steps changed, its waiting tasks are rescheduled. Replies
 * [queue, waiting tasks older than maxWaitMs (0 while closed)]* for the queues that set maxWaitMs.
 */
export const SYNC_QUEUES = script(`
local now = tonumber(ARGV[2])
local over = {}
for _, queue in ipairs(cjson.decode(ARGV[3])) do
  local qk = queueKey(queue.id)
  local oldSteps = redis.call('HGET', qk, 'steps')
  for _, field in ipairs({ 'closed', 'steps', 'req', 'unitsPerTask', 'priorityStepMs', 'preferPreviousMs', 'requeueAssigned' }) do
    local value = queue[field]
    if value == nil or value == cjson.null then
      redis.call('HDEL', qk, field)
    else
      redis.call('HSET', qk, field, value)
    end
  end
  if (oldSteps or false) ~= (redis.call('HGET', qk, 'steps') or false) then
    for _, t in ipairs(redis.call('ZRANGE', qk .. ':byAge', 0, -1)) do scheduleNextStep(t) end
  end
  if queue.maxWaitMs and queue.maxWaitMs ~= cjson.null then
    table.insert(over, queue.id)
    -- A closed queue's tasks wait by design: counting them would alert every night.
    if queue.closed == '1' then
      table.insert(over, 0)
    else
      table.insert(over, redis.call('ZCOUNT', qk .. ':byAge', '-inf', now - queue.maxWaitMs))
    end
  end
end
return over
`);

/**
 * ARGV: prefix, now, limit. Applies the next overflow step of waiting tasks whose step is due:
 * relax the home queue's required levels (relax), widen to more queues (widen), drop the language
 * requirement (dropLanguage) or raise the priority (raisePriority). A step applies once, whichever
 * replica's tick gets there first: the task's step counter moves under the script's atomicity.
 * Replies [task, home queue, step number, kind, detail]*.
 */
export const APPLY_DUE_STEPS = script(`
local now = tonumber(ARGV[2])
local applied = {}
for _, t in ipairs(redis.call('ZRANGEBYSCORE', P .. 'overflowDue', '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))) do
  local tk = taskKey(t)
  if redis.call('HGET', tk, 'state') ~= 'waiting' then
    redis.call('ZREM', P .. 'overflowDue', t)
  else
    local home = redis.call('HGET', tk, 'queue')
    local index = num(redis.call('HGET', tk, 'step'), 0) + 1
    local step = stepsOf(home)[index]
    local enqueuedAt = num(redis.call('HGET', tk, 'enqueuedAt'), 0)
    if not step or enqueuedAt + step.afterMs > now then
      scheduleNextStep(t)
    else
      removeWaiting(t)
      local detail = ''
      if step.kind == 'relax' then
        detail = tostring(redis.call('HINCRBY', tk, 'relax', step.delta))
      elseif step.kind == 'widen' then
        local added = {}
        for _, q in ipairs(step.queues) do
          if q ~= home and redis.call('SADD', tk .. ':queues', q) == 1 then table.insert(added, q) end
        end
        detail = table.concat(added, ',')
      elseif step.kind == 'dropLanguage' then
        detail = redis.call('HGET', tk, 'lang') or ''
        redis.call('HSET', tk, 'lang', '')
      elseif step.kind == 'raisePriority' then
        local priority = num(redis.call('HGET', tk, 'priority'), 0) + step.raiseBy
        local stepMs = num(redis.call('HGET', queueKey(home), 'priorityStepMs'), 600000)
        redis.call('HSET', tk, 'priority', priority, 'score', enqueuedAt - priority * stepMs)
        detail = tostring(priority)
      end
      redis.call('HSET', tk, 'step', index)
      addWaiting(t)
      scheduleNextStep(t)
      table.insert(applied, t)
      table.insert(applied, home)
      table.insert(applied, tostring(index))
      table.insert(applied, step.kind)
      table.insert(applied, detail)
    end
  end
end
return applied
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
  -- Only an agent who had it assigned handled it (an unanswered offer does not count).
  if state == 'assigned' then redis.call('HSET', tk, 'lastAgent', a) end
  refreshAgent(a)
  return { 'COMPLETED', a, redis.call('HGET', tk, 'queue') }
end
if state == 'waiting' then
  removeWaiting(t)
  redis.call('ZREM', P .. 'overflowDue', t)
  redis.call('HSET', tk, 'state', 'done')
  return { 'CANCELLED' }
end
return { 'NOT_ACTIVE', state or 'missing' }
`);
