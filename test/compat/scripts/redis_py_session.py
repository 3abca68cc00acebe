"""A redis-py session whose printed results must be identical against nodis and redis-server.
Usage: python3 redis_py_session.py PORT"""
import json
import sys

import redis

r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]))
out = []


def step(name, fn):
    try:
        v = fn()
    except redis.ResponseError as e:
        v = "ResponseError: " + str(e)
    if isinstance(v, bytes):
        v = v.decode("latin1")
    elif isinstance(v, (list, tuple)):
        v = [x.decode("latin1") if isinstance(x, bytes) else x for x in v]
    elif isinstance(v, dict):
        v = {(k.decode("latin1") if isinstance(k, bytes) else k): (x.decode("latin1") if isinstance(x, bytes) else x) for k, x in v.items()}
    out.append([name, v])


r.flushall()
step("ping", r.ping)
step("set", lambda: r.set("tibs:pyconuk", "SomeValue"))
step("get", lambda: r.get("tibs:pyconuk"))
step("set nx", lambda: r.set("tibs:pyconuk", "Other", nx=True))
step("set ex", lambda: r.set("session", "x", ex=1000))
step("ttl", lambda: r.ttl("session"))
step("incr", lambda: r.incr("counter"))
step("incrby", lambda: r.incrby("counter", 41))
step("incrbyfloat", lambda: r.incrbyfloat("float", 0.1))
step("incrbyfloat 2", lambda: r.incrbyfloat("float", 0.2))
step("decr error", lambda: r.decr("tibs:pyconuk"))
step("mset", lambda: r.mset({"m1": "a", "m2": "b"}))
step("mget", lambda: r.mget(["m1", "m2", "missing"]))
step("append", lambda: r.append("m1", "bc"))
step("getrange", lambda: r.getrange("m1", 0, 1))
step("setrange", lambda: r.setrange("m1", 5, "z"))
step("get m1", lambda: r.get("m1"))
step("strlen", lambda: r.strlen("m1"))
step("getdel", lambda: r.getdel("m2"))
step("exists", lambda: r.exists("m1", "m2", "counter"))
step("type", lambda: r.type("counter"))
step("expire", lambda: r.expire("counter", 500))
step("persist", lambda: r.persist("counter"))
step("rename", lambda: r.rename("m1", "m3"))
step("copy", lambda: r.copy("m3", "m4"))
step("keys", lambda: sorted(r.keys("m*")))
step("scan_iter", lambda: sorted(r.scan_iter(match="*")))
step("dbsize", r.dbsize)
step("delete", lambda: r.delete("m3", "m4", "nope"))
step("object encoding", lambda: r.object("encoding", "counter"))
step("lcs", lambda: r.execute_command("LCS", "tibs:pyconuk", "session"))
step("echo", lambda: r.echo("hello"))
step("select + swapdb", lambda: r.swapdb(0, 1))
step("dbsize after swap", r.dbsize)
step("info keyspace keys", lambda: sorted(r.info("keyspace").keys()))
step("config get", lambda: r.config_get("maxmemory-policy"))
step("unknown", lambda: r.execute_command("NOSUCH", "a"))
step("client setname", lambda: r.client_setname("py"))
step("client getname", r.client_getname)
print(json.dumps(out))
