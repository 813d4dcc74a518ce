package io.dfmigrate.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.Container;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every manifest of deploy/kubernetes, parsed strictly: core kinds with the fabric8 Kubernetes model (an unknown field
 * anywhere fails), the Strimzi, KEDA and Prometheus Operator kinds and the Kustomize files against the fields their
 * schemas define ({@link Schemas}), and no other kind. With {@code kubectl} on the machine every overlay is also
 * rendered and the result checked the same way, plus what production needs of every Deployment.
 */
class ManifestsTest {
    static final Path DIR = Path.of(System.getProperty("dfm.kubernetes.dir", ".")).toAbsolutePath().normalize();
    static final ObjectMapper YAML = new YAMLMapper();

    static List<Path> yamlFiles() throws IOException {
        try (Stream<Path> s = Files.walk(DIR)) {
            return s.filter(p -> p.toString().endsWith(".yaml") && !p.toString().contains("/target/") && !p.toString().contains("/src/"))
                    .sorted().toList();
        }
    }

    static List<JsonNode> documents(String yaml) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(yaml)) {
            var it = YAML.readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode n = it.next();
                if (n != null && !n.isNull() && !n.isMissingNode()) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    @Test
    void everyManifestFileIsStrictlyValid() throws Exception {
        List<Path> files = yamlFiles();
        assertTrue(files.size() >= 20, "manifests found under " + DIR + ": " + files);
        Map<String, Integer> kinds = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        for (Path f : files) {
            String name = DIR.relativize(f).toString();
            for (JsonNode doc : documents(Files.readString(f))) {
                try {
                    String kind = Schemas.check(doc, name);
                    kinds.merge(kind, 1, Integer::sum);
                } catch (Schemas.Invalid e) {
                    problems.add(name + ": " + e.getMessage());
                }
            }
        }
        assertEquals(List.of(), problems);
        // what the issue asks the manifests to hold
        for (String k : List.of("Namespace", "ServiceAccount", "Deployment", "Service", "ConfigMap", "Secret", "KafkaTopic", "KafkaUser",
                "ScaledObject", "PodDisruptionBudget", "NetworkPolicy", "ServiceMonitor", "Kustomization", "Component")) {
            assertTrue(kinds.containsKey(k), "a " + k + " among " + kinds);
        }
        assertEquals(6, kinds.get("KafkaTopic"), "one KafkaTopic per topic: " + kinds);
    }

    /** The checker refuses what it must: a misspelled field, a field in the wrong place, an unknown kind, a bad enum. */
    @Test
    void theCheckerRefusesUnknownFieldsAndKinds() throws Exception {
        String deployment = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: x}
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers:
                        - name: x
                          image: x
                          %s
                """;
        Schemas.check(documents(deployment.formatted("imagePullPolicy: Always")).get(0), "ok");
        Schemas.Invalid e = assertThrows(Schemas.Invalid.class,
                () -> Schemas.check(documents(deployment.formatted("imagePulPolicy: Always")).get(0), "typo"));
        assertTrue(e.getMessage().contains("imagePulPolicy"), e.getMessage());
        assertThrows(Schemas.Invalid.class, () -> Schemas.check(documents(deployment.formatted("livenessProbe: {httpGet: {path: /, port: 1, portt: 2}}"))
                .get(0), "nested"));
        assertThrows(Schemas.Invalid.class, () -> Schemas.check(documents("apiVersion: v1\nkind: Widget\nmetadata: {name: x}\n").get(0), "kind"));
        assertThrows(Schemas.Invalid.class, () -> Schemas.check(documents("apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: x}\n").get(0),
                "version"));
        assertThrows(Schemas.Invalid.class, () -> Schemas.check(documents("""
                apiVersion: kafka.strimzi.io/v1beta2
                kind: KafkaTopic
                metadata: {name: x}
                spec: {topicName: x, partitions: 3, replica: 3}
                """).get(0), "crd field"));
        assertThrows(Schemas.Invalid.class, () -> Schemas.check(documents("""
                apiVersion: kafka.strimzi.io/v1beta2
                kind: KafkaUser
                metadata: {name: x}
                spec:
                  authentication: {type: scram-sha-512}
                  authorization: {type: simple, acls: [{resource: {type: topic, name: t}, operations: [Reed]}]}
                """).get(0), "crd enum"));
        assertThrows(Schemas.Invalid.class, () -> Schemas.check(documents("""
                apiVersion: keda.sh/v1alpha1
                kind: ScaledObject
                metadata: {name: x}
                spec: {scaleTargetRef: {name: x}, maxReplicas: 3, triggers: [{type: kafka, metadata: {topic: t}}]}
                """).get(0), "keda"));
    }

    /** Each overlay rendered by kubectl kustomize (when it is installed): strictly valid, and production-ready pods. */
    @Test
    void everyOverlayRendersToValidManifestsWithHardenedPods() throws Exception {
        Path kubectl = Stream.of(System.getenv("PATH").split(":")).map(d -> Path.of(d, "kubectl")).filter(Files::isExecutable).findFirst()
                .orElse(null);
        if (kubectl == null) {
            System.out.println("ManifestsTest: kubectl not installed, overlays checked file by file only");
            return;
        }
        for (String overlay : List.of("production", "local")) {
            Path dir = DIR.resolve("overlays").resolve(overlay);
            Process p = new ProcessBuilder(kubectl.toString(), "kustomize", dir.toString()).redirectErrorStream(true).start();
            String rendered = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), overlay + ": " + rendered);
            List<HasMetadata> deployments = new ArrayList<>();
            for (JsonNode doc : documents(rendered)) {
                Schemas.check(doc, overlay);
                if (doc.path("kind").asText().equals("Deployment")) {
                    deployments.add(YAML.treeToValue(doc, Deployment.class));
                }
            }
            assertEquals(4, deployments.size(), overlay);
            for (HasMetadata h : deployments) {
                Deployment d = (Deployment) h;
                String n = overlay + " " + d.getMetadata().getName();
                var pod = d.getSpec().getTemplate().getSpec();
                assertTrue(pod.getSecurityContext().getRunAsNonRoot(), n);
                assertFalse(pod.getAutomountServiceAccountToken(), n);
                for (Container c : pod.getContainers()) {
                    assertFalse(c.getSecurityContext().getAllowPrivilegeEscalation(), n);
                    assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem(), n);
                    assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop(), n);
                    assertEquals("/q/health/live", c.getLivenessProbe().getHttpGet().getPath(), n);
                    assertEquals("/q/health/ready", c.getReadinessProbe().getHttpGet().getPath(), n);
                    assertEquals("/q/health/started", c.getStartupProbe().getHttpGet().getPath(), n);
                    if (!c.getName().equals("orchestrator")) {
                        // a worker's health and metrics are on its management interface, the only port it opens
                        String management = c.getEnv().stream().filter(e -> e.getName().equals("QUARKUS_MANAGEMENT_PORT"))
                                .findFirst().orElseThrow(() -> new AssertionError(n + ": no QUARKUS_MANAGEMENT_PORT")).getValue();
                        for (var probe : List.of(c.getLivenessProbe(), c.getReadinessProbe(), c.getStartupProbe())) {
                            assertEquals(management, probe.getHttpGet().getPort().getValue().toString(), n);
                        }
                        if (overlay.equals("production")) {
                            assertEquals(List.of("management:" + management),
                                    c.getPorts().stream().map(cp -> cp.getName() + ":" + cp.getContainerPort()).toList(), n);
                        }
                    }
                    assertTrue(c.getResources().getLimits().containsKey("memory"), n);
                    assertTrue(c.getVolumeMounts().stream().anyMatch(v -> v.getMountPath().equals("/tmp")), n + ": a writable /tmp");
                }
                if (overlay.equals("local")) {
                    assertTrue(pod.getHostNetwork(), n);
                    assertTrue(pod.getContainers().get(0).getImage().startsWith("localhost/dfmigrate/"), n);
                } else {
                    assertTrue(pod.getContainers().get(0).getEnv().stream().anyMatch(e -> e.getName().equals("KAFKA_SASL_JAAS_CONFIG")), n);
                }
            }
            if (overlay.equals("production")) {
                assertTrue(rendered.contains("namespace: dfmigrate"));
                // only the monitoring namespace reaches the workers' management ports; nothing else of theirs is open
                JsonNode scrape = documents(rendered).stream().filter(d -> d.at("/metadata/name").asText().equals("dfm-metrics-scrape"))
                        .findFirst().orElseThrow();
                assertEquals("monitoring", scrape.at("/spec/ingress/0/from/0/namespaceSelector/matchLabels/kubernetes.io~1metadata.name").asText());
                assertEquals(9081, scrape.at("/spec/ingress/0/ports/0/port").asInt());
                assertEquals(9083, scrape.at("/spec/ingress/0/ports/0/endPort").asInt());
                assertEquals(1, scrape.at("/spec/ingress").size());
                // the orchestrator's port is behind the ingress: nothing of it is open without a token, the scraper has its own
                JsonNode config = documents(rendered).stream().filter(d -> d.at("/metadata/name").asText().equals("dfmigrate-config")).findFirst().orElseThrow();
                assertFalse(config.at("/data/DFM_ORCHESTRATOR_PUBLIC_ENDPOINTS").asText().contains("metrics"), config.toString());
                documents(rendered).stream().filter(d -> d.path("kind").asText().equals("ServiceMonitor")).forEach(monitor -> {
                    for (JsonNode endpoint : monitor.at("/spec/endpoints")) {
                        if (endpoint.path("port").asText().equals("http")) {
                            assertEquals("DFM_ORCHESTRATOR_VIEWER_TOKEN", endpoint.at("/authorization/credentials/key").asText(), monitor.toString());
                        }
                    }
                });
            }
        }
    }
}
