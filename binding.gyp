{
  "targets": [
    {
      "target_name": "losslab_kernels",
      "sources": [
        "main/engine/backends/native/addon.c",
        "main/engine/backends/native/gemm.c",
        "main/engine/backends/native/patch-filter-grad.c",
        "main/engine/backends/native/relu.c",
        "main/engine/backends/native/batch-norm.c",
        "main/engine/backends/native/threads.c",
        "main/engine/backends/native/winograd.c",
        "main/engine/backends/native/winograd-filter.c"
      ],
      "cflags": ["-O3", "-std=gnu11", "-ffp-contract=off", "-fno-fast-math", "-Wno-psabi"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-O3", "-ffp-contract=off", "-fno-fast-math"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "AdditionalOptions": ["/fp:precise"] }
      }
    }
  ]
}
