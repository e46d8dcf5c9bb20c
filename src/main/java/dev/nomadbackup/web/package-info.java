/**
 * The HTTP endpoint: liveness, readiness, Prometheus metrics (fed through the controller's {@code
 * Telemetry} and from the backup statuses at each scrape), the status as JSON and the status page.
 * Imports {@code config}, {@code nomad}, {@code controller} and {@code status}.
 */
package dev.nomadbackup.web;
