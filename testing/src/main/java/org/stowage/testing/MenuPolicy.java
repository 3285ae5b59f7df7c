package org.stowage.testing;

import java.util.List;
import org.jspecify.annotations.Nullable;
import org.stowage.scheduler.Admission;
import org.stowage.scheduler.Requirements;
import org.stowage.scheduler.Resources;

/**
 * Grants each request the best of a menu of alloc shapes: the smallest that holds its whole
 * {@code max()}, or else the largest that holds its {@code min()}; see {@link AllocPolicy#menu}.
 *
 * <p>Thread-safety: immutable.
 */
final class MenuPolicy implements AllocPolicy {

  private final List<Resources> shapes;

  /** Copies {@code shapes}, refusing an empty menu or a null shape. */
  MenuPolicy(List<Resources> shapes) {
    if (shapes.isEmpty()) {
      throw new IllegalArgumentException("menu must not be empty");
    }
    for (int i = 0; i < shapes.size(); i++) {
      if (shapes.get(i) == null) {
        throw new NullPointerException("menu shape " + i + " is null");
      }
    }
    this.shapes = List.copyOf(shapes);
  }

  List<Resources> shapes() {
    return shapes;
  }

  @Override
  public AllocAnswer answer(FakeCluster.Request request) {
    Requirements req = request.requirements();
    Resources want = req.max();
    @Nullable Resources best = null;
    for (Resources shape : shapes) {
      if (req.min().fitsIn(shape)) {
        boolean holdsAll = want.fitsIn(shape);
        boolean bestHoldsAll = best != null && want.fitsIn(best);
        if (best == null
            || (holdsAll && (!bestHoldsAll || weight(shape) < weight(best)))
            || (!holdsAll && !bestHoldsAll && weight(shape) > weight(best))) {
          best = shape;
        }
      }
    }
    if (best == null) {
      return AllocAnswer.never("no alloc shape holds " + req.min() + "; the shapes are " + shapes);
    }
    return AllocAnswer.grant(best);
  }

  @Override
  public Admission admission(Resources resources) {
    return shapes.stream().anyMatch(resources::fitsIn) ? Admission.yes()
        : Admission.never("no alloc shape holds it; the shapes are " + shapes);
  }

  /** Returns the size of {@code shape}: the sum of its amounts, each over the menu's largest. */
  private double weight(Resources shape) {
    double sum = 0;
    for (String name : shape.names()) {
      double largest = 0;
      for (Resources s : shapes) {
        largest = Math.max(largest, s.get(name));
      }
      sum += shape.get(name) / largest;
    }
    return sum;
  }

  @Override
  public String toString() {
    return "menu " + shapes;
  }
}
