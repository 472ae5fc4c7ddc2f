/* Compiles against the checked-in header and links the real library: the
 * C ABI's error path (status + message, nothing aborts) and an engine's
 * life cycle, as a C host would use them. Run by `make test-c`. */
#include <stdio.h>
#include <string.h>

#include "spark_rest.h"

static int fail(const char *what) {
  fprintf(stderr, "check_abi: %s\n", what);
  return 1;
}

int main(void) {
  SrEngine *engine = NULL;
  char *error = NULL;

  int status = sr_engine_create("{\"url\": \"http://127.0.0.1:9/x\", \"concurency\": 4}", NULL, &engine, &error);
  if (status != SR_INVALID_OPTION) return fail("a misspelt option must give SR_INVALID_OPTION");
  if (error == NULL || strstr(error, "concurrency") == NULL) return fail("the message must suggest 'concurrency'");
  sr_string_free(error);
  error = NULL;

  status = sr_engine_create("not json", NULL, &engine, &error);
  if (status != SR_INVALID_OPTION || error == NULL) return fail("bad JSON must be an option error");
  sr_string_free(error);
  error = NULL;

  status = sr_engine_create("{\"url\": \"http://127.0.0.1:9/c/{id}\", \"concurrency\": 4}", NULL, &engine, &error);
  if (status != SR_OK || engine == NULL) return fail("valid options must create an engine");
  char *metrics = NULL;
  if (sr_engine_metrics(engine, &metrics, &error) != SR_OK) return fail("metrics must be readable");
  if (strstr(metrics, "\"requests\":0") == NULL) return fail("a new engine has sent no request");
  sr_string_free(metrics);

  status = sr_engine_enrich(engine, NULL, NULL, NULL, NULL, &error);
  if (status != SR_INTERNAL || error == NULL) return fail("null batches must be an error, not a crash");
  sr_string_free(error);
  error = NULL;
  sr_engine_free(engine);

  /* The engine's log lines reach a C host too: creating it logged one at info. */
  char *lines = NULL;
  if (sr_log_take(100, 2000, &lines, &error) != SR_OK) return fail("log lines must be readable");
  if (strstr(lines, "spark-rest engine created") == NULL ||
      strstr(lines, "\"logger\":\"io.sparkrest.native.engine.flow.registry\"") == NULL)
    return fail("the engine's creation must be logged, with its logger");
  sr_string_free(lines);

  status = sr_log_level("loud", &error);
  if (status != SR_INVALID_OPTION || error == NULL || strstr(error, "warn") == NULL)
    return fail("an unknown log level must name the allowed ones");
  sr_string_free(error);
  error = NULL;
  if (sr_log_level("warn", &error) != SR_OK) return fail("warn is a log level");
  status = sr_engine_create("{\"url\": \"http://127.0.0.1:9/d/{id}\"}", NULL, &engine, &error);
  if (status != SR_OK) return fail("a second engine must be created");
  sr_engine_free(engine);
  if (sr_log_take(100, 200, &lines, &error) != SR_OK || strcmp(lines, "[]") != 0)
    return fail("at warn, an engine's creation (info) must not be logged");
  sr_string_free(lines);
  if (sr_log_level("info", &error) != SR_OK) return fail("the level can be set again");
  status = sr_engine_create("{\"url\": \"http://127.0.0.1:9/e/{id}\"}", NULL, &engine, &error);
  if (status != SR_OK) return fail("a third engine must be created");
  sr_engine_free(engine);
  if (sr_log_take(100, 2000, &lines, &error) != SR_OK || strstr(lines, "/e/{id}") == NULL)
    return fail("back at info, an engine's creation must be logged again");
  sr_string_free(lines);

  printf("check_abi: 11 passed, 0 failed\n");
  return 0;
}
