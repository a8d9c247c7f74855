/* OpenBLAS peer for the gemm suite: square C = A * B (row-major, float32) with cblas_sgemm.
 *   openblas_gemm N REPEAT MIN_SECONDS   -> {"n":N,"seconds":median,"samples":[...]}
 * Threads come from OPENBLAS_NUM_THREADS. One warm-up call, then at least REPEAT timed calls and
 * at least MIN_SECONDS in all, as benchmarks/lib/timing.mjs does. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void* x, const void* y) {
  double a = *(const double*)x, b = *(const double*)y;
  return (a > b) - (a < b);
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: openblas_gemm N REPEAT MIN_SECONDS\n");
    return 2;
  }
  const int n = atoi(argv[1]), repeat = atoi(argv[2]) > 0 ? atoi(argv[2]) : 1;
  const double min_seconds = atof(argv[3]);
  float* a = malloc(sizeof(float) * n * n);
  float* b = malloc(sizeof(float) * n * n);
  float* c = malloc(sizeof(float) * n * n);
  double* samples = malloc(sizeof(double) * 1000);
  if (!a || !b || !c || !samples) return 1;
  srand(42);
  for (long i = 0; i < (long)n * n; ++i) {
    a[i] = 2.0f * rand() / RAND_MAX - 1.0f;
    b[i] = 2.0f * rand() / RAND_MAX - 1.0f;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
  int count = 0;
  double total = 0;
  while (count < repeat || (total < min_seconds && count < 1000)) {
    double t0 = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    samples[count] = now() - t0;
    total += samples[count++];
  }
  qsort(samples, count, sizeof(double), cmp);
  double median = count % 2 ? samples[count / 2] : (samples[count / 2 - 1] + samples[count / 2]) / 2;
  printf("{\"n\":%d,\"seconds\":%.9g,\"count\":%d}\n", n, median, count);
  free(a), free(b), free(c), free(samples);
  return 0;
}
