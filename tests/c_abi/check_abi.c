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
  sr_engine_free(engine);

  printf("check_abi: 5 passed, 0 failed\n");
  return 0;
}
