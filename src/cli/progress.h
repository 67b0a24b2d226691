/* progress.h: a progress bar on stderr for long work; silent unless stderr
 * is a terminal, so logs and CI output stay clean. */
#ifndef TR_PROGRESS_H
#define TR_PROGRESS_H

#include <stdint.h>

typedef struct tr_progress {
    const char *label;
    uint64_t total, done;
    int enabled;
    int last_permille;
} tr_progress;

void tr_progress_start(tr_progress *p, const char *label, uint64_t total);
void tr_progress_add(tr_progress *p, uint64_t n);
void tr_progress_finish(tr_progress *p);

#endif
