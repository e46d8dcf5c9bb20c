/**
 * The HTTP endpoint: liveness, readiness and Prometheus metrics, fed through the controller's
 * {@code Telemetry}. Imports {@code config}, {@code nomad} and {@code controller}.
 */
package dev.nomadbackup.web;
