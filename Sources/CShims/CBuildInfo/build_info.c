#include "build_info.h"
#ifndef VGG_GIT_COMMIT
#define VGG_GIT_COMMIT ""
#endif
const char *vgg_build_commit(void) { return VGG_GIT_COMMIT; }
