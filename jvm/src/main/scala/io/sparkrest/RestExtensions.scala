package io.sparkrest

import org.apache.spark.sql.SparkSessionExtensions

/**
 * `spark.sql.extensions=io.sparkrest.RestExtensions`: plans REST enrichment in every session
 * from the start.
 */
class RestExtensions extends (SparkSessionExtensions => Unit) {
  override def apply(extensions: SparkSessionExtensions): Unit = {
    extensions.injectPlannerStrategy(_ => RestApiCallStrategy)
    // Later: injectTableFunction for SQL's rest_api_call(TABLE(t), url, map(...)) (SPEC section 2),
    // resolving to the same RestApiCall node.
  }
}
