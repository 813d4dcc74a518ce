package io.dfmigrate.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dfmigrate.localstack.LocalStack;
import io.dfmigrate.localstack.RedisServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in a real browser (Debian's chromium, headless, driven by its chromedriver) against the whole stack
 * and real redis-servers, as an operator uses it: sign in, create with a wrong password, read the check's remediation,
 * fix it, start with acknowledged warnings while a writer runs, complete with cutover; and the stop, keep replicating,
 * start over and stop replication paths. Screenshots of each step go to {@code target/console-screenshots}.
 */
class ConsoleTest {
    static final Duration LONG = Duration.ofSeconds(180);
    static LocalStack stack;
    static Api api;
    static ChromeDriver browser;
    static Path shots;
    static Path profile;

    @RegisterExtension
    static final E2eStack STACK = E2eStack.of(Map.of());

    @BeforeAll
    static void start() throws IOException {
        stack = STACK.stack();
        api = STACK.api();
        shots = Files.createDirectories(Path.of("target", "console-screenshots"));
        profile = Files.createTempDirectory("dfm-chromium");
        browser = browser(profile);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
    }

    /** Debian's chromium through its chromedriver; nothing downloaded, no network beyond this machine's loopback. */
    static ChromeDriver browser(Path profile) {
        for (String file : List.of("/usr/bin/chromium", "/usr/bin/chromedriver")) {
            assertTrue(Files.isExecutable(Path.of(file)), file + " is missing: apt-get install chromium chromium-driver "
                    + "(deploy/local/prereqs.sh installs them when run as root)");
        }
        ChromeOptions options = new ChromeOptions().setBinary("/usr/bin/chromium").addArguments("--headless=new", "--no-sandbox",
                "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,800", "--user-data-dir=" + profile);
        options.setExperimentalOption("prefs", Map.of("download.default_directory", profile.resolve("downloads").toString(),
                "download.prompt_for_download", false));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile())
                .usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60)).scriptTimeout(Duration.ofSeconds(30));
        return driver;
    }

    @Test
    void anOperatorMigratesInTheBrowserFromAWrongPasswordToACompletedCutover() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("ACL", "SETUSER", "app", "on", ">right-pass", "~*", "&*", "+@all");
            source.cli("DEBUG", "POPULATE", "30000", "key", "64");
            source.cli("EVAL", "for i=1,2000 do redis.call('HSET','h:'..i,'a',i) redis.call('PEXPIRE','h:'..i,3600000) "
                    + "redis.call('ZADD','z:'..i,i,'m') end", "0");
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");

            browser.manage().window().setSize(new Dimension(1280, 800));
            // signed out, whichever test of this class ran before (the token lives in the session's storage)
            browser.get(stack.orchestratorUrl() + "/console/");
            js("sessionStorage.clear()");
            browser.get(stack.orchestratorUrl() + "/");
            waitFor(d -> d.getCurrentUrl().endsWith("#/sign-in") && present("token"));
            shot("01-sign-in");
            type("token", "not-the-token-0123456789");
            find("token").sendKeys(Keys.ENTER); // the keyboard signs in
            waitFor(d -> find("token-error").getText().contains("not accepted"));
            type("token", stack.apiToken());
            click("sign-in-button");
            waitFor(d -> present("migrations"));

            click(By.linkText("New migration"));
            waitFor(d -> present("migration-form"));
            type("name", "orders-cache");
            fillEndpoint("source", source.port(), "app", "wrong-pass");
            fillEndpoint("target", source.port(), "", ""); // the same server: the API names target.uri
            click("save");
            waitFor(d -> errorOf("target"));
            String targetError = retrying(() -> errorOf("target").getText());
            assertTrue(targetError.contains("same server as the source"), targetError);
            shot("02-field-error-from-the-api");
            fillEndpoint("target", target.port(), "", "");
            // a Sentinel-managed source needs the master's name; the API's field error lands next to the source
            new org.openqa.selenium.support.ui.Select(find("source-topology")).selectByValue("sentinel");
            click("save");
            waitFor(d -> errorOf("source") != null && errorOf("source").getText().contains("source.masterName"));
            new org.openqa.selenium.support.ui.Select(find("source-topology")).selectByValue("standalone");
            click("save");
            waitFor(d -> d.getCurrentUrl().contains("#/m/") && present("migration-state"));
            String id = browser.getCurrentUrl().replaceAll(".*#/m/", "");
            assertEquals("CREATED", state());
            assertFalse(browser.getPageSource().contains("wrong-pass"), "the password never comes back");

            confirm("action-validate");
            waitFor(d -> state().equals("VALIDATION_FAILED"));
            waitFor(d -> browser.findElement(By.cssSelector("#validation li.check-error .remediation")));
            String remediation = retrying(() -> browser.findElement(By.cssSelector("#validation li.check-error .remediation")).getText());
            assertTrue(remediation.contains("user or password in the source URI is wrong"), remediation);
            scrollTo("validation");
            shot("03-validation-failed-with-remediation");

            click("action-edit");
            waitFor(d -> present("migration-form") && present("source-password"));
            assertEquals("app", retrying(() -> find("source-user").getDomProperty("value")));
            type("source-password", "right-pass");
            click("save");
            waitFor(d -> present("action-validate") && find("action-validate").getText().equals("Run check"));
            confirm("action-validate");
            waitFor(d -> state().equals("VALIDATED"));
            waitFor(d -> browser.findElement(By.cssSelector("#validation li[data-check='not-migrated.acl']")));
            String warningText = retrying(() -> browser.findElement(By.cssSelector("#validation li[data-check='not-migrated.acl']")).getText());
            assertTrue(warningText.contains("WARNING") && warningText.contains("app"), warningText);
            assertEquals("Run check again", text("action-validate"));
            shot("04-validated-with-warnings");

            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong writes = new AtomicLong();
            Thread writer = writer(source, writing, writes);
            click("action-start");
            waitFor(d -> find("confirm").isDisplayed());
            assertFalse(retrying(() -> find("confirm-ok").isEnabled()), "starting over warnings needs the acknowledgement");
            click("acknowledge-warnings");
            shot("05-start-acknowledging-warnings");
            click("confirm-ok");
            waitFor(d -> List.of("COPYING", "REPLICATING").contains(state()));
            shot("06-copying");
            waitFor(d -> state().equals("REPLICATING"));
            // the live chart draws from the event stream: a few samples while the writer runs
            waitFor(d -> browser.findElements(By.cssSelector("#lag-chart polyline")).size() == 2
                    && Integer.parseInt(find("lag-chart").getDomAttribute("data-samples")) >= 8
                    && !text("applied").equals("0"));
            long copied = Long.parseLong(text("keys-copied").split(" ")[0].replace(",", ""));
            assertTrue(copied >= 30_000, text("keys-copied"));
            assertEquals("Copy by scan: options.copyMode is 'scan'", text("copy-mode"), "the copy the copier took, and why");
            assertTrue(retrying(() -> browser.findElement(By.cssSelector("#timeline li[data-phase=replicating]")).getDomAttribute("class")).contains("current"));
            scrollTo("replication");
            shot("07-replicating-live");

            // a phone-sized screen: nothing wider than the screen
            browser.executeCdpCommand("Emulation.setDeviceMetricsOverride",
                    Map.of("width", 390, "height", 844, "deviceScaleFactor", 1, "mobile", true));
            waitFor(d -> ((Number) js("return window.innerWidth")).intValue() <= 400);
            long overflow = ((Number) js("return document.documentElement.scrollWidth - window.innerWidth")).longValue();
            assertTrue(overflow <= 1, "the page is " + overflow + " px wider than a phone's screen");
            shot("08-phone");
            browser.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());

            // Escape closes the confirmation without acting
            click("action-stop");
            waitFor(d -> find("confirm").isDisplayed());
            assertTrue(text("confirm-body").contains("data already copied stays"), text("confirm-body"));
            find("confirm-cancel").sendKeys(Keys.ESCAPE);
            waitFor(d -> !find("confirm").isDisplayed());
            assertEquals("REPLICATING", state());

            writing.set(false);
            writer.join();
            api.await(id, m -> m.at("/replication/pendingChanges").asLong(-1) == 0, LONG);
            confirm("action-cutover");
            waitFor(d -> state().equals("COMPLETED"));
            waitFor(d -> present("cutover-pause") && !text("cutover-pause").equals("–"));
            assertTrue(text("cutover-state").equals("DONE"), text("cutover-state"));
            waitFor(d -> browser.findElements(By.cssSelector("#audit-entries tr[data-action=cutover-requested]")).size() == 1);
            String audit = text("audit-entries");
            assertTrue(audit.contains("operator") && audit.contains("REPLICATING → COMPLETED"), audit);
            assertTrue(retrying(() -> browser.findElement(By.cssSelector("#timeline li[data-phase=completed]")).getDomAttribute("class")).contains("done"));
            scrollTo("cutover");
            shot("09-completed-after-cutover");
            assertTrue(writes.get() > 0);
            source.cli("--scan");
            target.cli("--scan");
            assertEquals(source.cli("DBSIZE"), target.cli("DBSIZE"));
            assertEquals(source.cli("DEBUG", "DIGEST"), target.cli("DEBUG", "DIGEST"), "what the console migrated is what the source holds");

            click(By.linkText("Migrations"));
            waitFor(d -> browser.findElements(By.cssSelector("#migrations tr[data-id='" + id + "']")).size() == 1);
            new org.openqa.selenium.support.ui.Select(find("state-filter")).selectByValue("COMPLETED");
            waitFor(d -> browser.getCurrentUrl().endsWith("?state=COMPLETED") && text("migration-count").contains("in COMPLETED"));
            assertTrue(text("migrations").contains("orders-cache"));
            shot("10-list-filtered");
        }
    }

    @Test
    void stopKeepReplicatingStartOverAndStopReplicationFromTheConsole() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("DEBUG", "POPULATE", "5000", "k", "16");
            source.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
            signedIn();
            browser.get(stack.orchestratorUrl() + "/console/#/new");
            waitFor(d -> present("migration-form"));
            type("name", "sessions");
            fillEndpoint("source", source.port(), "", "");
            fillEndpoint("target", target.port(), "", "");
            find("opt-guardTarget").click(); // off: options show their defaults
            find("opt-overwrite").click(); // on: starting over copies onto what the first run copied
            click("save");
            waitFor(d -> d.getCurrentUrl().contains("#/m/") && present("migration-state"));
            String id = browser.getCurrentUrl().replaceAll(".*#/m/", "");
            assertEquals("false", api.get("/api/migrations/" + id).json().at("/options/guardTarget").asText());
            assertEquals("true", api.get("/api/migrations/" + id).json().at("/options/overwrite").asText());

            validateAndStart();
            waitFor(d -> state().equals("REPLICATING"));
            confirm("action-keep-replicating");
            waitFor(d -> browser.findElements(By.cssSelector("#audit-entries tr[data-action=keep-replicating]")).size() == 1);
            assertEquals("REPLICATING", state());
            shot("11-keep-replicating");

            // the guard is off: 150 values changed on the target, differences the verification must find and list
            target.cli("EVAL", "for i=100,249 do redis.call('SET','k:'..i,'changed-on-the-target') end", "0");
            confirm("action-verify");
            waitFor(d -> present("verification-state") && text("verification-state").equals("DONE"));
            assertEquals("150", text("verification-differing"), text("verification"));
            assertEquals("100", retrying(() -> find("differences").getDomAttribute("data-rows")), "the first page");
            scrollTo("verification");
            shot("12-verify-differences");
            click("more-differences");
            waitFor(d -> "150".equals(find("differences").getDomAttribute("data-rows")));
            assertFalse(present("more-differences"), "every listed key is shown");
            assertTrue(text("differences").contains("k:249") && text("differences").contains("k:100"), text("differences"));

            confirm("action-stop");
            waitFor(d -> state().equals("STOPPED"));
            assertTrue(retrying(() -> browser.findElement(By.cssSelector("#timeline li[data-phase=stopped]")).isDisplayed()));
            assertEquals(source.cli("DBSIZE"), target.cli("DBSIZE"), "the data already copied stays");
            shot("13-stopped");

            confirm("action-restart");
            waitFor(d -> state().equals("VALIDATED") || state().equals("VALIDATION_FAILED"));
            assertEquals("VALIDATED", state(), text("validation"));
            assertTrue(browser.getPageSource().contains("Run 2"));
            source.cli("SET", "after-restart", "1");
            startWithAcknowledgement();
            waitFor(d -> state().equals("REPLICATING"));
            confirm("action-stop-replication");
            waitFor(d -> state().equals("COMPLETED"));
            assertEquals("1", target.cli("GET", "after-restart"));
            waitFor(d -> browser.findElements(By.cssSelector("#audit-entries tr[data-action=restart]")).size() == 1);
            shot("14-stopped-replication");
        }
    }

    /**
     * {@code options.migrateUsers} into a target that takes no password hash (here a Redis 7.0 with targetProfile
     * dragonfly): the operator gives a user's password and downloads the ACL file in the console, and after the cutover
     * the console shows what was handed over; the user logs in on the target with its own password.
     */
    @Test
    void passwordsTheAclFileAndTheHandoverInTheConsole() throws Exception {
        try (RedisServer source = RedisServer.start(); RedisServer target = RedisServer.start()) {
            source.cli("ACL", "SETUSER", "app", "on", ">app-pass", "~*", "+@all", "-@dangerous");
            source.cli("SET", "k", "v");
            String id = api.create("users-to-dragonfly", source.uri(), target.uri(),
                    "{\"migrateUsers\":true,\"targetProfile\":\"dragonfly\",\"configureSourceNotifications\":true}");
            signedIn();
            browser.get(stack.orchestratorUrl() + "/console/#/m/" + id);
            waitFor(d -> present("handover") && text("passwords-given").contains("No password given"));
            assertTrue(text("handover-results").contains("Handed over when the cutover lifts the target guard"), text("handover-results"));
            browser.findElement(By.cssSelector("#password-rows .pw-user")).sendKeys("app");
            browser.findElement(By.cssSelector("#password-rows .pw-pass")).sendKeys("app-pass");
            click("password-give");
            waitFor(d -> text("passwords-given").contains("Passwords given for: app"));
            assertFalse(browser.getPageSource().contains("app-pass"), "the password is not kept in the page");
            scrollTo("handover");
            shot("15-user-passwords");

            click("acl-file");
            Path file = profile.resolve("downloads").resolve("users.acl");
            waitFor(d -> Files.isRegularFile(file) && file.toFile().length() > 0);
            String acl = Files.readString(file);
            assertTrue(acl.startsWith("user app on #") && !acl.contains("user default"), acl);
            waitFor(d -> browser.findElements(By.cssSelector("#audit-entries tr[data-action=acl-file]")).size() == 1);

            validateAndStart();
            waitFor(d -> state().equals("REPLICATING"));
            confirm("action-cutover");
            waitFor(d -> state().equals("COMPLETED"));
            waitFor(d -> browser.findElements(By.cssSelector("#handover-results li[data-action=users-migrated]")).size() == 1);
            assertTrue(text("handover-results").contains("app"), text("handover-results"));
            assertFalse(find("passwords-form").isDisplayed(), "no password is taken after the cutover");
            scrollTo("handover");
            shot("16-handover-after-cutover");
            assertEquals("v", target.cli("--user", "app", "--pass", "app-pass", "--no-auth-warning", "GET", "k"));
        }
    }

    /* ---------- helpers ---------- */

    void signedIn() {
        browser.get(stack.orchestratorUrl() + "/console/");
        waitFor(d -> present("migrations") || present("token"));
        if (present("token")) {
            type("token", stack.apiToken());
            click("sign-in-button");
            waitFor(d -> present("migrations"));
        }
    }

    void validateAndStart() {
        confirm("action-validate");
        waitFor(d -> state().equals("VALIDATED") || state().equals("VALIDATION_FAILED"));
        assertEquals("VALIDATED", state(), text("validation"));
        startWithAcknowledgement();
    }

    /** Starts, acknowledging warnings when the check left some. */
    void startWithAcknowledgement() {
        click("action-start");
        waitFor(d -> find("confirm").isDisplayed());
        if (present("acknowledge-warnings")) {
            click("acknowledge-warnings");
        }
        click("confirm-ok");
        waitFor(d -> !state().equals("VALIDATED"));
    }

    /** Clicks an action and confirms it in the dialog that says what will happen. */
    void confirm(String button) {
        click(button);
        waitFor(d -> find("confirm").isDisplayed());
        assertFalse(text("confirm-body").isBlank());
        click("confirm-ok");
        waitFor(d -> !find("confirm").isDisplayed());
    }

    void fillEndpoint(String role, int port, String user, String password) {
        type(role + "-host", "127.0.0.1");
        type(role + "-port", Integer.toString(port));
        type(role + "-user", user);
        type(role + "-password", password);
    }

    WebElement errorOf(String field) {
        WebElement e = browser.findElement(By.cssSelector("[data-error='" + field + "']"));
        return e.getText().isBlank() ? null : e;
    }

    static Thread writer(RedisServer source, AtomicBoolean writing, AtomicLong writes) {
        return Thread.ofVirtual().start(() -> {
            for (int i = 0; writing.get(); i++) {
                source.cli("EVAL", "for j=1,50 do redis.call('SET','live:'..ARGV[1]..':'..j,j) redis.call('INCR','counter') end "
                        + "redis.call('HSET','h:1','w',ARGV[1]) redis.call('DEL','key:'..ARGV[1])", "0", Integer.toString(i));
                writes.addAndGet(52);
                E2e.sleep(20);
            }
        });
    }

    String state() {
        return retrying(() -> browser.findElement(By.cssSelector("#migration-state .badge")).getDomAttribute("data-state"));
    }

    String text(String id) {
        return retrying(() -> find(id).getText());
    }

    static WebElement find(String id) {
        return browser.findElement(By.id(id));
    }

    static boolean present(String id) {
        return !browser.findElements(By.id(id)).isEmpty();
    }

    void type(String id, String value) {
        retrying(() -> {
            WebElement e = find(id);
            e.clear();
            e.sendKeys(value);
            return null;
        });
    }

    void click(String id) {
        click(By.id(id));
    }

    void click(By by) {
        waitFor(d -> retrying(() -> {
            WebElement e = d.findElement(by);
            if (!e.isDisplayed() || !e.isEnabled()) {
                return false;
            }
            e.click();
            return true;
        }));
    }

    void scrollTo(String id) {
        retrying(() -> ((JavascriptExecutor) browser).executeScript("arguments[0].scrollIntoView({block: 'start'})", find(id)));
    }

    Object js(String script) {
        return ((JavascriptExecutor) browser).executeScript(script);
    }

    /** The page re-renders on every live update: an element found a moment ago may be gone; look again. */
    static <T> T retrying(java.util.function.Supplier<T> action) {
        for (int i = 0; ; i++) {
            try {
                return action.get();
            } catch (StaleElementReferenceException e) {
                if (i >= 20) {
                    throw e;
                }
            }
        }
    }

    <T> T waitFor(Function<WebDriver, T> condition) {
        try {
            return new WebDriverWait(browser, LONG, Duration.ofMillis(200)).ignoring(StaleElementReferenceException.class)
                    .ignoring(org.openqa.selenium.NoSuchElementException.class).until(condition);
        } catch (RuntimeException e) {
            shot("failed-" + System.currentTimeMillis());
            throw e;
        }
    }

    void shot(String name) {
        try {
            Path png = browser.getScreenshotAs(OutputType.FILE).toPath();
            Files.move(png, shots.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
