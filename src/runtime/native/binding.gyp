{
  "targets": [
    {
      "target_name": "metallb_native",
      "sources": ["src/addon.c", "src/jsutil.c", "src/packet.c", "src/links.c", "src/md5.c", "src/tcp.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
