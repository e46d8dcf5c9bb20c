package dev.nomadbackup.controller;

import dev.nomadbackup.nomad.JobKey;
import java.io.IOException;

/**
 * Makes the world match what one job asks for.
 *
 * <p>Implementations read the current state themselves and must be idempotent: they are called
 * for a key whenever something about it may have changed, any number of times, in any order with
 * other keys, and never concurrently for the same key. An {@link IOException} means "try again
 * later"; anything final is reported through the returned {@link Outcome}.
 */
public interface Reconciler {
  Outcome reconcile(JobKey key) throws IOException;
}
