package org.stowage.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.stowage.scheduler.Fixtures.WAIT;
import static org.stowage.scheduler.Fixtures.cpuMem;
import static org.stowage.scheduler.Fixtures.done;
import static org.stowage.scheduler.Fixtures.reach;
import static org.stowage.scheduler.Fixtures.task;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.stowage.testing.FakeAlloc;
import org.stowage.testing.FakeCluster;
import org.stowage.testing.FakeExec;

/** The MXBean, read through a real JMX connector on loopback with a plain client. */
@Timeout(60)
class JmxTest {

  private JMXConnectorServer server;
  private JMXConnector client;
  private MBeanServerConnection connection;

  @BeforeEach
  void connect() throws Exception {
    server = JMXConnectorServerFactory.newJMXConnectorServer(
        new JMXServiceURL("service:jmx:rmi://127.0.0.1"), null,
        ManagementFactory.getPlatformMBeanServer());
    server.start();
    client = JMXConnectorFactory.connect(server.getAddress());
    connection = client.getMBeanServerConnection();
  }

  @AfterEach
  void disconnect() throws Exception {
    client.close();
    server.stop();
  }

  @Test
  void everyAttributeReadsAsOpenDataWhileTasksRun() throws Exception {
    FakeCluster cluster = Fixtures.cluster().build();
    try (Scheduler s = Fixtures.scheduler(cluster).name("jmx-test").build()) {
      Task running = task(2, 2);
      Task queued = task(1, 1);
      s.submit(List.of(running));
      FakeAlloc alloc = cluster.takeRequest(WAIT).grant(cpuMem(2, 2));
      FakeExec exec = alloc.takeExec(WAIT);
      reach(running, State.RUNNING);
      s.submit(List.of(queued));
      cluster.takeRequest(WAIT);

      ObjectName name = new ObjectName("org.stowage:type=Scheduler,name=jmx-test");
      assertEquals(name, s.jmxName());
      Map<String, Object> values = new HashMap<>();
      for (MBeanAttributeInfo info : connection.getMBeanInfo(name).getAttributes()) {
        Object value = connection.getAttribute(name, info.getName());
        assertOnlyPlatformTypes(info.getName(), value);
        values.put(info.getName(), value);
      }
      assertEquals(22, values.size(), values.keySet()::toString);
      assertEquals("jmx-test", values.get("Name"));
      assertEquals(2L, values.get("TasksSubmitted"));
      assertEquals(1L, values.get("TasksRunning"));
      assertEquals(1L, values.get("TasksInit"));
      assertEquals(1L, values.get("AllocsLive"));
      assertEquals(1L, values.get("AllocsPending"));

      TabularData allocs = (TabularData) values.get("Allocs");
      CompositeData a = allocs.get(new Object[] {alloc.id()});
      assertEquals("LIVE", a.get("state"));
      assertEquals(List.of(running.id()), List.of((String[]) a.get("tasks")));
      TabularData capacity = (TabularData) a.get("capacity");
      assertEquals(2.0, capacity.get(new Object[] {"cpu"}).get("amount"));
      TabularData free = (TabularData) a.get("free");
      assertTrue(free.isEmpty(), free::toString);

      TabularData tasks = (TabularData) values.get("Tasks");
      CompositeData q = tasks.get(new Object[] {queued.key()});
      assertEquals("INIT", q.get("state"));
      assertEquals("ALLOC_PENDING", q.get("waiting"));
      assertEquals("{cpu:1 mem:1GiB}", q.get("resources"));
      assertTrue(((String) values.get("Json")).contains("\"scheduler\" : \"jmx-test\""));

      exec.succeed();
      done(running);
      assertEquals(1L, connection.getAttribute(name, "TasksSucceeded"));
      s.close();
      assertFalse(connection.isRegistered(name), "still registered after close");
    }
  }

  @Test
  void twoSchedulersOfOneNameGetDistinctNames() throws Exception {
    FakeCluster cluster = Fixtures.cluster().build();
    try (Scheduler first = Fixtures.scheduler(cluster).name("twin").build();
        Scheduler second = Fixtures.scheduler(cluster).name("twin").build()) {
      assertNotEquals(first.jmxName(), second.jmxName());
      assertEquals("twin-2", second.jmxName().getKeyProperty("name"));
      assertTrue(connection.isRegistered(first.jmxName()));
      assertTrue(connection.isRegistered(second.jmxName()));
      assertEquals("twin", connection.getAttribute(second.jmxName(), "Name"));
    }
  }

  /**
   * Under churn (allocs freed as soon as they idle, tasks finishing every instant), every snapshot
   * lists each alloc and task once, so the MXBean's tables, keyed by id, can always be built.
   */
  @Test
  void snapshotsListEachIdOnceWhileAllocsAndTasksChurn() throws Exception {
    FakeCluster cluster = FakeCluster.newBuilder().maxAlloc(cpuMem(4, 8)).automatic()
        .execDuration(Duration.ZERO).build();
    try (Scheduler s = Fixtures.scheduler(cluster).name("jmx-churn")
        .maxAllocIdleTime(Duration.ZERO).statsRetention(100, Duration.ofHours(1)).build()) {
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger reads = new AtomicInteger();
      // At least 100 rounds, and on until the snapshots below were read often enough, however
      // fast each side runs on a busy machine.
      CompletableFuture<Void> churn =
          CompletableFuture.runAsync(() -> {
            for (int round = 0; (round < 100 || reads.get() < 20) && round < 100_000
                && !stop.get(); round++) {
              List<Task> batch = new ArrayList<>();
              for (int i = 0; i < 20; i++) {
                batch.add(task(1 + i % 4, 1 + i % 8));
              }
              s.submit(batch);
              batch.forEach(t -> t.await(State.DONE).join());
            }
          });
      try {
        while (!churn.isDone()) {
          SchedulerStats stats = s.stats();
          assertUnique("alloc", stats.allocs().stream().map(SchedulerStats.AllocStats::id).toList());
          assertUnique("task", stats.tasks().stream().map(SchedulerStats.TaskStats::key).toList());
          connection.getAttribute(s.jmxName(), "Allocs");
          connection.getAttribute(s.jmxName(), "Tasks");
          reads.incrementAndGet();
        }
      } finally {
        stop.set(true);
      }
      churn.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      System.out.println("snapshots read during the churn: " + reads);
      assertTrue(reads.get() >= 20, "only " + reads + " reads during the churn");
    }
    cluster.checkNoLeaks();
  }

  private static void assertUnique(String what, List<String> ids) {
    assertEquals(ids.size(), new HashSet<>(ids).size(),
        () -> "a " + what + " listed twice in one snapshot: " + ids);
  }

  /** A client without Stowage's classes can decode only what the platform defines. */
  private static void assertOnlyPlatformTypes(String attribute, Object value) {
    List<Object> todo = new ArrayList<>(List.of(value));
    while (!todo.isEmpty()) {
      Object v = todo.remove(todo.size() - 1);
      if (v == null) {
        continue;
      }
      String type = v.getClass().getName();
      assertTrue(type.startsWith("java.") || type.startsWith("javax.") || type.startsWith("[L"),
          attribute + " holds a " + type);
      if (v instanceof TabularData t) {
        todo.addAll((Collection<?>) t.values());
      } else if (v instanceof CompositeData c) {
        todo.addAll(c.values());
      } else if (v instanceof Object[] array) {
        todo.addAll(List.of(array));
      }
    }
  }
}
