{
  # CPU-only build of the same sources for machines without CMake: `node-gyp rebuild` in this folder.
  # Sources are listed by globbing so a new kernel needs no edit here (as in CMakeLists.txt).
  "targets": [
    {
      "target_name": "graft_avx2",
      "type": "static_library",
      "sources": ["<!@(node -p \"require('fs').readdirSync('src/cpu').filter(f=>f.endsWith('_avx2.cc')).map(f=>'src/cpu/'+f).join(' ')\")"],
      "include_dirs": ["include", "src", "<!(node -p \"require('node-addon-api').include_dir\")"],
      "cflags_cc": ["-std=c++17", "-O3", "-fPIC", "-mavx2", "-mfma", "-mf16c", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"]
    },
    {
      "target_name": "graft_avx512",
      "type": "static_library",
      "sources": ["<!@(node -p \"require('fs').readdirSync('src/cpu').filter(f=>f.endsWith('_avx512.cc')).map(f=>'src/cpu/'+f).join(' ')\")"],
      "include_dirs": ["include", "src", "<!(node -p \"require('node-addon-api').include_dir\")"],
      "cflags_cc": ["-std=c++17", "-O3", "-fPIC", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mavx2", "-mfma", "-mf16c", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"]
    },
    {
      "target_name": "graft",
      "dependencies": ["graft_avx2", "graft_avx512"],
      "sources": [
        "<!@(node -p \"['common','ref','binding','cuda_stub'].flatMap(d=>require('fs').readdirSync('src/'+d).filter(f=>f.endsWith('.cc')).map(f=>'src/'+d+'/'+f)).join(' ')\")",
        "<!@(node -p \"require('fs').readdirSync('src/cpu').filter(f=>f.endsWith('.cc')&&!f.endsWith('_avx2.cc')&&!f.endsWith('_avx512.cc')).map(f=>'src/cpu/'+f).join(' ')\")"
      ],
      "include_dirs": ["include", "src", "<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "libraries": ["-lpthread"]
    }
  ]
}
