/*
 * rlhfkit native BLAS: a small N-API addon over the system's cblas_sgemm (OpenBLAS).
 *
 * It works on Float32Array views the caller owns (typically views over the tfjs wasm backend's
 * WebAssembly.Memory), so there is no copy in or out: C_i = op(A_{ai}) · op(B_{bi}) for each output batch i,
 * then optionally C += bias (broadcast over rows) and an activation, in place.
 *
 * Every length is checked against the views before BLAS is called: a bad call throws a JS error, it never
 * reads or writes outside the arrays it was given.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* tfjs-backend-wasm's FusableActivation enum (kernels/types.ts) */
enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_PRELU = 3, ACT_LEAKYRELU = 4, ACT_SIGMOID = 5, ACT_ELU = 6 };

#define CHECK_NAPI(env, call)                                                   \
  do {                                                                          \
    if ((call) != napi_ok) {                                                    \
      napi_throw_error((env), "E_INTERNAL", "N-API call failed: " #call);    \
      return NULL;                                                              \
    }                                                                           \
  } while (0)

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "E_INTERNAL", msg);
  return NULL;
}

/* Reads a Float32Array argument (or null/undefined when optional). */
static int get_f32(napi_env env, napi_value v, float **data, size_t *len, int optional) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (optional && (t == napi_null || t == napi_undefined)) {
    *data = NULL;
    *len = 0;
    return 1;
  }
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type type;
  size_t length;
  void *ptr;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, &ab, &offset) != napi_ok) return 0;
  if (type != napi_float32_array) return 0;
  *data = (float *)ptr;
  *len = length;
  return 1;
}

/* Reads an Int32Array argument (or null/undefined when optional). */
static int get_i32(napi_env env, napi_value v, int32_t **data, size_t *len, int optional) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (optional && (t == napi_null || t == napi_undefined)) {
    *data = NULL;
    *len = 0;
    return 1;
  }
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type type;
  size_t length;
  void *ptr;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, &ab, &offset) != napi_ok) return 0;
  if (type != napi_int32_array) return 0;
  *data = (int32_t *)ptr;
  *len = length;
  return 1;
}

static int get_int(napi_env env, napi_value v, int64_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return 0;
  return napi_get_value_int64(env, v, out) == napi_ok;
}

static int get_bool(napi_env env, napi_value v, bool *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (t == napi_boolean) return napi_get_value_bool(env, v, out) == napi_ok;
  if (t == napi_number) {
    int64_t i;
    if (napi_get_value_int64(env, v, &i) != napi_ok) return 0;
    *out = i != 0;
    return 1;
  }
  return 0;
}

/* y = act(y + bias[col]) over a [rows, n] block. */
static void epilogue(float *c, int64_t rows, int64_t n, const float *bias, int act, float alpha) {
  for (int64_t r = 0; r < rows; r++) {
    float *row = c + r * n;
    if (bias)
      for (int64_t j = 0; j < n; j++) row[j] += bias[j];
    switch (act) {
      case ACT_RELU:
        for (int64_t j = 0; j < n; j++) row[j] = row[j] > 0.f ? row[j] : 0.f;
        break;
      case ACT_RELU6:
        for (int64_t j = 0; j < n; j++) row[j] = row[j] < 0.f ? 0.f : (row[j] > 6.f ? 6.f : row[j]);
        break;
      case ACT_LEAKYRELU:
        for (int64_t j = 0; j < n; j++) row[j] = row[j] < 0.f ? alpha * row[j] : row[j];
        break;
      case ACT_SIGMOID:
        for (int64_t j = 0; j < n; j++) row[j] = 1.f / (1.f + expf(-row[j]));
        break;
      case ACT_ELU:
        for (int64_t j = 0; j < n; j++) row[j] = row[j] > 0.f ? row[j] : expm1f(row[j]);
        break;
      default:
        break;
    }
  }
}

/*
 * sgemm(transA, transB, M, N, K, a, b, c, batch, aIndex, bIndex, bias, activation, alpha)
 *   a: [*, M, K] (or [*, K, M] when transA), b: [*, K, N] (or [*, N, K] when transB), c: [batch, M, N]
 *   aIndex/bIndex: Int32Array(batch) of the a/b matrix used for output batch i (null: i itself)
 *   bias: Float32Array(N) or null; activation: FusableActivation code (0 linear); alpha: leaky-relu slope
 */
