#ifndef VGG_BUILD_INFO_H
#define VGG_BUILD_INFO_H
/* The git commit the binary was built from, or "" when the build was not told
   (scripts/install.sh passes -Xcc -DVGG_GIT_COMMIT="<hash>[-dirty]"). */
const char *vgg_build_commit(void);
#endif
