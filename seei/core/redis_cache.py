"""Django's Redis cache, with one redis-py client per connection pool.

Django builds a new ``redis.Redis`` for every operation, and building one (its table of some 170
response callbacks) costs more than the command itself: a cached page reads four keys. A client
is safe to share between threads (it takes a connection from the pool for each command only).
"""

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:  # two threads may both build one: either does
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
