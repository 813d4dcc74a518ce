#!/bin/sh
# Entry point of the local play's Kafka pod: a KRaft broker+controller on 127.0.0.1 (host network), data in
# /var/lib/kafka (a volume), storage formatted on first start. KAFKA_PORT, KAFKA_CONTROLLER_PORT from the pod.
set -eu
: "${KAFKA_PORT:=19092}"
: "${KAFKA_CONTROLLER_PORT:=19093}"
DATA=/var/lib/kafka
CP='/opt/kafka/libs/*'
mkdir -p "$DATA/data"
cat >"$DATA/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
PROPS
if [ ! -f "$DATA/data/meta.properties" ]; then
  id=$(java -cp "$CP" kafka.tools.StorageTool random-uuid | tail -1)
  java -cp "$CP" kafka.tools.StorageTool format -t "$id" -c "$DATA/server.properties" --ignore-formatted
fi
exec java -Xms128m -Xmx512m -XX:+UseSerialGC -Dlog4j2.level=WARN -cp "$CP" kafka.Kafka "$DATA/server.properties"
