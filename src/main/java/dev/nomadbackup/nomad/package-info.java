/**
 * Talking to Nomad: the HTTP client ({@code NomadClient}, on nomad-sdk where it fits and plain
 * HTTP beside it), the event stream parser, the values read from Nomad ({@code NomadJob}, {@code
 * JobKey}, {@code JobList}, {@code JobEvent}), the job cache, the lock client, and the two narrow
 * views that the layers above use and fake in tests ({@code JobSource}, {@code JobStore}). Client
 * classes throw with context and never log. Imports only {@code config}.
 */
package dev.nomadbackup.nomad;
