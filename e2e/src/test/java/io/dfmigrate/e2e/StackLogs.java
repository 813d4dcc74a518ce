package io.dfmigrate.e2e;

import io.dfmigrate.localstack.LocalStack;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a failed wait quotes from the services' logs, so a CI run that only keeps Maven's output still says why a
 * migration did not move: per service the last lines that are warnings or errors or that name the migration.
 */
final class StackLogs {
    private static final Pattern NOTABLE = Pattern.compile(" (WARN|ERROR) ");
    private static final int LINES_PER_SERVICE = 8;
    private static final int MAX_LINE = 400;

    private StackLogs() {
    }

    static String excerpt(LocalStack stack, String migrationId) {
        StringBuilder out = new StringBuilder();
        for (String name : stack.serviceNames()) {
            Deque<String> kept = new ArrayDeque<>();
            try {
                List<String> lines = Files.readAllLines(stack.service(name).log(), StandardCharsets.UTF_8);
                for (String line : lines) {
                    if (NOTABLE.matcher(line).find() || line.contains(migrationId)) {
                        kept.addLast(line.length() > MAX_LINE ? line.substring(0, MAX_LINE) + " …" : line);
                        if (kept.size() > LINES_PER_SERVICE) {
                            kept.removeFirst();
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                kept.add("(log not readable: " + e + ")");
            }
            out.append("\n--- ").append(name).append(": last warnings, errors and lines naming the migration\n");
            kept.forEach(l -> out.append(l).append('\n'));
        }
        return out.toString();
    }
}
