"""The issue's acceptance session with redis-py, run unchanged against nodis and redis-server.

Usage: python3 redis_py_pubsub.py PORT
Prints one JSON list of [step, result] pairs (bytes as latin1 strings tagged {"b": ...}) so the
test can compare the two servers' transcripts and check the seed's example values.
"""
import json
import sys
import time

import redis

port = int(sys.argv[1])
out = []


def plain(value):
    if isinstance(value, bytes):
        return {"b": value.decode("latin1")}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def record(step, value):
    out.append([step, plain(value)])


def next_message(p, deadline=5.0):
    """get_message() as the seed calls it, repeated until something has arrived (bounded)."""
    end = time.monotonic() + deadline
    while True:
        m = p.get_message()
        if m is not None or time.monotonic() > end:
            return m
        time.sleep(0.005)


r = redis.Redis(port=port)
r.flushall()

# The seed's example.
p = r.pubsub()
p.subscribe('my-first-channel')
record('subscribe confirmation', next_message(p))
record('publish', r.publish('my-first-channel', 'some data'))
record('message', next_message(p))
record('numsub', r.pubsub_numsub('my-first-channel'))

# Patterns.
p.psubscribe('my-*')
record('psubscribe confirmation', next_message(p))
record('publish to channel and pattern', r.publish('my-first-channel', 'second'))
record('message 2', next_message(p))
record('pmessage 2', next_message(p))
record('numpat', r.pubsub_numpat())
p.unsubscribe('my-first-channel')
record('unsubscribe confirmation', next_message(p))
p.punsubscribe('my-*')
record('punsubscribe confirmation', next_message(p))
record('nothing left', p.get_message())
record('publish to nobody', r.publish('my-first-channel', 'lost'))
p.close()

# A handler-based subscription (redis-py's run-in-loop style, driven by hand).
received = []
p2 = r.pubsub(ignore_subscribe_messages=True)
p2.subscribe(**{'events': lambda m: received.append(m)})
# The subscription is made on p2's own connection: publish once the server has it.
end = time.monotonic() + 5
while r.pubsub_numsub('events')[0][1] == 0 and time.monotonic() < end:
    p2.get_message(timeout=0.01)
record('publish to the handler', r.publish('events', 'e1'))
# With a handler (and subscribe messages ignored) get_message() returns None: poll until it ran.
end = time.monotonic() + 5
while not received and time.monotonic() < end:
    p2.get_message(timeout=0.01)
record('handler received', received)
p2.close()

# Transactions: pipeline(transaction=True) with WATCH, the optimistic retry loop.
r.set('counter', 10)
with r.pipeline() as pipe:
    pipe.watch('counter')
    current = int(pipe.get('counter'))
    pipe.multi()
    pipe.set('counter', current + 1)
    pipe.incr('hits')
    record('watched transaction', pipe.execute())

# A WATCHed key changed by another connection: WatchError, then the retry succeeds.
attempts = 0
with r.pipeline() as pipe:
    while True:
        attempts += 1
        try:
            pipe.watch('counter')
            current = int(pipe.get('counter'))
            if attempts == 1:
                redis.Redis(port=port).set('counter', 100)  # someone else writes meanwhile
            pipe.multi()
            pipe.set('counter', current + 1)
            pipe.execute()
            break
        except redis.WatchError:
            record('watch error on attempt', attempts)
            continue
record('attempts', attempts)
record('counter', r.get('counter'))

# Errors inside a transaction: runtime errors are returned, not raised, with raise_on_error=False.
r.set('s', 'str')
pipe = r.pipeline(transaction=True)
pipe.incr('s')
pipe.set('t', 1)
results = pipe.execute(raise_on_error=False)
record('runtime error', [type(x).__name__ if isinstance(x, Exception) else x for x in results])
record('runtime error text', str(results[0]))

# A queue-time error aborts the whole transaction (EXECABORT).
pipe = r.pipeline(transaction=True)
pipe.set('u', 1)
pipe.execute_command('NOSUCHCOMMAND')
try:
    pipe.execute()
    record('execabort', 'no error')
except redis.ResponseError as e:
    record('execabort', str(e))
record('u after abort', r.get('u'))

print(json.dumps(out))
