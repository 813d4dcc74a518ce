package io.dfmigrate.common.endpoint;

import java.nio.file.Path;
import java.nio.file.InvalidPathException;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where the services may connect ({@code DFM_ALLOWED_ENDPOINTS}): CIDRs ({@code 10.0.0.0/8}, {@code fd12::/16}) and host
 * patterns ({@code *.cache.amazonaws.com}, {@code redis-*.prod.svc}). An endpoint is allowed when its host name matches a
 * pattern, or when every address it resolves to lies in an allowed CIDR; link-local and cloud metadata addresses
 * ({@code 169.254.0.0/16}, {@code fe80::/10}, {@code fd00:ec2::254}) and unspecified ones are refused whatever the list
 * says, also for a name that matches a pattern. Checked at create and by every service before it connects, after DNS
 * resolution, so a name that later resolves elsewhere is caught.
 */
public final class EndpointPolicy {
    /** Loopback and private ranges: the local stack and in-cluster servers. */
    public static final String DEFAULT = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7";
    private static final List<Cidr> ALWAYS_REFUSED = List.of(Cidr.parse("169.254.0.0/16"), Cidr.parse("fe80::/10"),
            Cidr.parse("fd00:ec2::254/128"), Cidr.parse("0.0.0.0/32"), Cidr.parse("::/128"));
    /** The largest CA file read for an endpoint's {@code ?ca=}. */
    static final long MAX_CA_BYTES = 1 << 20;
    /** Where CA files named by {@code ?ca=} may be, unless {@code DFM_CA_DIR} says otherwise. */
    public static final Path DEFAULT_CA_DIRECTORY = Path.of("/etc/dfmigrate/ca");
    private static volatile EndpointPolicy current = parse(DEFAULT);

    private final String spec;
    private final List<Cidr> cidrs;
    private final List<Pattern> hosts;
    private final boolean insecureTls;
    private final Path caDirectory;

    private EndpointPolicy(String spec, List<Cidr> cidrs, List<Pattern> hosts, boolean insecureTls, Path caDirectory) {
        this.spec = spec;
        this.cidrs = cidrs;
        this.hosts = hosts;
        this.insecureTls = insecureTls;
        this.caDirectory = caDirectory;
    }

    /** This policy, allowing {@code rediss://…?verify=none} or not ({@code DFM_ALLOW_INSECURE_TLS}; refused by default). */
    public EndpointPolicy withInsecureTls(boolean allowed) {
        return new EndpointPolicy(spec, cidrs, hosts, allowed, caDirectory);
    }

    /** This policy, reading {@code ?ca=} files only from {@code directory} ({@code DFM_CA_DIR}). */
    public EndpointPolicy withCaDirectory(Path directory) {
        return new EndpointPolicy(spec, cidrs, hosts, insecureTls, directory);
    }

