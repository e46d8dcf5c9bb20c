package dev.nomadbackup.controller;

import dev.nomadbackup.nomad.JobList;

/**
 * A {@link KeyMapper} that also wants each full listing, before any of its keys is queued: a cache
 * of jobs learns from it which jobs exist and which are gone.
 */
public interface ListingListener {
  void listed(String namespace, JobList list);
}
