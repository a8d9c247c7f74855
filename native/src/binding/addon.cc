// The addon's entry point: every binding file registered itself with GRAFT_BINDING; this runs them.
#include <napi.h>

#include "binding/util.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Object ref = Napi::Object::New(env);
  for (auto& [name, register_fn] : graft::binding::registry()) register_fn(env, exports, ref);
  exports.Set("ref", ref);
  return exports;
}

}  // namespace

NODE_API_MODULE(graft, Init)
