/**
 * Configuration, read from the environment the way the {@code nomad} CLI reads it ({@code NOMAD_*})
 * and from the operator's own {@code OPERATOR_*} variables. Records that validate in their
 * constructors; a bad value is a {@code ConfigException} naming the variable. Imports nothing of
 * the project.
 */
package dev.nomadbackup.config;
