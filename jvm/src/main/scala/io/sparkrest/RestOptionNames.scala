package io.sparkrest

import scala.jdk.CollectionConverters._

import com.fasterxml.jackson.databind.ObjectMapper

/**
 * Option names are case-insensitive on every surface, as for Spark's own data sources (Spark
 * Connect even hands data source options over lower-cased). The native engine owns the names
 * (SPEC section 4); this turns every name the user gave into the README's spelling once, where
 * options enter (`RestApiCall.create`, `SourceConfig`), so everything after reads and reports
 * them as the README spells them.
 */
private[sparkrest] object RestOptionNames {
  private val mapper = new ObjectMapper()

  /** `options` with known names in canonical spelling; unknown names are left for validation. */
  def canonical(options: Map[String, String]): Map[String, String] =
    if (options.isEmpty) options
    else {
      val json = Native.methods.canonicalOptions(RestOptions.toJson(options))
      mapper
        .readTree(json)
        .properties()
        .asScala
        .map(e => e.getKey -> e.getValue.asText())
        .toMap
    }
}
