package dev.nomadbackup.status;

import dev.nomadbackup.config.ConfigException;
import dev.nomadbackup.config.NomadConfig;
import dev.nomadbackup.nomad.Failures;
import dev.nomadbackup.nomad.NomadClient;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code java -jar nomad-backup-operator.jar status [namespace/job]}: the backup status of every
 * protected job (or one), read straight from the Nomad Variables the operator keeps, so it works
 * with no operator running. Exits 0 when every backup is fine, 1 when any is failing or stale (or
 * the one asked for has no status), 2 for bad usage or settings, 3 when Nomad cannot be read.
 */
public final class StatusCommand {
  public static final int FINE = 0;
  public static final int BAD_BACKUPS = 1;
  public static final int USAGE = 2;
  public static final int UNREADABLE = 3;

  private StatusCommand() {}

  public static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err, Clock clock) {
    if (args.size() > 1 || (args.size() == 1 && args.get(0).startsWith("-"))) {
      err.println("usage: status [namespace/job | job]");
      return USAGE;
    }
    NomadConfig config;
    try {
      config = NomadConfig.fromEnvironment(env);
    } catch (ConfigException e) {
      err.println("Bad configuration: " + e.getMessage());
      return USAGE;
    }
    List<BackupStatus> statuses;
    try (NomadClient nomad = NomadClient.create(config, 2)) {
      statuses = StatusBook.readAll(nomad);
    } catch (ConfigException e) {
      err.println("Bad configuration: " + e.getMessage());
      return USAGE;
    } catch (IOException e) {
      err.println("Cannot read the backup statuses from Nomad at " + config.location() + ": " + Failures.describe(e));
      return UNREADABLE;
    }
    if (args.size() == 1) {
      String wanted = args.get(0);
      statuses = statuses.stream().filter(s -> wanted.equals(s.namespace() + "/" + s.job())
          || (wanted.indexOf('/') < 0 && "default".equals(s.namespace()) && wanted.equals(s.job()))).toList();
      if (statuses.isEmpty()) {
        err.println("No backup status for " + wanted + ": the job is not protected, or the operator has not seen it");
        return BAD_BACKUPS;
      }
    }
    Instant now = clock.instant();
    out.print(statuses.isEmpty() ? "No protected jobs.\n" : StatusReport.table(statuses, now));
    return statuses.stream().anyMatch(s -> StatusReport.health(s, now).bad()) ? BAD_BACKUPS : FINE;
  }
}
