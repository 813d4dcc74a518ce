package io.dfmigrate.common.event;

/**
 * One run of one migration: what workers key their state by and what event ids start with. {@link #toString()} is the
 * wire form {@code <migrationId>:<run>}.
 */
public record RunKey(String migrationId, int run) {
    public static RunKey of(PhaseEvent phase) {
        return new RunKey(phase.migrationId(), phase.run());
    }

    public static RunKey of(StatusEvent event) {
        return new RunKey(event.migrationId(), event.run());
    }

    @Override
    public String toString() {
        return migrationId + ":" + run;
    }
}
