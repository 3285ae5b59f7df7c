package org.stowage.scheduler;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Writes and reads {@link SchedulerStats} as JSON: {@link SchedulerStats#toJson()} and
 * {@link SchedulerStats#fromJson}. The format is the records' components by name, in declaration
 * order, with resources as an object of amounts (whole numbers written as integers) and absent
 * values as {@code null}.
 *
 * <p>The mapper stays inside this class: it is configured once and shared by every caller in the
 * JVM, so that handing it out would let any of them change the format for all.
 *
 * <p>Thread-safety: thread-safe (a configured {@link ObjectMapper} is).
 */
final class StatsJson {

  /**
   * Reads keys and strings of any length: what write() produced must read back. The bounds
   * Jackson keeps by default (50,000 chars for a key, 20,000,000 for a string) guard a reader of
   * untrusted streams; read() takes a String already in memory, so they would guard nothing here,
   * only refuse a snapshot with a long resource name or error message.
   */
  private static final JsonFactory FACTORY = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxNameLength(Integer.MAX_VALUE)
          .maxStringLength(Integer.MAX_VALUE)
          .build())
      .build();

  private static final ObjectMapper MAPPER = JsonMapper.builder(FACTORY)
      .addModule(new SimpleModule("stowage-stats")
          .addSerializer(Resources.class, new ResourcesSerializer())
          .addDeserializer(Resources.class, new ResourcesDeserializer()))
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      // What write() never produces is refused, not guessed at: a key given twice (Jackson would
      // keep the last), or a fraction where a whole number belongs (it would be truncated).
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
      .build();

  private StatsJson() {}

  /**
   * Returns {@code stats} as JSON.
   *
   * @param stats the snapshot
   * @return the JSON text
   */
  static String write(SchedulerStats stats) {
    try {
      return escapeUnpairedSurrogates(MAPPER.writeValueAsString(stats));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write stats as JSON: " + e.getMessage(), e);
    }
  }

  /**
   * Reads stats written by {@link #write}.
   *
   * @param json text written by {@link #write}
   * @return the stats
   * @throws IllegalArgumentException if the text is not such stats
   */
  static SchedulerStats read(String json) {
    try {
      return MAPPER.readValue(json, SchedulerStats.class);
    } catch (JsonProcessingException e) {
      String at = e instanceof JsonMappingException m ? path(m.getPath()) : "";
      throw new IllegalArgumentException("not scheduler stats JSON: "
          + (at.isEmpty() ? "" : "at " + at + ": ") + e.getOriginalMessage(), e);
    }
  }

  /**
   * Returns {@code json} with each unpaired surrogate char written as a
   * <code>&#92;uXXXX</code> escape. Such a char can only be inside a string (the JSON syntax
   * itself is ASCII), where the escape stands for the same char; unlike the raw char, it survives
   * being encoded as UTF-8, so that the text read back from a file is the text written. Pairs are
   * left as they are.
   */
  private static String escapeUnpairedSurrogates(String json) {
    StringBuilder out = null;
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < json.length()
          && Character.isLowSurrogate(json.charAt(i + 1))) {
        if (out != null) {
          out.append(c).append(json.charAt(i + 1));
        }
        i++;
      } else if (Character.isSurrogate(c)) {
        if (out == null) {
          out = new StringBuilder(json.length() + 16).append(json, 0, i);
        }
        out.append(String.format("\\u%04X", (int) c));
      } else if (out != null) {
        out.append(c);
      }
    }
    return out == null ? json : out.toString();
  }

  /** Returns a path such as {@code tasks[0].attempt}. */
  private static String path(List<JsonMappingException.Reference> references) {
    StringBuilder out = new StringBuilder();
    for (JsonMappingException.Reference r : references) {
      if (r.getFieldName() != null) {
        out.append(out.length() > 0 ? "." : "").append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        out.append('[').append(r.getIndex()).append(']');
      }
    }
    return out.toString();
  }

  private static final class ResourcesSerializer extends JsonSerializer<Resources> {
    @Override
    public void serialize(Resources r, JsonGenerator g, SerializerProvider p) throws IOException {
      g.writeStartObject();
      for (Map.Entry<String, Double> e : r.toOrderedMap().entrySet()) {
        double v = e.getValue();
        if (v == Math.rint(v) && Math.abs(v) < (1L << 53)) {
          g.writeNumberField(e.getKey(), (long) v);
        } else {
          g.writeNumberField(e.getKey(), v);
        }
      }
      g.writeEndObject();
    }
  }

  private static final class ResourcesDeserializer extends JsonDeserializer<Resources> {
    @Override
    public Resources deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      Map<String, Double> amounts = p.readValueAs(new TypeReference<Map<String, Double>>() { });
      return new Resources(amounts);
    }
  }
}
