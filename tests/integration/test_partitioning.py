"""Our producers put a key in the partition Kafka's Java clients would: murmur2 of the
key, made positive, modulo the partition count (org.apache.kafka.common.utils.Utils),
computed here independently of librdkafka."""

from services.adapters.kafka import topics
from services.adapters.kafka.publish import publish
from services.entrypoints import bootstrap
from tests.helpers import REGISTRY, capture, consume_all


def java_murmur2(data: bytes) -> int:
    """Utils.murmur2 as Kafka's Java client has it (seed 0x9747b28c), as a signed int32."""
    m, r = 0x5BD1E995, 24
    length = len(data)
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    for i in range(length // 4):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    tail = length & ~3
    left = length % 4
    if left == 3:
        h ^= data[tail + 2] << 16
    if left >= 2:
        h ^= data[tail + 1] << 8
    if left >= 1:
        h ^= data[tail]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def java_partition(key: bytes, partitions: int) -> int:
    return (java_murmur2(key) & 0x7FFFFFFF) % partitions


def test_java_murmur2_matches_kafkas_published_vectors():
    # From Kafka's UtilsTest.testMurmur2.
    assert java_murmur2(b"21") == -973932308
    assert java_murmur2(b"foobar") == -790332482
    assert java_murmur2(b"a-little-bit-long-string") == -985981536
    assert java_murmur2(b"a-little-bit-longer-string") == -1486304829
    assert java_murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971
    assert java_murmur2(b"abc") == 479470107


def test_our_producers_put_each_order_where_a_java_producer_would(settings):
    orders = [f"O_{i}" for i in range(60)]
    publish(bootstrap.producer(settings), settings.topic(topics.ORDERS), REGISTRY, [capture(o) for o in orders])
    seen = {m.key().decode(): m.partition() for m in consume_all(settings, topics.ORDERS)}
    n = topics.LAYOUT[topics.ORDERS]
    assert seen == {o: java_partition(o.encode(), n) for o in orders}
    assert len(set(seen.values())) == n  # the keys spread over every partition
