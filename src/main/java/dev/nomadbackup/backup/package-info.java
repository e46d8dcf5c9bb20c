/**
 * What the operator keeps: the rules that turn a job's meta into settings, the ownership marks,
 * the key mapping, and the reconciler that writes and removes {@code backup-<id>}, {@code
 * restore-<id>} and their leftover runs. Imports {@code nomad}, {@code controller} (for the
 * interfaces it implements) and {@code backup.template}.
 */
package dev.nomadbackup.backup;
