/**
 * What the backup runs did: following each run of an owned backup job ({@code RunTracker}),
 * keeping each protected job's status in a Nomad Variable of its own namespace ({@code
 * StatusBook}), and reading it out as JSON, a table and the {@code status} command. Imports {@code
 * config}, {@code nomad} and {@code backup} (for the {@code RunLedger} it implements).
 */
package dev.nomadbackup.status;
