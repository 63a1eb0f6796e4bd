// rlhf_blas: a tiny N-API addon that runs single-precision matrix products on the system BLAS (OpenBLAS).
//
// The BLAS is opened at run time with dlopen (no build-time dependency on libopenblas-dev): the library named
// by RLHF_BLAS_LIB, else libopenblas.so.0 / libopenblas.so (Debian: libopenblas0-pthread). We look up cblas_sgemm.
// Reference (netlib) BLAS is refused unless named explicitly: it is slower than tfjs-wasm.
//
// JS API (all matrices row-major float32, views straight into the wasm heap, no copies):
//   info() -> { library, threads } | { error }
//   setThreads(n)
//   sgemm(transA, transB, M, N, K, A, B, C, batch, strideA, strideB, strideC, bias|null, relu)
//     for each batch i: C_i = op(A_i) op(B_i) (+ bias broadcast over rows) (then max(., 0) when relu)
//     op(A_i) is [M, K], op(B_i) is [K, N]; stride 0 broadcasts one matrix over the batch.
#include <node_api.h>
#include <dlfcn.h>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

enum Order { RowMajor = 101 };
enum Trans { NoTrans = 111, DoTrans = 112 };
typedef void (*sgemm_fn)(int order, int ta, int tb, int m, int n, int k, float alpha, const float* a, int lda,
                         const float* b, int ldb, float beta, float* c, int ldc);
typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);

sgemm_fn g_sgemm = nullptr;
set_threads_fn g_set_threads = nullptr;
get_threads_fn g_get_threads = nullptr;
std::string g_library;
std::string g_error;

void open_blas() {
  const char* env = std::getenv("RLHF_BLAS_LIB");
  const char* candidates[] = {env, "libopenblas.so.0", "libopenblas.so", nullptr};
  for (const char* name : candidates) {
    if (name == nullptr || name[0] == '\0') continue;
    void* h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      g_error += std::string(dlerror()) + "; ";
      continue;
    }
    auto f = reinterpret_cast<sgemm_fn>(dlsym(h, "cblas_sgemm"));
    if (!f) {
      g_error += std::string(name) + " has no cblas_sgemm; ";
      dlclose(h);
      continue;
    }
    g_sgemm = f;
    g_set_threads = reinterpret_cast<set_threads_fn>(dlsym(h, "openblas_set_num_threads"));
    g_get_threads = reinterpret_cast<get_threads_fn>(dlsym(h, "openblas_get_num_threads"));
    g_library = name;
    return;
  }
}

#define CHECK(call)                                             \
  do {                                                          \
    if ((call) != napi_ok) {                                    \
      napi_throw_error(env, nullptr, "rlhf_blas: " #call " failed"); \
      return nullptr;                                           \
    }                                                           \
  } while (0)

bool get_f32(napi_env env, napi_value v, float** data, size_t* len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return false;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  void* p;
  if (napi_get_typedarray_info(env, v, &type, len, &p, &ab, &offset) != napi_ok) return false;
  if (type != napi_float32_array) return false;
  *data = static_cast<float*>(p);
  return true;
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, v;
  CHECK(napi_create_object(env, &obj));
  if (!g_sgemm) {
    CHECK(napi_create_string_utf8(env, g_error.c_str(), NAPI_AUTO_LENGTH, &v));
    CHECK(napi_set_named_property(env, obj, "error", v));
    return obj;
  }
  CHECK(napi_create_string_utf8(env, g_library.c_str(), NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, obj, "library", v));
  CHECK(napi_create_int32(env, g_get_threads ? g_get_threads() : -1, &v));
  CHECK(napi_set_named_property(env, obj, "threads", v));
  return obj;
}

napi_value SetThreads(napi_env env, napi_callback_info cb) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr));
  int32_t n = 0;
  CHECK(napi_get_value_int32(env, argv[0], &n));
  if (g_set_threads && n > 0) g_set_threads(n);
  return nullptr;
}

