/**
 * The {@code [[ ]]} template engine and the catalog of kinds (a backup template and a restore
 * template each). Parsing decides from the HCL around each placeholder how its value is escaped,
 * so no value can change a rendered job's structure. Imports nothing of the project.
 */
package dev.nomadbackup.backup.template;
