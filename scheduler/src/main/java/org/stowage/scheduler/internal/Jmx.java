package org.stowage.scheduler.internal;

import java.lang.System.Logger.Level;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.function.Supplier;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import javax.management.openmbean.ArrayType;
import javax.management.openmbean.CompositeDataSupport;
import javax.management.openmbean.CompositeType;
import javax.management.openmbean.OpenDataException;
import javax.management.openmbean.OpenType;
import javax.management.openmbean.SimpleType;
import javax.management.openmbean.TabularData;
import javax.management.openmbean.TabularDataSupport;
import javax.management.openmbean.TabularType;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.Resources;
import org.stowage.scheduler.SchedulerMXBean;
import org.stowage.scheduler.SchedulerStats;
import org.stowage.scheduler.SchedulerStats.AllocStats;
import org.stowage.scheduler.SchedulerStats.Counts;
import org.stowage.scheduler.SchedulerStats.TaskStats;

/**
 * Exports a scheduler's stats as an MXBean under {@code org.stowage:type=Scheduler,name=<name>},
 * building the open types by hand so that a client needs none of Stowage's classes. Not API.
 *
 * <p>Thread-safety: thread-safe; each read takes a fresh snapshot.
 */
public final class Jmx implements SchedulerMXBean {

  private static final System.Logger LOG = System.getLogger(Jmx.class.getName());
  private static final TabularType RESOURCES;
  private static final CompositeType ALLOC;
  private static final TabularType ALLOCS;
  private static final CompositeType TASK;
  private static final TabularType TASKS;
  private static final String[] TASK_ITEMS = {"key", "name", "id", "attempt", "state",
      "resources", "alloc", "waiting", "errorKind", "error", "secondsInState"};

