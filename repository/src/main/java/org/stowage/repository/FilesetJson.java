package org.stowage.repository;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads and writes a {@link Fileset}'s JSON with a mapper that refuses what a default one lets
 * through and guesses at: a key given twice in one object (a default mapper keeps the last), a
 * number with a fraction or an exponent where a size goes (a default mapper cuts {@code 1.5} to
 * 1), a size given as a string or as null, and anything after the fileset's object. Not API: use
 * {@link Fileset#fromJson} and {@link Fileset#toJson}.
 *
 * <p>Thread-safety: thread-safe (the mapper is configured once, here, and never changed).
 */
final class FilesetJson {

  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .withCoercionConfig(LogicalType.Integer,
          c -> c.setCoercion(CoercionInputShape.String, CoercionAction.Fail))
      .build();

  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private FilesetJson() {}

  /** See {@link Fileset#toJson()}. */
  static String write(Fileset fileset) {
    try {
      return MAPPER.writeValueAsString(fileset);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write fileset as json: " + e.getOriginalMessage(), e);
    }
  }

  /** See {@link Fileset#fromJson(String)}. */
  static Fileset read(String json) {
    try {
      return MAPPER.readValue(json, Fileset.class);
    } catch (ValueInstantiationException e) {
      // The constructor refused a path: its message names it.
      Throwable cause = e.getCause();
      throw new IllegalArgumentException(
          cause instanceof IllegalArgumentException ? String.valueOf(cause.getMessage())
              : "invalid fileset json: " + e.getOriginalMessage(), e);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(describe(e), e);
    }
  }

  /** Words {@code e} as a message naming the key concerned, where it is and what it held. */
  private static String describe(JsonProcessingException e) {
    JsonStreamContext context = e.getProcessor() instanceof JsonParser p
        ? p.getParsingContext() : null;
    String key = context == null ? null : context.getCurrentName();
    String where = context == null ? "" : path(context.getParent());
    String at = where.isEmpty() ? "" : " in " + where;
    String original = e.getOriginalMessage();
    if (key != null && original.startsWith("Duplicate field ")) {
      return "fileset json has key " + Messages.quote(key) + " twice" + at
          + "; a key may be given once";
    }
    if (key != null && e instanceof InvalidFormatException bad && bad.getValue() != null) {
      return key + at + " must be a whole number but was " + bad.getValue();
    }
    String full = path(context);
    return "invalid fileset json" + (full.isEmpty() ? "" : " at " + full) + ": " + original;
  }

  /** Returns where {@code context} is, as {@code files["in/a.txt"].size}; empty at the top. */
  private static String path(@Nullable JsonStreamContext context) {
    Deque<String> segments = new ArrayDeque<>();
    for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
      if (c.inArray()) {
        segments.addFirst("[" + c.getCurrentIndex() + "]");
      } else if (c.getCurrentName() != null) {
        String name = c.getCurrentName();
        segments.addFirst(NAME.matcher(name).matches() ? "." + name
            : "[" + Messages.quote(name) + "]");
      }
    }
    String path = String.join("", segments);
    return path.startsWith(".") ? path.substring(1) : path;
  }
}