    /**
     * The PEM of an endpoint's {@code ?ca=} file: only a regular file inside the CA directory (links resolved first, so
     * none leads out of it), at most 1 MiB, that holds a PEM certificate. Anything else is refused with the reason: the
     * parameter must not become a way to make a worker read (or hang on) any file of its machine.
     */
    public String caFile(String path) {
        Path dir;
        Path file;
        try {
            dir = caDirectory.toRealPath();
            file = Path.of(path).toRealPath();
        } catch (IOException | InvalidPathException e) {
            throw new NotAllowedException("?ca=" + path + " is not a readable file in the CA directory " + caDirectory
                    + " (DFM_CA_DIR): put the CA there, or give it as the endpoint's caPem");
        }
        if (!file.startsWith(dir) || !Files.isRegularFile(file)) {
            throw new NotAllowedException("?ca=" + path + " is not a regular file in the CA directory " + caDirectory
                    + " (DFM_CA_DIR): put the CA there, or give it as the endpoint's caPem");
        }
        try {
            if (Files.size(file) > MAX_CA_BYTES) {
                throw new NotAllowedException("?ca=" + path + " is larger than " + MAX_CA_BYTES + " bytes: not a CA file");
            }
            String pem = Files.readString(file, StandardCharsets.US_ASCII);
            if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
                throw new NotAllowedException("?ca=" + path + " holds no PEM certificate");
            }
            return pem;
        } catch (IOException e) {
            throw new NotAllowedException("?ca=" + path + " cannot be read as a PEM file: " + e.getClass().getSimpleName());
        }
    }

    /** {@link #require(String)} for the endpoint's host, and TLS without certificate checks only when allowed. */
    public List<InetAddress> require(RedisEndpoint endpoint) {
        if (endpoint.tls() && !endpoint.verifyPeer() && !insecureTls) {
            throw new NotAllowedException(endpoint.address() + " has ?verify=none, which turns TLS certificate checks off: give the "
                    + "server's CA (caPem, or ?ca=…), or set DFM_ALLOW_INSECURE_TLS=true on every dfmigrate service (tests only)");
        }
        return require(endpoint.host());
    }

    /** A refused endpoint, with a message that names the host and why, never a password. */
    public static final class NotAllowedException extends RuntimeException {
        NotAllowedException(String message) {
            super(message);
        }
    }

    /** The policy of this service (set once at start from {@code DFM_ALLOWED_ENDPOINTS}; the default until then). */
    public static EndpointPolicy current() {
        return current;
    }

    public static void install(EndpointPolicy policy) {
        current = policy;
    }

    /** Parses a comma-separated list; an entry that is neither a CIDR nor a host pattern is an IllegalArgumentException. */
    public static EndpointPolicy parse(String spec) {
        List<Cidr> cidrs = new ArrayList<>();
        List<Pattern> hosts = new ArrayList<>();
        for (String raw : spec.split(",")) {
            String e = raw.strip().toLowerCase(Locale.ROOT);
            if (e.isEmpty()) {
                continue;
            }
            if (e.contains("/")) {
                cidrs.add(Cidr.parse(e));
            } else if (e.matches("[a-z0-9*.-]+")) {
                hosts.add(Pattern.compile(e.replace(".", "\\.").replace("*", "[a-z0-9-]*")));
            } else {
                throw new IllegalArgumentException("'" + raw.strip() + "' is neither a CIDR (10.0.0.0/8) nor a host pattern (*.example.com)");
            }
        }
        return new EndpointPolicy(spec, List.copyOf(cidrs), List.copyOf(hosts), false, DEFAULT_CA_DIRECTORY);
    }

    /** Resolves {@code host} and throws {@link NotAllowedException} unless the policy allows it; returns the addresses. */
    public List<InetAddress> require(String host) {
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new NotAllowedException(host + " does not resolve");
        }
        String name = host.toLowerCase(Locale.ROOT);
        boolean named = hosts.stream().anyMatch(p -> p.matcher(name).matches());
        for (InetAddress a : addresses) {
            if (ALWAYS_REFUSED.stream().anyMatch(c -> c.contains(a))) {
                throw new NotAllowedException(host + " resolves to " + a.getHostAddress()
                        + ", a link-local, cloud metadata or unspecified address, which dfmigrate never connects to");
            }
            if (!named && cidrs.stream().noneMatch(c -> c.contains(a))) {
                throw new NotAllowedException(host + (host.equals(a.getHostAddress()) ? "" : " (" + a.getHostAddress() + ")")
                        + " is not in DFM_ALLOWED_ENDPOINTS (" + spec + "): add its address range or host name there");
            }
        }
        return List.of(addresses);
    }

    @Override
    public String toString() {
        return spec;
    }

    /** An address range. */
    record Cidr(byte[] network, int bits) {
        static Cidr parse(String text) {
            int slash = text.indexOf('/');
            try {
                byte[] net = InetAddress.getByName(text.substring(0, slash)).getAddress();
                int bits = Integer.parseInt(text.substring(slash + 1));
                if (bits < 0 || bits > net.length * 8) {
                    throw new IllegalArgumentException("'" + text + "': the prefix length must be 0 to " + net.length * 8);
                }
                return new Cidr(net, bits);
            } catch (UnknownHostException | NumberFormatException | StringIndexOutOfBoundsException e) {
                throw new IllegalArgumentException("'" + text + "' is not a CIDR such as 10.0.0.0/8 or fd00::/8");
            }
        }

        boolean contains(InetAddress address) {
            byte[] a = address.getAddress();
            if (a.length != network.length) {
                return false;
            }
            for (int i = 0; i < bits; i++) {
                int mask = 0x80 >>> (i % 8);
                if ((a[i / 8] & mask) != (network[i / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }
}
