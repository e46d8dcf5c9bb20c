package dev.nomadbackup.nomad;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/** A JSON answer with Nomad's {@code X-Nomad-Index} and, on paged lists, {@code X-Nomad-NextToken}. */
record NomadResponse(JsonNode body, long index, Optional<String> nextToken) {}
