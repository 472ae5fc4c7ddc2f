package io.sparkrest

import org.apache.spark.sql.SparkSessionExtensions

import io.sparkrest.source.{InputRelationRule, RestTableFunction}

/**
 * `spark.sql.extensions=io.sparkrest.RestExtensions`: plans REST enrichment in every session
 * from the start and registers SQL's `rest_api_call(TABLE(t), url [, map(...)])` table
 * function (SPEC section 2), which builds the same [[RestApiCall]] node.
 */
class RestExtensions extends (SparkSessionExtensions => Unit) {
  override def apply(extensions: SparkSessionExtensions): Unit = {
    extensions.injectPlannerStrategy(_ => RestApiCallStrategy)
    extensions.injectOptimizerRule(_ => InputRelationRule)
    extensions.injectTableFunction(RestTableFunction.description)
  }
}
