package io.dfmigrate.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private CA and two certificates it signs, made once with the JDK's {@code keytool} into {@code dir} (mode 700):
 * the Kafka broker's (for 127.0.0.1 and localhost) and the one every dfmigrate service presents as a client. Stores
 * are PKCS12 with one generated password ({@code dir/password}, mode 600). For the local stack's mutual-TLS broker
 * ({@code DFM_KAFKA_TLS=mtls}); in a cluster Strimzi's cluster and clients CAs take this part.
 */
public record LocalCertificates(Path dir, String password) {
    public Path truststore() {
        return dir.resolve("truststore.p12");
    }

    public Path brokerKeystore() {
        return dir.resolve("broker.p12");
    }

    public Path clientKeystore() {
        return dir.resolve("client.p12");
    }

    /** The stores in {@code dir}, made now unless they were made before. */
    public static LocalCertificates in(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            Path passwordFile = dir.resolve("password");
            if (!Files.exists(passwordFile)) {
                Files.createFile(passwordFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(passwordFile, LocalStack.newApiToken());
            }
            LocalCertificates c = new LocalCertificates(dir, Files.readString(passwordFile).strip());
            if (!Files.exists(c.clientKeystore())) {
                c.make();
            }
            return c;
        } catch (IOException e) {
            throw new StackException("cannot make the local certificates in " + dir + ": " + e.getMessage(), e);
        }
    }

    private void make() throws IOException {
        Path ca = dir.resolve("ca.p12");
        Path caPem = dir.resolve("ca.pem");
        for (Path p : List.of(ca, caPem, truststore(), brokerKeystore(), clientKeystore())) {
            Files.deleteIfExists(p);
        }
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=dfmigrate local CA",
                "-ext", "bc:c", "-validity", "3650", "-keystore", ca.toString());
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-file", caPem.toString());
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", truststore().toString());
        signed(ca, caPem, brokerKeystore(), "CN=localhost", "san=ip:127.0.0.1,dns:localhost");
        signed(ca, caPem, clientKeystore(), "CN=dfmigrate", null);
    }

    /** A key pair in {@code store} whose certificate the CA signs, stored with the CA's certificate as its chain. */
    private void signed(Path ca, Path caPem, Path store, String dname, String san) throws IOException {
        Path csr = dir.resolve("request.csr");
        Path pem = dir.resolve("signed.pem");
        keytool("-genkeypair", "-alias", "key", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", dname, "-validity", "3650",
                "-keystore", store.toString());
        keytool("-certreq", "-alias", "key", "-keystore", store.toString(), "-file", csr.toString());
        List<String> sign = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-validity", "3650",
                "-infile", csr.toString(), "-outfile", pem.toString()));
        if (san != null) {
            sign.addAll(List.of("-ext", san));
        }
        keytool(sign.toArray(String[]::new));
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", store.toString());
        keytool("-importcert", "-noprompt", "-alias", "key", "-file", pem.toString(), "-keystore", store.toString());
        Files.delete(csr);
        Files.delete(pem);
    }

    /** Runs keytool with the store password in its environment (not on a command line others can read). */
    private void keytool(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(KafkaBroker.javaExecutable()).resolveSibling("keytool").toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-storetype", "PKCS12", "-storepass:env", "DFM_STORE_PASSWORD"));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("DFM_STORE_PASSWORD", password);
            Process p = pb.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new StackException("keytool " + args[0] + " failed: " + out.strip());
            }
        } catch (IOException e) {
            throw new StackException("keytool could not run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("keytool interrupted");
        }
    }
}