napi_value Sgemm(napi_env env, napi_callback_info cb) {
  size_t argc = 14;
  napi_value argv[14];
  CHECK(napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr));
  if (argc < 14) {
    napi_throw_type_error(env, nullptr, "rlhf_blas.sgemm: expected 14 arguments");
    return nullptr;
  }
  if (!g_sgemm) {
    napi_throw_error(env, nullptr, "rlhf_blas.sgemm: no BLAS library loaded");
    return nullptr;
  }
  bool ta, tb, relu;
  int32_t M, N, K, batch, sa, sb, sc;
  CHECK(napi_get_value_bool(env, argv[0], &ta));
  CHECK(napi_get_value_bool(env, argv[1], &tb));
  CHECK(napi_get_value_int32(env, argv[2], &M));
  CHECK(napi_get_value_int32(env, argv[3], &N));
  CHECK(napi_get_value_int32(env, argv[4], &K));
  float *A, *B, *C, *bias = nullptr;
  size_t la, lb, lc, lbias = 0;
  if (!get_f32(env, argv[5], &A, &la) || !get_f32(env, argv[6], &B, &lb) || !get_f32(env, argv[7], &C, &lc)) {
    napi_throw_type_error(env, nullptr, "rlhf_blas.sgemm: A, B and C must be Float32Arrays");
    return nullptr;
  }
  CHECK(napi_get_value_int32(env, argv[8], &batch));
  CHECK(napi_get_value_int32(env, argv[9], &sa));
  CHECK(napi_get_value_int32(env, argv[10], &sb));
  CHECK(napi_get_value_int32(env, argv[11], &sc));
  napi_valuetype bt;
  CHECK(napi_typeof(env, argv[12], &bt));
  if (bt != napi_null && bt != napi_undefined && !get_f32(env, argv[12], &bias, &lbias)) {
    napi_throw_type_error(env, nullptr, "rlhf_blas.sgemm: bias must be a Float32Array or null");
    return nullptr;
  }
  CHECK(napi_get_value_bool(env, argv[13], &relu));
  // bounds: the last batch's matrices must lie inside the arrays
  const size_t lastA = static_cast<size_t>(batch - 1) * sa + static_cast<size_t>(M) * K;
  const size_t lastB = static_cast<size_t>(batch - 1) * sb + static_cast<size_t>(K) * N;
  const size_t lastC = static_cast<size_t>(batch - 1) * sc + static_cast<size_t>(M) * N;
  if (M < 0 || N < 0 || K < 0 || batch < 1 || lastA > la || lastB > lb || lastC > lc || (bias && lbias < static_cast<size_t>(N))) {
    napi_throw_range_error(env, nullptr, "rlhf_blas.sgemm: dimensions exceed the arrays");
    return nullptr;
  }
  const int lda = ta ? M : K;
  const int ldb = tb ? K : N;
  for (int i = 0; i < batch; i++) {
    float* c = C + static_cast<size_t>(i) * sc;
    float beta = 0.0f;
    if (bias) {
      for (int r = 0; r < M; r++) std::memcpy(c + static_cast<size_t>(r) * N, bias, sizeof(float) * N);
      beta = 1.0f;
    }
    if (K == 0) {
      if (!bias) std::memset(c, 0, sizeof(float) * M * N);
    } else {
      g_sgemm(RowMajor, ta ? DoTrans : NoTrans, tb ? DoTrans : NoTrans, M, N, K, 1.0f, A + static_cast<size_t>(i) * sa, lda,
              B + static_cast<size_t>(i) * sb, ldb, beta, c, N);
    }
    if (relu)
      for (size_t j = 0; j < static_cast<size_t>(M) * N; j++) c[j] = c[j] > 0.0f ? c[j] : 0.0f;
  }
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  open_blas();
  napi_property_descriptor props[] = {
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgemm", nullptr, Sgemm, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
