#!/usr/bin/env bash
# Fetches (once, via Maven) and runs a real single-node Apache Kafka broker in KRaft mode.
# Usage: kafka.sh start|stop|crash|status   (start is idempotent)
source "$(dirname "$0")/lib.sh"
LIBS="$LOCAL/kafka/libs"
DATA="$LOCAL/kafka/data"
CONF="$LOCAL/kafka/server.properties"
PIDF="$RUN/kafka.pid"

fetch() {
  [ -f "$LIBS/.complete" ] && return 0
  need java "java not found: install a JRE 17+ (e.g. apt-get install openjdk-17-jre-headless)"
  need mvn "mvn not found: install Maven (apt-get install maven) to fetch the Kafka broker jars"
  say "fetching Apache Kafka jars from Maven Central (once)"
  rm -rf "$LIBS"; mkdir -p "$LIBS"
  mvn -q -B -f "$ROOT/deploy/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIBS" >"$LOGS/mvn.log" 2>&1 \
    || die "fetching Kafka with Maven failed: see $LOGS/mvn.log"
  touch "$LIBS/.complete"
}

ready() {
  "$PYTHON" - "$KAFKA_PORT" <<'PY' >/dev/null 2>&1
import sys
from confluent_kafka.admin import AdminClient
AdminClient({"bootstrap.servers": f"127.0.0.1:{sys.argv[1]}"}).list_topics(timeout=2)
PY
}

start() {
  need java "java not found: install a JRE 17+ (e.g. apt-get install openjdk-17-jre-headless)"
  if pid_alive "$PIDF"; then say "kafka already running on $KAFKA_PORT"; return 0; fi
  fetch
  mkdir -p "$DATA"
  cat >"$CONF" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=-1
PROPS
  local JAVA_OPTS=(-Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$ROOT/deploy/kafka/log4j2.properties" "-Dkafka.logs.dir=$LOGS/kafka")
  mkdir -p "$LOGS/kafka"
  if [ ! -f "$DATA/meta.properties" ]; then
    local uuid; uuid="$(java "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.tools.StorageTool random-uuid)"
    java "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.tools.StorageTool format -t "$uuid" -c "$CONF" --ignore-formatted \
      >"$LOGS/kafka-format.log" 2>&1 || die "kafka storage format failed: see $LOGS/kafka-format.log"
  fi
  nohup java "${JAVA_OPTS[@]}" -cp "$LIBS/*" kafka.Kafka "$CONF" >"$LOGS/kafka.out" 2>&1 &
  echo $! >"$PIDF"
  for _ in $(seq 1 120); do
    pid_alive "$PIDF" || die "kafka exited during startup: see $LOGS/kafka.out and $LOGS/kafka/server.log"
    ready && { say "kafka up on 127.0.0.1:$KAFKA_PORT"; return 0; }
    sleep 0.5
  done
  die "kafka did not answer metadata requests within 60 s: see $LOGS/kafka/server.log"
}

case "${1:-}" in
  start) start ;;
  stop) stop_pid kafka; say "kafka stopped" ;;
  crash)  # SIGKILL, no clean shutdown (the fault campaign)
    if pid_alive "$PIDF"; then
      pid="$(cat "$PIDF")"; kill -KILL "$pid"
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
    rm -f "$PIDF"; say "kafka killed (SIGKILL)" ;;
  status) pid_alive "$PIDF" && echo running || { echo stopped; exit 1; } ;;
  fetch) fetch ;;
  *) die "usage: kafka.sh start|stop|crash|status|fetch" ;;
esac
