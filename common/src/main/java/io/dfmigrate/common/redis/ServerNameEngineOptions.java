package io.dfmigrate.common.redis;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.DelegatingSslContext;
import io.netty.handler.ssl.SslContext;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.spi.tls.SslContextFactory;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * The JDK's TLS engine, presenting {@code serverName} as SNI instead of the host connected to (an endpoint's
 * {@code sni=}). The JDK checks the server's certificate against the requested SNI host name, so the certificate must
 * name {@code serverName}; the Redis client has no option of its own for it (it connects without a server name).
 */
final class ServerNameEngineOptions extends SSLEngineOptions {
    private final String serverName;
    private final JdkSSLEngineOptions jdk = new JdkSSLEngineOptions();

    ServerNameEngineOptions(String serverName) {
        this.serverName = serverName;
    }

    @Override
    public SSLEngineOptions copy() {
        return new ServerNameEngineOptions(serverName);
    }

    @Override
    public SslContextFactory sslContextFactory() {
        SslContextFactory factory = jdk.sslContextFactory();
        return new SslContextFactory() {
            @Override
            public SslContextFactory useAlpn(boolean useAlpn) {
                factory.useAlpn(useAlpn);
                return this;
            }

            @Override
            public SslContextFactory clientAuth(ClientAuth clientAuth) {
                factory.clientAuth(clientAuth);
                return this;
            }

            @Override
            public SslContextFactory forClient(boolean forClient) {
                factory.forClient(forClient);
                return this;
            }

            @Override
            public SslContextFactory keyMananagerFactory(KeyManagerFactory kmf) {
                factory.keyMananagerFactory(kmf);
                return this;
            }

            @Override
            public SslContextFactory trustManagerFactory(TrustManagerFactory tmf) {
                factory.trustManagerFactory(tmf);
                return this;
            }

            @Override
            public SslContextFactory enabledCipherSuites(Set<String> cipherSuites) {
                factory.enabledCipherSuites(cipherSuites);
                return this;
            }

            @Override
            public SslContextFactory applicationProtocols(List<String> protocols) {
                factory.applicationProtocols(protocols);
                return this;
            }

            @Override
            public SslContextFactory serverName(String name) {
                factory.serverName(name);
                return this;
            }

            @Override
            public SslContext create() throws SSLException {
                return new DelegatingSslContext(factory.create()) {
                    @Override
                    protected void initEngine(SSLEngine engine) {
                        SSLParameters p = engine.getSSLParameters();
                        p.setServerNames(List.of(new SNIHostName(serverName)));
                        engine.setSSLParameters(p);
                    }
                };
            }
        };
    }
}