  static {
    try {
      CompositeType amount = new CompositeType("Amount", "one resource",
          new String[] {"resource", "amount"}, new String[] {"resource name", "amount"},
          new OpenType<?>[] {SimpleType.STRING, SimpleType.DOUBLE});
      RESOURCES = new TabularType("Resources", "amounts by resource", amount,
          new String[] {"resource"});
      ALLOC = new CompositeType("Alloc", "one alloc",
          new String[] {"id", "state", "capacity", "free", "tasks", "ageSeconds", "idleSeconds"},
          new String[] {"alloc id", "LIVE, DEAD or FREED", "capacity", "free room",
              "attempt ids placed on it", "seconds since it came up",
              "seconds it has run nothing"},
          new OpenType<?>[] {SimpleType.STRING, SimpleType.STRING, RESOURCES, RESOURCES,
              new ArrayType<String[]>(1, SimpleType.STRING), SimpleType.DOUBLE,
              SimpleType.DOUBLE});
      ALLOCS = new TabularType("Allocs", "allocs by id", ALLOC, new String[] {"id"});
      TASK = new CompositeType("Task", "one task", TASK_ITEMS,
          new String[] {"task key", "task name", "attempt id", "attempt from 0", "state",
              "resources it needs", "alloc of the attempt", "why it waits", "kind of failure",
              "failure message", "seconds in its state"},
          new OpenType<?>[] {SimpleType.STRING, SimpleType.STRING, SimpleType.STRING,
              SimpleType.INTEGER, SimpleType.STRING, SimpleType.STRING, SimpleType.STRING,
              SimpleType.STRING, SimpleType.STRING, SimpleType.STRING, SimpleType.DOUBLE});
      TASKS = new TabularType("Tasks", "tasks by key", TASK, new String[] {"key"});
    } catch (OpenDataException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final String name;
  private final Supplier<SchedulerStats> stats;
  private final Supplier<Counts> counts;
  private @Nullable ObjectName registered;

  /**
   * Creates the view of one scheduler.
   *
   * @param name the scheduler's name
   * @param stats takes a snapshot
   * @param counts reads the running totals
   */
  public Jmx(String name, Supplier<SchedulerStats> stats, Supplier<Counts> counts) {
    this.name = name;
    this.stats = stats;
    this.counts = counts;
  }

  /**
   * Registers the view with the platform MBean server, under the scheduler's name or, if a
   * scheduler of that name is already registered in this JVM, under {@code <name>-2},
   * {@code <name>-3} and so on.
   *
   * @return the name it was registered under, or null if JMX is unavailable
   */
  public synchronized @Nullable ObjectName register() {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    for (int n = 1; n < 10_000; n++) {
      try {
        ObjectName on = objectName(n == 1 ? name : name + "-" + n);
        server.registerMBean(new StandardMBean(this, SchedulerMXBean.class, false), on);
        registered = on;
        return on;
      } catch (InstanceAlreadyExistsException e) {
        // taken by another scheduler of the same name; try the next suffix
      } catch (JMException | RuntimeException e) {
        LOG.log(Level.WARNING, "scheduler " + name + ": cannot register its MXBean", e);
        return null;
      }
    }
    return null;
  }

  /** Unregisters the view; idempotent. */
  public synchronized void unregister() {
    if (registered != null) {
      try {
        ManagementFactory.getPlatformMBeanServer().unregisterMBean(registered);
      } catch (JMException e) {
        LOG.log(Level.WARNING, "scheduler " + name + ": cannot unregister its MXBean", e);
      }
      registered = null;
    }
  }

  /**
   * Returns {@code org.stowage:type=Scheduler,name=<name>}, quoting the name if it must be.
   *
   * @param name the scheduler's name
   * @return the MXBean's name
   * @throws JMException if no valid object name can be made
   */
  public static ObjectName objectName(String name) throws JMException {
    String value = name.matches("[A-Za-z0-9_.\\-]+") ? name : ObjectName.quote(name);
    return new ObjectName("org.stowage:type=Scheduler,name=" + value);
  }

  @Override public String getName() { return name; }
  @Override public long getTasksSubmitted() { return counts.get().submitted(); }
  @Override public long getTasksInit() { return counts.get().init(); }
  @Override public long getTasksStaging() { return counts.get().staging(); }
  @Override public long getTasksRunning() { return counts.get().running(); }
  @Override public long getTasksLost() { return counts.get().lost(); }
  @Override public long getTasksDone() { return counts.get().done(); }
  @Override public long getTasksSucceeded() { return counts.get().succeeded(); }
  @Override public long getTasksFailed() { return counts.get().failed(); }
  @Override public long getTasksCancelled() { return counts.get().cancelled(); }
  @Override public long getTasksWaiting() { return counts.get().waiting(); }
  @Override public long getAttemptsLost() { return counts.get().attemptsLost(); }
  @Override public long getAttemptsFailed() { return counts.get().attemptsFailed(); }
  @Override public long getAllocsRequested() { return counts.get().allocsRequested(); }
  @Override public long getAllocsFailed() { return counts.get().allocsFailed(); }
  @Override public long getAllocsPending() { return counts.get().allocsPending(); }
  @Override public long getAllocsLive() { return counts.get().allocsLive(); }
  @Override public long getAllocsDead() { return counts.get().allocsDead(); }
  @Override public long getAllocsFreedIdle() { return counts.get().allocsFreedIdle(); }

  @Override
  public TabularData getAllocs() {
    TabularDataSupport table = new TabularDataSupport(ALLOCS);
    for (AllocStats a : stats.get().allocs()) {
      table.put(composite(ALLOC, new String[] {"id", "state", "capacity", "free", "tasks",
          "ageSeconds", "idleSeconds"}, a.id(), a.state().name(), resources(a.capacity()),
          resources(a.free()), a.tasks().toArray(String[]::new), a.ageSeconds(),
          a.idleSeconds()));
    }
    return table;
  }

  @Override
  public TabularData getTasks() {
    TabularDataSupport table = new TabularDataSupport(TASKS);
    for (TaskStats t : stats.get().tasks()) {
      table.put(composite(TASK, TASK_ITEMS, t.key(), t.name(), t.id(), t.attempt(),
          t.state().name(), t.resources().toString(), orEmpty(t.alloc()),
          t.waiting() == null ? "" : t.waiting().name(),
          t.errorKind() == null ? "" : t.errorKind().name(), orEmpty(t.error()),
          t.secondsInState()));
    }
    return table;
  }

  @Override
  public String getJson() {
    return stats.get().toJson();
  }

  private static TabularData resources(Resources r) {
    TabularDataSupport table = new TabularDataSupport(RESOURCES);
    for (Map.Entry<String, Double> e : r.toOrderedMap().entrySet()) {
      table.put(composite(RESOURCES.getRowType(), new String[] {"resource", "amount"},
          e.getKey(), e.getValue()));
    }
    return table;
  }

  private static CompositeDataSupport composite(CompositeType type, String[] names,
      Object... values) {
    try {
      return new CompositeDataSupport(type, names, values);
    } catch (OpenDataException e) {
      throw new IllegalStateException("stats do not fit their JMX type " + type.getTypeName(), e);
    }
  }

  private static String orEmpty(@Nullable String s) {
    return s == null ? "" : s;
  }
}
