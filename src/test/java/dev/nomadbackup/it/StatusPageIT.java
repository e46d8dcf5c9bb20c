package dev.nomadbackup.it;

import static dev.nomadbackup.testing.Waits.awaitPresent;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nomadbackup.testing.Jobs;
import dev.nomadbackup.testing.NomadAgent;
import dev.nomadbackup.testing.NomadAgentExtension;
import dev.nomadbackup.testing.OperatorRun;
import dev.nomadbackup.testing.StatusVariables;
import dev.nomadbackup.testing.TestNomad;
import java.io.File;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The status page as a person sees it, in Debian's headless Chromium: one row per protected job,
 * the same ones and the same health as {@code /status}, the failing one marked with Nomad's reason,
 * each linking to the backup job in Nomad's UI. Leaves a screenshot in target/screenshots/.
 */
@ExtendWith(NomadAgentExtension.class)
class StatusPageIT {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One row as the page or {@code /status} shows it. */
  private record Row(String namespace, String job, String health) {}

  @Test
  void showsEveryProtectedJobWithTheFailingOneMarkedAndItsReason(NomadAgent agent) throws Exception {
    assertTrue(Files.isExecutable(CHROMIUM), "install Debian's chromium (no " + CHROMIUM + ")");
    assertTrue(Files.isExecutable(CHROMEDRIVER), "install Debian's chromium-driver (no " + CHROMEDRIVER + ")");
    TestNomad nomad = agent.api();
    String good = Jobs.uniqueId("orders");
    String bad = Jobs.uniqueId("ledger");
    StatusVariables.write(nomad, "default", good,
        StatusVariables.succeeded("default", good, "@daily", Duration.ofHours(3)));
    try (OperatorRun run = OperatorRun.start(agent)) {
      nomad.run(Jobs.service(good, Jobs.optIn("@daily")));
      nomad.run(Jobs.service(bad, Jobs.optIn("@daily")));
      awaitPresent(() -> nomad.job("backup-" + bad));
      // no client on this agent: the run can never be placed, which the operator must report
      nomad.send("PUT", "/v1/job/" + enc("backup-" + bad) + "/periodic/force?namespace=default", null);
      int port = run.operator.httpPort().orElseThrow();
      JsonNode failing = awaitEntry(port, bad, "failing");
      String reason = failing.path("last_run").path("reason").asText();
      assertEquals("not placed", failing.path("last_run").path("outcome").asText(), failing.toString());
      assertTrue(reason.contains("no node"), "Nomad's reason on a client-less agent: " + reason);
      awaitEntry(port, good, "ok");

      WebDriver browser = chromium();
      try {
        browser.get("http://127.0.0.1:" + port + "/");
        new WebDriverWait(browser, Duration.ofSeconds(15))
            .until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("table#backups tbody")));
        assertEquals("Backups", browser.getTitle());

        // the page and /status agree row for row (read /status on both sides of the page, so a
        // status that changed in between is read again rather than reported as a difference)
        AtomicReference<List<Row>> shown = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
          List<Row> before = statusRows(port);
          browser.navigate().refresh();
          List<Row> page = pageRows(browser);
          List<Row> after = statusRows(port);
          assertEquals(before, after, "/status changed while the page loaded");
          assertEquals(after, page, "one row per entry of /status, same jobs, same health");
          shown.set(page);
        });
        assertTrue(shown.get().contains(new Row("default", good, "ok")), shown.get().toString());
        assertTrue(shown.get().contains(new Row("default", bad, "failing")), shown.get().toString());

        WebElement badRow = row(browser, bad);
        assertTrue(classes(badRow).contains("failing"), "marked by its class: " + badRow.getAttribute("class"));
        assertEquals("failing", badRow.findElement(By.cssSelector("td.health")).getText());
        assertEquals("not placed", badRow.findElement(By.cssSelector("td.last-result")).getText());
        WebElement detail = badRow.findElement(By.xpath("following-sibling::tr[1]"));
        assertTrue(classes(detail).contains("detail"), "the reason sits in the row below it");
        assertEquals(reason, detail.findElement(By.cssSelector("td.reason")).getText());

        WebElement goodRow = row(browser, good);
        assertTrue(classes(goodRow).contains("ok"), goodRow.getAttribute("class"));
        assertEquals("3 h ago", goodRow.findElement(By.cssSelector("td.last-success")).getText());
        assertTrue(goodRow.findElements(By.xpath("following-sibling::tr[1][contains(@class,'detail')]")).isEmpty(),
            "no reason row under a job that is fine");

        String nomadUi = agent.address().toString().replaceAll("/+$", "");
        assertEquals(nomadUi + "/ui/jobs/backup-" + bad + "@default",
            badRow.findElement(By.cssSelector("td.job a")).getAttribute("href"));
        assertEquals(bad, badRow.findElement(By.cssSelector("td.job a")).getText());
        assertEquals(nomadUi + "/ui/jobs/backup-" + good + "@default",
            goodRow.findElement(By.cssSelector("td.job a")).getAttribute("href"));

        screenshot(browser, "status-page.png");
      } finally {
        browser.quit();
      }
    } finally {
      for (JsonNode child : nomad.send("GET", "/v1/jobs?namespace=default&prefix=" + enc("backup-" + bad + "/"),
          null)) {
        nomad.purge("default", child.path("ID").asText());
      }
      nomad.purgeWithBackup("default", good);
      nomad.purgeWithBackup("default", bad);
      StatusVariables.delete(nomad, "default", good);
      StatusVariables.delete(nomad, "default", bad);
    }
  }

  /** Headless Chromium from Debian, driven by its own chromedriver: nothing is looked up or fetched. */
  private static WebDriver chromium() throws Exception {
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    Path profile = Files.createTempDirectory(Files.createDirectories(Path.of("target", "chromium")), "profile-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toString());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1280,720", "--user-data-dir=" + profile.toAbsolutePath());
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
        .usingAnyFreePort()
        .withLogFile(Path.of("target", "chromium", "chromedriver.log").toFile())
        .build();
    return new ChromeDriver(service, options);
  }

  private static WebElement row(WebDriver browser, String job) {
    return browser.findElement(By.cssSelector("table#backups tbody tr:not(.detail)[data-namespace='default'][data-job='"
        + job + "']"));
  }

  private static List<String> classes(WebElement e) {
    return List.of(e.getAttribute("class").trim().split("\\s+"));
  }

  private static List<Row> pageRows(WebDriver browser) {
    List<Row> rows = new ArrayList<>();
    for (WebElement tr : browser.findElements(By.cssSelector("table#backups tbody tr:not(.detail)"))) {
      String health = tr.findElement(By.cssSelector("td.health")).getText();
      assertTrue(classes(tr).contains(health), "a row's class names its health: " + tr.getAttribute("class"));
      rows.add(new Row(tr.getAttribute("data-namespace"), tr.getAttribute("data-job"), health));
    }
    return rows;
  }

  private static List<Row> statusRows(int port) throws Exception {
    List<Row> rows = new ArrayList<>();
    for (JsonNode s : status(port)) {
      rows.add(new Row(s.path("namespace").asText(), s.path("job").asText(), s.path("health").asText()));
    }
    return rows;
  }

  private static JsonNode awaitEntry(int port, String job, String health) {
    AtomicReference<JsonNode> found = new AtomicReference<>();
    await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
      JsonNode entry = null;
      for (JsonNode s : status(port)) {
        if (s.path("namespace").asText().equals("default") && s.path("job").asText().equals(job)) {
          entry = s;
        }
      }
      assertTrue(entry != null, job + " is not in /status");
      assertEquals(health, entry.path("health").asText(), entry.toString());
      found.set(entry);
    });
    return found.get();
  }

  private static JsonNode status(int port) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/status")).timeout(Duration.ofSeconds(5))
            .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  private static void screenshot(WebDriver browser, String name) throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "screenshots"));
    File shot = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
