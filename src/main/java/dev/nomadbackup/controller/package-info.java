/**
 * The loop, knowing nothing of backups: sources (the listing, the event stream per namespace, the
 * namespace watch, the resync) feed the job cache and put keys on a work queue through a {@code
 * KeyMapper}; workers hand each key to a {@code Reconciler}; leader election decides whether any
 * of it runs. Imports {@code config} and {@code nomad}.
 */
package dev.nomadbackup.controller;
