package io.dfmigrate.localstack;

import java.time.Duration;

/** A server of the stack's infrastructure (Kafka, PostgreSQL) as one process: killed as a crash would, or stopped. */
public abstract class InfrastructureProcess implements AutoCloseable {
    /** The running process, null before the first start. */
    protected ManagedProcess process;

    /** Kills the server at once (SIGKILL), as a crash would; {@code start()} brings it back with its data. */
    public void kill() {
        if (process != null) {
            process.kill();
        }
    }

    /** Stops the server with its own signal, waiting up to 30 s before it is killed. */
    public void stop() {
        if (process != null) {
            process.stop(Duration.ofSeconds(30));
        }
    }

    @Override
    public void close() {
        stop();
    }
}
