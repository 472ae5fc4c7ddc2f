package io.sparkrest

import org.apache.spark.sql.DataFrame

/** `import io.sparkrest.implicits._` adds `restApiCall` to DataFrames. */
object implicits {

  implicit class RestDataFrameOps(private val df: DataFrame) extends AnyVal {

    /**
     * Appends the response of `url` (a template: `{column}` takes that column's value) to every
     * row: the `schema` fields or `output`, then `_status` and `_error`. Options: SPEC section 4.
     */
    def restApiCall(url: String, options: Map[String, String] = Map.empty): DataFrame =
      RestApi.enrich(df, url, options)
  }
}
