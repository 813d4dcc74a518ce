package io.dfmigrate.common.config;

import io.dfmigrate.common.endpoint.EndpointPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Installs this service's {@link EndpointPolicy} from {@code dfm.allowed-endpoints} (env {@code DFM_ALLOWED_ENDPOINTS};
 * default {@link EndpointPolicy#DEFAULT}), {@code dfm.allow-insecure-tls} (env {@code DFM_ALLOW_INSECURE_TLS}, false) and
 * {@code dfm.ca-dir} (env {@code DFM_CA_DIR}, {@code /etc/dfmigrate/ca}: where {@code ?ca=} files may be) when the
 * application starts; a malformed list stops the start with the entry.
 */
@ApplicationScoped
public class EndpointPolicyConfig {
    private final Optional<String> allowed;
    private final boolean insecureTls;
    private final Optional<String> caDirectory;

    public EndpointPolicyConfig(@ConfigProperty(name = "dfm.allowed-endpoints") Optional<String> allowed,
                                @ConfigProperty(name = "dfm.allow-insecure-tls", defaultValue = "false") boolean insecureTls,
                                @ConfigProperty(name = "dfm.ca-dir") Optional<String> caDirectory) {
        this.allowed = allowed;
        this.insecureTls = insecureTls;
        this.caDirectory = caDirectory;
    }

    void install(@Observes @Initialized(ApplicationScoped.class) Object started) {
        try {
            EndpointPolicy.install(EndpointPolicy.parse(allowed.filter(s -> !s.isBlank()).orElse(EndpointPolicy.DEFAULT))
                    .withInsecureTls(insecureTls)
                    .withCaDirectory(caDirectory.filter(s -> !s.isBlank()).map(Path::of).orElse(EndpointPolicy.DEFAULT_CA_DIRECTORY)));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("DFM_ALLOWED_ENDPOINTS: " + e.getMessage(), e);
        }
    }
}
