package io.dfmigrate.common.endpoint;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Redis (or RESP-compatible) endpoint parsed from a {@code redis://} or {@code rediss://} URI:
 * {@code redis[s]://[[user][:password]@]host[:port][/db][?verify=none|full&ca=/path/ca.pem&sni=name]}. A CA given as PEM
 * content (the API's {@code caPem}) travels as {@code ca-pem=<base64url of the PEM>}, sealed with the rest of the URI, so
 * no worker needs a file; masked URIs show only its fingerprint. {@code sni} names the TLS server name to present and
 * to verify the certificate against (default: the URI's host).
 * <p>
 * {@link #toString()} and {@link #masked()} never show the password; only {@link #toUri()} does, and it is
 * meant for sealing with {@link io.dfmigrate.common.secret.SecretBox}, never for printing.
 */
public final class RedisEndpoint {
    public static final int DEFAULT_PORT = 6379;
    private static final int MAX_URI_LENGTH = 2048;
    /** Most characters of PEM a {@code caPem} may have (a CA bundle of a few certificates). */
    public static final int MAX_CA_PEM_CHARS = 16 * 1024;
    private static final String CA_PEM = "ca-pem";
    /**
     * The URI names a Redis Sentinel, and this is the name of the master it monitors: every connection goes to the
     * master the Sentinel names at that moment (common/redis Sentinels), with the URI's credentials and TLS settings.
     * {@code sentinel-user} and {@code sentinel-password} log in to the Sentinel itself.
     */
    private static final String SENTINEL_MASTER = "sentinel-master";
    /**
     * {@code cluster=yes}: the URI names one node of a Redis Cluster, and the source is the whole cluster: its masters
     * are discovered ({@code common/redis ClusterNodes}) and each is read with the URI's credentials and TLS settings.
     */
    private static final String CLUSTER = "cluster";
    private static final String SENTINEL_USER = "sentinel-user";
    private static final String SENTINEL_PASSWORD = "sentinel-password";
    /** A DNS host name: labels of letters, digits and hyphens, not a dotted IPv4 address. */
    private static final java.util.regex.Pattern SERVER_NAME = java.util.regex.Pattern.compile(
            "(?=.{1,253}$)(?!\\d+(\\.\\d+){3}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    private final boolean tls;
    private final String host;
    private final int port;
    private final String user;
    private final String password;
    private final Integer db;
    private final Map<String, String> params;

    private RedisEndpoint(boolean tls, String host, int port, String user, String password, Integer db,
                          Map<String, String> params) {
        this.tls = tls;
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
        this.db = db;
        this.params = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(params)); // in the order given: a stable URI
    }

    /** Parses a URI, throwing {@link InvalidEndpointException} with a reason that is safe to show. */
    public static RedisEndpoint parse(String uri) {
        if (uri == null || uri.isBlank()) {
            throw new InvalidEndpointException("is required, e.g. redis://user:password@host:6379");
        }
        if (uri.length() > MAX_URI_LENGTH + (uri.contains(CA_PEM + "=") ? MAX_CA_PEM_CHARS * 4 / 3 + 8 : 0)) {
            throw new InvalidEndpointException("is longer than " + MAX_URI_LENGTH + " characters");
        }
        URI parsed;
        try {
            parsed = new URI(uri.trim());
        } catch (URISyntaxException e) {
            throw new InvalidEndpointException("is not a valid URI (" + safeReason(e) + ")");
        }
        String scheme = parsed.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("redis") || scheme.equalsIgnoreCase("rediss"))) {
            throw new InvalidEndpointException("must start with redis:// or rediss://");
        }
        boolean tls = scheme.equalsIgnoreCase("rediss");
        String host = parsed.getHost();
        if (host == null || host.isBlank()) {
            throw new InvalidEndpointException("has no host");
        }
        int port = parsed.getPort() == -1 ? DEFAULT_PORT : parsed.getPort();
        if (port < 1 || port > 65535) {
            throw new InvalidEndpointException("has port " + port + " outside 1..65535");
        }
        String user = null;
        String password = null;
        String rawUserInfo = parsed.getRawUserInfo();
        if (rawUserInfo != null && !rawUserInfo.isEmpty()) {
            int colon = rawUserInfo.indexOf(':');
            if (colon < 0) {
                // redis://secret@host is the classic password-only form
                password = decode(rawUserInfo);
            } else {
                String u = decode(rawUserInfo.substring(0, colon));
                user = u.isEmpty() ? null : u;
                password = decode(rawUserInfo.substring(colon + 1));
            }
            if (password != null && password.isEmpty()) {
                password = null;
            }
        }
        Integer db = null;
        String path = parsed.getPath();
        if (path != null && !path.isEmpty() && !path.equals("/")) {
            String dbText = path.substring(1);
            try {
                db = Integer.parseInt(dbText);
            } catch (NumberFormatException e) {
                throw new InvalidEndpointException("has database '" + dbText + "', which is not a number");
            }
            if (db < 0) {
                throw new InvalidEndpointException("has a negative database index");
            }
        }
        Map<String, String> params = new LinkedHashMap<>();
        if (parsed.getRawQuery() != null) {
            for (String pair : parsed.getRawQuery().split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String k = decode(eq < 0 ? pair : pair.substring(0, eq));
                String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
                switch (k) {
                    case "verify" -> {
                        if (!v.equals("full") && !v.equals("none")) {
                            throw new InvalidEndpointException("has verify=" + v + "; use verify=full or verify=none");
                        }
                    }
                    case "ca" -> {
                        if (v.isBlank()) {
                            throw new InvalidEndpointException("has an empty " + k + " parameter");
                        }
                    }
                    case CA_PEM -> checkCaPem(decodeCaPem(v));
                    case "sni" -> {
                        if (!tls) {
                            throw new InvalidEndpointException("has sni=…, which only applies to TLS (rediss://)");
                        }
                        if (!SERVER_NAME.matcher(v).matches()) {
                            throw new InvalidEndpointException("has an sni that is not a DNS host name (a TLS server name is never an IP address)");
                        }
                    }
                    case SENTINEL_MASTER -> checkMasterName(v);
                    case CLUSTER -> {
                        if (!v.equals("yes")) {
                            throw new InvalidEndpointException("has cluster=" + v + "; a Redis Cluster source is cluster=yes");
                        }
                    }
                    case SENTINEL_USER, SENTINEL_PASSWORD -> {
                        if (v.isEmpty()) {
                            throw new InvalidEndpointException("has an empty " + k + " parameter");
                        }
                    }
                    default -> throw new InvalidEndpointException("has unknown parameter '" + k + "' (known: verify, ca, sni; a CA as PEM "
                            + "goes in the endpoint's caPem, a Sentinel's master in its topology and masterName)");
                }
                params.put(k, v);
            }
        }
        if (params.containsKey(CLUSTER) && params.containsKey(SENTINEL_MASTER)) {
            throw new InvalidEndpointException("names both a Redis Cluster and a Sentinel master: a source is one or the other");
        }
        if (!params.containsKey(SENTINEL_MASTER) && (params.containsKey(SENTINEL_USER) || params.containsKey(SENTINEL_PASSWORD))) {
            throw new InvalidEndpointException("has Sentinel credentials but no Sentinel master (topology sentinel and masterName)");
        }
        return new RedisEndpoint(tls, host, port, user, password, db, params);
    }

    private static void checkMasterName(String name) {
        if (name == null || name.isBlank() || name.length() > 256 || !name.chars().allMatch(c -> c > ' ' && c < 127)) {
            throw new InvalidEndpointException("has a Sentinel master name that is empty, over 256 characters or not printable ASCII");
        }
    }

    private static String safeReason(URISyntaxException e) {
        // The URISyntaxException message repeats the input, which may hold the password.
        return e.getReason() + " at index " + e.getIndex();
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new InvalidEndpointException("has a malformed %-escape in its user or password");
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    public boolean tls() {
        return tls;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    /** The database index in the URI, or null when none was given. */
    public Integer db() {
        return db;
    }

    /** TLS certificate verification: true unless {@code verify=none}. */
    public boolean verifyPeer() {
        return !"none".equals(params.get("verify"));
    }

    /**
     * The TLS server name to present (SNI) and to find in the server's certificate instead of the URI's host, e.g. when
     * connecting by IP address or through a TLS proxy that routes by name; null: the URI's host.
     */
    public String sni() {
        return params.get("sni");
    }

    /** Path of a PEM CA bundle for TLS, or null for the JVM's trust store. */
    public String caFile() {
        return params.get("ca");
    }

    /** The CA certificates (PEM) to trust for TLS, given as content; null when none. */
    public String caPem() {
        String v = params.get(CA_PEM);
        return v == null ? null : decodeCaPem(v);
    }

    /** The same endpoint trusting the CA certificates in {@code pem} (checked: PEM X.509 certificates, at most 16 KiB). */
    public RedisEndpoint withCaPem(String pem) {
        if (!tls) {
            throw new InvalidEndpointException("is not rediss://: a CA is only used with TLS");
        }
        checkCaPem(pem);
        Map<String, String> p = new LinkedHashMap<>(params);
        p.remove("ca");
        p.put(CA_PEM, Base64.getUrlEncoder().withoutPadding().encodeToString(pem.strip().getBytes(StandardCharsets.UTF_8)));
        return new RedisEndpoint(tls, host, port, user, password, db, p);
    }

    private static String decodeCaPem(String v) {
        try {
            return new String(Base64.getUrlDecoder().decode(v), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new InvalidEndpointException("has a ca-pem parameter that is not base64url");
        }
    }

    private static void checkCaPem(String pem) {
        if (pem == null || pem.isBlank()) {
            throw new InvalidEndpointException("has an empty CA");
        }
        if (pem.length() > MAX_CA_PEM_CHARS) {
            throw new InvalidEndpointException("has a CA longer than " + MAX_CA_PEM_CHARS + " characters");
        }
        if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
            throw new InvalidEndpointException("has a CA that is not PEM (-----BEGIN CERTIFICATE-----…)");
        }
        try {
            if (CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8))).isEmpty()) {
                throw new InvalidEndpointException("has a CA without any certificate");
            }
        } catch (CertificateException e) {
            throw new InvalidEndpointException("has a CA that is not a valid PEM X.509 certificate");
        }
    }

    /** The first 8 hex digits of the SHA-256 of the CA PEM, for display. */
    private static String fingerprint(String encoded) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(decodeCaPem(encoded).getBytes(StandardCharsets.UTF_8)), 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The name of the master a Sentinel monitors when the URI names a Sentinel ({@code topology sentinel}); null otherwise. */
    public String sentinelMaster() {
        return params.get(SENTINEL_MASTER);
    }

    /**
     * The same URI naming a Sentinel that monitors {@code master}, logging in to the Sentinel with {@code sentinelUser} and
     * {@code sentinelPassword} (both may be null); the URI's own credentials are those of the master.
     */
    public RedisEndpoint viaSentinel(String master, String sentinelUser, String sentinelPassword) {
        checkMasterName(master);
        Map<String, String> p = new LinkedHashMap<>(params);
        p.put(SENTINEL_MASTER, master);
        p.remove(SENTINEL_USER);
        p.remove(SENTINEL_PASSWORD);
        if (sentinelUser != null && !sentinelUser.isEmpty()) {
            p.put(SENTINEL_USER, sentinelUser);
        }
        if (sentinelPassword != null && !sentinelPassword.isEmpty()) {
            p.put(SENTINEL_PASSWORD, sentinelPassword);
        }
        return new RedisEndpoint(tls, host, port, user, password, db, p);
    }

    /** Whether the URI names a node of a Redis Cluster whose every master is the source ({@code topology cluster}). */
    public boolean cluster() {
        return params.containsKey(CLUSTER);
    }

    /** The same URI naming the whole Redis Cluster that this node belongs to. */
    public RedisEndpoint asCluster() {
        Map<String, String> p = new LinkedHashMap<>(params);
        p.put(CLUSTER, "yes");
        return new RedisEndpoint(tls, host, port, user, password, db, p);
    }

    /** The Sentinel itself: this URI's host, port and TLS settings with the Sentinel's credentials, no master. */
    public RedisEndpoint sentinel() {
        Map<String, String> p = new LinkedHashMap<>(params);
        p.keySet().removeAll(java.util.Set.of(SENTINEL_MASTER, SENTINEL_USER, SENTINEL_PASSWORD));
        return new RedisEndpoint(tls, host, port, params.get(SENTINEL_USER), params.get(SENTINEL_PASSWORD), null, p);
    }

    /**
     * The master a Sentinel named, or one master of a Redis Cluster: {@code masterHost}:{@code masterPort} with this URI's
     * credentials, database and TLS settings (the TLS server name stays the URI's {@code sni} or, when none, the master's
     * address), one server: no Sentinel, no cluster.
     */
    public RedisEndpoint atMaster(String masterHost, int masterPort) {
        Map<String, String> p = new LinkedHashMap<>(params);
        p.keySet().removeAll(java.util.Set.of(SENTINEL_MASTER, SENTINEL_USER, SENTINEL_PASSWORD, CLUSTER));
        return new RedisEndpoint(tls, masterHost, masterPort, user, password, db, p);
    }

    /** host:port, for messages. */
    public String address() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** {@code user:password@} URL-encoded (empty without credentials): for a client's connection string only. */
    public String userInfo() {
        if (user == null && password == null) {
            return "";
        }
        return (user == null ? "" : encode(user)) + ":" + (password == null ? "" : encode(password)) + "@";
    }

    /** The same server, database and TLS settings, authenticating as another user. */
    public RedisEndpoint withCredentials(String newUser, String newPassword) {
        return new RedisEndpoint(tls, host, port, newUser, newPassword, db, params);
    }

    /** The full URI including the password: for sealing, never for logs or responses. */
    public String toUri() {
        return render(password == null ? null : password, false);
    }

    /** The URI with the password replaced by {@code ****}: safe for logs, events and responses. */
    public String masked() {
        return render(password == null ? null : "****", true);
    }

    private String render(String pw, boolean display) {
        StringBuilder sb = new StringBuilder(tls ? "rediss://" : "redis://");
        if (user != null || pw != null) {
            if (user != null) {
                sb.append(encode(user));
            }
            if (pw != null) {
                sb.append(':').append(pw.equals("****") ? pw : encode(pw));
            }
            sb.append('@');
        }
        sb.append(address());
        if (db != null) {
            sb.append('/').append(db);
        }
        if (!params.isEmpty()) {
            StringBuilder q = new StringBuilder();
            params.forEach((k, v) -> q.append(q.isEmpty() ? "?" : "&").append(k).append('=')
                    .append(k.equals(CA_PEM) && display ? "sha256:" + fingerprint(v) : k.equals(SENTINEL_PASSWORD) && display ? "****" : encode(v)));
            sb.append(q);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return masked();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RedisEndpoint other && toUri().equals(other.toUri());
    }

    @Override
    public int hashCode() {
        return toUri().hashCode();
    }
}
