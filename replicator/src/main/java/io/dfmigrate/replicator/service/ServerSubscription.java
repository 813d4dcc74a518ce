package io.dfmigrate.replicator.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.redis.BlockingRedis;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import java.util.concurrent.atomic.AtomicLong;

/** The subscription to one server of the source, and its admin connection. */
final class ServerSubscription {
    final RedisEndpoint server;
    /** Notifications of this server in the scope, through every subscription of this capture to it. */
    final AtomicLong captured;
    /** False once this server's subscription connection ended. */
    volatile boolean up = true;
    Redis client;
    RedisConnection connection;
    BlockingRedis admin;

    ServerSubscription(RedisEndpoint server, AtomicLong captured) {
        this.server = server;
        this.captured = captured;
    }
}
