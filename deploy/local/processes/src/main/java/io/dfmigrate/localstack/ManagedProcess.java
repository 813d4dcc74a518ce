package io.dfmigrate.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** A child process with its output in a log file, stopped with a signal, then killed (with its descendants) on timeout. */
public final class ManagedProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;
    private final String stopSignal;

    private ManagedProcess(String name, Process process, Path log, String stopSignal) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.stopSignal = stopSignal;
    }

    public static ManagedProcess start(String name, List<String> command, Map<String, String> env, Path workDir, Path log,
                                       String stopSignal) {
        try {
            Files.createDirectories(log.getParent());
            ProcessBuilder pb = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().putAll(env);
            return new ManagedProcess(name, pb.start(), log, stopSignal);
        } catch (IOException e) {
            throw new StackException("cannot start " + name + " (" + command.get(0) + "): " + e.getMessage(), e);
        }
    }

    /** Runs a command to completion, failing with its output when it exits non-zero. */
    public static String run(String what, List<String> command, Duration timeout) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new StackException(what + " did not finish within " + timeout.toSeconds() + " s");
            }
            String text = new String(out);
            if (p.exitValue() != 0) {
                throw new StackException(what + " failed (exit " + p.exitValue() + "): " + text.strip());
            }
            return text;
        } catch (IOException e) {
            throw new StackException(what + " could not run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException(what + " interrupted");
        }
    }

    /** Waits until {@code ready} holds; fails early, with the log's tail, if the process exits. */
    public void awaitReady(BooleanSupplier ready, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new StackException(name + " exited with code " + process.exitValue() + " during start-up; log " + log
                        + ":\n" + tail(40));
            }
            if (ready.getAsBoolean()) {
                return;
            }
            sleep(200);
        }
        throw new StackException(name + " was not ready after " + timeout.toSeconds() + " s; log " + log + ":\n" + tail(40));
    }

    public String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(log not readable: " + e.getMessage() + ")";
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path log() {
        return log;
    }

    /** Ends the process at once (SIGKILL), as a crash would. */
    public void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        waitQuietly(Duration.ofSeconds(10));
    }

    /** Signals the process to stop, waits up to {@code grace}, then kills it and its descendants. */
    public void stop(Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        try {
            new ProcessBuilder("kill", "-" + stopSignal, Long.toString(process.pid())).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            process.destroy();
        }
        if (!waitQuietly(grace)) {
            kill();
        }
    }

    private boolean waitQuietly(Duration d) {
        try {
            return process.waitFor(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted");
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(20));
    }
}
