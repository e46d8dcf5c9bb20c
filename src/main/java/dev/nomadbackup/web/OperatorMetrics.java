package dev.nomadbackup.web;

import dev.nomadbackup.controller.Outcome;
import dev.nomadbackup.controller.Telemetry;
import dev.nomadbackup.nomad.JobKey;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/** The operator's Prometheus metrics, fed through {@link Telemetry}. */
public final class OperatorMetrics implements Telemetry {
  // No exemplars: there are no traces to link them to, and sampling them starts a thread of its own.
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter events;
  private final Counter reconciles;
  private final Counter reconnects;
  private final Gauge lastIndex;
  private final Gauge managed;
  private final Gauge leader;
  private final Histogram duration;
  private final Map<String, Integer> managedByNamespace = new ConcurrentHashMap<>();

  public OperatorMetrics(IntSupplier queueDepth) {
    events = Counter.builder().withoutExemplars().name("nomad_backup_events_total")
        .help("Job events received from Nomad's event stream, by type").labelNames("type").register(registry);
    reconciles = Counter.builder().withoutExemplars().name("nomad_backup_reconciles_total")
        .help("Reconciles by outcome (created, updated, unchanged, removed, skipped, failed, ...)")
        .labelNames("outcome").register(registry);
    reconnects = Counter.builder().withoutExemplars().name("nomad_backup_stream_reconnects_total")
        .help("Times an event stream was lost and opened again").register(registry);
    lastIndex = Gauge.builder().withoutExemplars().name("nomad_backup_last_event_index")
        .help("Raft index of the last event batch handled").register(registry);
    managed = Gauge.builder().withoutExemplars().name("nomad_backup_managed_jobs")
        .help("Backup jobs the operator manages, as of the last listing and the writes since").register(registry);
    leader = Gauge.builder().withoutExemplars().name("nomad_backup_leader")
        .help("1 on the operator that holds the leader lock and acts, 0 on a standby").register(registry);
    duration = Histogram.builder().withoutExemplars().name("nomad_backup_reconcile_duration_seconds")
        .help("Time one reconcile took, Nomad calls included").register(registry);
    GaugeWithCallback.builder().name("nomad_backup_queue_depth")
        .help("Job keys waiting to be reconciled")
        .callback(cb -> cb.call(queueDepth.getAsInt())).register(registry);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  public void leading(boolean isLeader) {
    leader.set(isLeader ? 1 : 0);
  }

  @Override
  public void eventReceived(String type) {
    events.labelValues(type).inc();
  }

  @Override
  public void indexSeen(long index) {
    lastIndex.set(index);
  }

  @Override
  public void streamReconnecting() {
    reconnects.inc();
  }

  @Override
  public void reconciled(JobKey key, Optional<Outcome> outcome, long nanos) {
    String label = outcome.map(o -> o.name().toLowerCase(Locale.ROOT)).orElse("failed");
    reconciles.labelValues(label).inc();
    duration.observe(nanos / 1e9);
    outcome.ifPresent(o -> {
      if (o == Outcome.CREATED) {
        managed.inc();
      } else if (o == Outcome.REMOVED) {
        managed.dec();
      }
    });
  }

  @Override
  public void listed(String namespace, int managedBackups) {
    managedByNamespace.put(namespace, managedBackups);
    managed.set(managedByNamespace.values().stream().mapToInt(Integer::intValue).sum());
  }
}
