{
  "targets": [
    {
      "target_name": "rlhf_blas",
      "sources": ["src/blas.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-exceptions"],
      "libraries": ["-ldl"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
