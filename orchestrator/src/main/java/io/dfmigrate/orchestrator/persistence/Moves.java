package io.dfmigrate.orchestrator.persistence;

import java.util.Set;
import java.util.function.Function;

/** The one check behind every {@code moveTo}: a move its state's table does not list is a bug, refused. */
final class Moves {
    /**
     * {@code to} when it may follow {@code from} ({@code first} when there is none yet), else an {@link IllegalStateException}
     * naming {@code what} moved.
     */
    static <E extends Enum<E>> E checked(String what, E from, E to, E first, Function<E, Set<E>> next) {
        boolean legal = from == null ? to == first : next.apply(from).contains(to);
        if (!legal) {
            throw new IllegalStateException(what + " cannot move from " + (from == null ? "none" : from) + " to " + to);
        }
        return to;
    }

    private Moves() {
    }
}