static napi_value sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14];
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 9) return throw_type(env, "sgemm: expected at least 9 arguments (transA, transB, M, N, K, a, b, c, batch)");
  bool ta, tb;
  int64_t M, N, K, batch, act = 0;
  double alpha_d = 0.0;
  float *a, *b, *c, *bias = NULL;
  size_t alen, blen, clen, biaslen = 0, ailen = 0, bilen = 0;
  int32_t *ai = NULL, *bi = NULL;
  if (!get_bool(env, argv[0], &ta) || !get_bool(env, argv[1], &tb)) return throw_type(env, "sgemm: transA/transB must be booleans");
  if (!get_int(env, argv[2], &M) || !get_int(env, argv[3], &N) || !get_int(env, argv[4], &K) || M < 0 || N < 0 || K < 0)
    return throw_type(env, "sgemm: M, N, K must be non-negative integers");
  if (M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) return throw_type(env, "sgemm: M, N, K exceed the BLAS int range");
  if (!get_f32(env, argv[5], &a, &alen, 0) || !get_f32(env, argv[6], &b, &blen, 0) || !get_f32(env, argv[7], &c, &clen, 0))
    return throw_type(env, "sgemm: a, b, c must be Float32Arrays");
  if (!get_int(env, argv[8], &batch) || batch < 0) return throw_type(env, "sgemm: batch must be a non-negative integer");
  if (argc > 9 && !get_i32(env, argv[9], &ai, &ailen, 1)) return throw_type(env, "sgemm: aIndex must be an Int32Array or null");
  if (argc > 10 && !get_i32(env, argv[10], &bi, &bilen, 1)) return throw_type(env, "sgemm: bIndex must be an Int32Array or null");
  if (argc > 11 && !get_f32(env, argv[11], &bias, &biaslen, 1)) return throw_type(env, "sgemm: bias must be a Float32Array or null");
  if (argc > 12 && !get_int(env, argv[12], &act)) return throw_type(env, "sgemm: activation must be an integer code");
  if (argc > 13) {
    napi_valuetype t;
    CHECK_NAPI(env, napi_typeof(env, argv[13], &t));
    if (t == napi_number) CHECK_NAPI(env, napi_get_value_double(env, argv[13], &alpha_d));
  }
  if (act < ACT_LINEAR || act > ACT_ELU || act == ACT_PRELU) return throw_type(env, "sgemm: unsupported activation code (prelu is not implemented natively)");

  /* bounds: every matrix the indices name must lie inside its view */
  const int64_t sa = M * K, sb = K * N, sc = M * N;
  if ((uint64_t)clen < (uint64_t)(batch * sc)) return throw_type(env, "sgemm: c is shorter than batch*M*N");
  if (ai && (int64_t)ailen < batch) return throw_type(env, "sgemm: aIndex is shorter than batch");
  if (bi && (int64_t)bilen < batch) return throw_type(env, "sgemm: bIndex is shorter than batch");
  if (bias && (int64_t)biaslen != N) return throw_type(env, "sgemm: bias must have length N");
  for (int64_t i = 0; i < batch; i++) {
    int64_t ia = ai ? ai[i] : i, ib = bi ? bi[i] : i;
    if (ia < 0 || (ia + 1) * sa > (int64_t)alen) return throw_type(env, "sgemm: a is too short for the batch index it is given");
    if (ib < 0 || (ib + 1) * sb > (int64_t)blen) return throw_type(env, "sgemm: b is too short for the batch index it is given");
  }

  const enum CBLAS_TRANSPOSE opA = ta ? CblasTrans : CblasNoTrans;
  const enum CBLAS_TRANSPOSE opB = tb ? CblasTrans : CblasNoTrans;
  const blasint lda = ta ? (blasint)M : (blasint)K; /* row-major leading dims of the stored matrices */
  const blasint ldb = tb ? (blasint)K : (blasint)N;
  for (int64_t i = 0; i < batch; i++) {
    int64_t ia = ai ? ai[i] : i, ib = bi ? bi[i] : i;
    float *ci = c + i * sc;
    if (K == 0) {
      memset(ci, 0, (size_t)sc * sizeof(float));
    } else if (M > 0 && N > 0) {
      cblas_sgemm(CblasRowMajor, opA, opB, (blasint)M, (blasint)N, (blasint)K, 1.0f, a + ia * sa, lda, b + ib * sb, ldb,
                  0.0f, ci, (blasint)N);
    }
  }
  if (bias || act != ACT_LINEAR) epilogue(c, batch * M, N, bias, (int)act, (float)alpha_d);
  return NULL;
}

static napi_value get_num_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK_NAPI(env, napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

static napi_value set_num_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t n;
  CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_int(env, argv[0], &n) || n < 1 || n > 1024) return throw_type(env, "setNumThreads: expected an integer in [1, 1024]");
  openblas_set_num_threads((int)n);
  return NULL;
}

static napi_value get_config(napi_env env, napi_callback_info info) {
  (void)info;
  char buf[512];
  snprintf(buf, sizeof buf, "%s; core %s", openblas_get_config(), openblas_get_corename());
  napi_value out;
  CHECK_NAPI(env, napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"numThreads", NULL, get_num_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setNumThreads", NULL, set_num_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"config", NULL, get_config, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
