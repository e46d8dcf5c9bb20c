package dev.nomadbackup.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/** Collects the operator's log lines (level and message) while it is attached. */
public final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final List<Entry> entries = new CopyOnWriteArrayList<>();

  /** A captured line with when and on which thread it was logged. */
  public record Entry(Instant time, String thread, String level, String message) {
    /** {@code LEVEL message}, as {@link #lines()} has it. */
    public String line() {
      return level + " " + message;
    }
  }

  public static LogCapture attach() {
    LogCapture capture = new LogCapture();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    capture.setContext(root.getLoggerContext());
    capture.start();
    root.addAppender(capture);
    return capture;
  }

  @Override
  protected void append(ILoggingEvent event) {
    Entry entry = new Entry(Instant.ofEpochMilli(event.getTimeStamp()), event.getThreadName(),
        event.getLevel().toString(), event.getFormattedMessage());
    entries.add(entry);
    lines.add(entry.line());
  }

  /** Every line so far, with its time and thread. */
  public List<Entry> entries() {
    return List.copyOf(entries);
  }

  /** The lines so far that contain {@code fragment}, with their times. */
  public List<Entry> matching(String fragment) {
    return entries.stream().filter(e -> e.line().contains(fragment)).toList();
  }

  /** Every line so far, as {@code LEVEL message}. */
  public List<String> lines() {
    return List.copyOf(lines);
  }

  public boolean contains(String fragment) {
    return lines.stream().anyMatch(l -> l.contains(fragment));
  }

  public long count(String fragment) {
    return lines.stream().filter(l -> l.contains(fragment)).count();
  }

  @Override
  public void close() {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.detachAppender(this);
    stop();
  }
}
