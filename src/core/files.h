/* files.h: small file-system helpers shared by the commands and writers. */
#ifndef TR_FILES_H
#define TR_FILES_H

/* Create a folder and its parents (like mkdir -p). 0, or -1 with errno. */
int tr_mkdir_p(const char *dir);

#endif
