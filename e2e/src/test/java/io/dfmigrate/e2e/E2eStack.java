package io.dfmigrate.e2e;

import io.dfmigrate.localstack.LocalStack;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The stack of an end-to-end class as a JUnit extension ({@code @RegisterExtension static final E2eStack STACK = …}):
 * started before the class's first test, its parts side by side (Kafka and PostgreSQL, then the four services), and
 * after its last test either closed ({@link #of}: a stack of the class's own settings) or handed on as the next class
 * expects it ({@link #shared}: the data-path classes' stack, no live migration left, every service running, no second
 * instance). The class reads {@link #stack()} and {@link #api()}.
 */
final class E2eStack implements BeforeAllCallback, AfterAllCallback {
    private final Map<String, String> env;
    private LocalStack stack;
    private Api api;

    private E2eStack(Map<String, String> env) {
        this.env = env;
    }

    /** The stack the data-path classes share (E2e.SHARED_ENV), started by the first of them, stopped with the JVM. */
    static E2eStack shared() {
        return new E2eStack(null);
    }

    /** A stack of the class's own, with these service settings, closed after the class. */
    static E2eStack of(Map<String, String> env) {
        return new E2eStack(env);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        stack = env == null ? E2e.sharedStack() : E2e.startStack(env);
        api = new Api(stack);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (stack == null) {
            return;
        }
        if (env == null) {
            E2e.stopLiveMigrations(api); // a test that failed half way leaves nothing live for the next class
            E2e.restoreServices(stack);
        } else {
            stack.close();
        }
        stack = null;
    }

    LocalStack stack() {
        return stack;
    }

    Api api() {
        return api;
    }
}
