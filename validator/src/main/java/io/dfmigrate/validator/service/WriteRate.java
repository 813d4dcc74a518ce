package io.dfmigrate.validator.service;

import io.dfmigrate.common.endpoint.RedisEndpoint;
import io.dfmigrate.common.redis.BlockingRedis;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;

/**
 * The source's write rate, measured as the growth of {@code rdb_changes_since_last_save} (every key a write changes)
 * over a short window: what change capture will have to carry. -1 when it cannot be measured (no such field, or a save
 * reset the counter during the window).
 */
final class WriteRate {
    static double perSecond(Vertx vertx, RedisEndpoint source, Duration window, Duration timeout) {
        try (BlockingRedis r = BlockingRedis.connect(vertx, source, 0, timeout)) {
            long before = changes(r);
            long t0 = System.nanoTime();
            Thread.sleep(window.toMillis());
            long after = changes(r);
            double seconds = (System.nanoTime() - t0) / 1e9;
            return before < 0 || after < before ? -1 : (after - before) / seconds;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private static long changes(BlockingRedis r) {
        for (String line : r.send(Request.cmd(Command.INFO).arg("persistence")).toString().split("\r?\n")) {
            if (line.startsWith("rdb_changes_since_last_save:")) {
                return Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
            }
        }
        return -1;
    }

    private WriteRate() {
    }
}
