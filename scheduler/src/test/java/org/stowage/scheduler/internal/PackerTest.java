package org.stowage.scheduler.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The packing math alone: no engine, no threads, no clock. */
class PackerTest {

  /** A task of the test: its need and priority. */
  private record Item(int id, double[] need, int priority) {}

  /**
   * The indexed fill makes the same choices as the plain one it replaced: again and again, among
   * the groups that fit, those of the best priority, and of them the smallest leftover.
   */
  @Test
  void fillChoosesAsAScanOfEveryShapeWould() {
    SplittableRandom random = new SplittableRandom(7);
    for (int round = 0; round < 300; round++) {
      Packer packer = new Packer();
      packer.widenScale(new double[] {16, 64});
      List<Item> items = new ArrayList<>();
      int n = 1 + random.nextInt(400);
      for (int i = 0; i < n; i++) {
        double[] need = random.nextInt(4) == 0 && !items.isEmpty()
            ? items.get(random.nextInt(items.size())).need().clone()   // repeated shapes too
            : new double[] {round3(random.nextDouble(0.25, 8)), round3(random.nextDouble(0.5, 32))};
        items.add(new Item(i, need, random.nextInt(3)));
      }
      double[] room = {random.nextDouble(1, 64), random.nextDouble(4, 256)};
      Packer.Groups<Item> indexed = new Packer.Groups<>(items, Item::need, Item::priority);
      Packer.Groups<Item> plain = new Packer.Groups<>(items, Item::need, Item::priority);
      for (int alloc = 0; alloc < 3; alloc++) {
        List<Item> got = packer.fill(room, indexed);
        List<Item> want = plainFill(packer, room, plain);
        assertEquals(ids(want), ids(got), "round " + round + ", alloc " + alloc);
      }
    }
  }

  @Test
  void fillTakesNothingWhenNothingFits() {
    Packer packer = new Packer();
    packer.widenScale(new double[] {16, 64});
    List<Item> items = List.of(new Item(0, new double[] {8, 1}, 0),
        new Item(1, new double[] {1, 40}, 0));
    Packer.Groups<Item> groups = new Packer.Groups<>(items, Item::need, Item::priority);
    assertEquals(List.of(), packer.fill(new double[] {4, 32}, groups));
    assertEquals(List.of(1), ids(packer.fill(new double[] {4, 48}, groups)));
  }

  /** The scan of every group that {@link Packer#fill} used to make. */
  private static List<Item> plainFill(Packer packer, double[] room, Packer.Groups<Item> waiting) {
    double[] left = room.clone();
    List<Item> picked = new ArrayList<>();
    while (true) {
      Packer.Group<Item> best = null;
      double bestScore = Double.POSITIVE_INFINITY;
      for (Packer.Group<Item> g : waiting.groups) {
        if (g.tasks.isEmpty() || (best != null && g.priority > best.priority)
            || !Packer.fits(g.need, left)) {
          continue;
        }
        double score = packer.fitScore(g.need, left);
        if (best == null || g.priority < best.priority || score < bestScore) {
          best = g;
          bestScore = score;
        }
      }
      if (best == null) {
        return picked;
      }
      Packer.subtract(left, best.need);
      picked.add(best.poll());
    }
  }

  private static double round3(double x) {
    return Math.round(x * 1000) / 1000.0;
  }

  private static List<Integer> ids(List<Item> items) {
    return items.stream().map(Item::id).toList();
  }
}
