package dev.nomadbackup.backup.template;

/** Where in the HCL a placeholder stands, which decides how its value is written. */
enum Context {
  /** Inside a double-quoted string. */
  QUOTED,
  /** Inside the body of a {@code <<EOF} or {@code <<-EOF} heredoc. */
  HEREDOC,
  /** Outside any string: only a whole list literal may go there. */
  CODE
}
