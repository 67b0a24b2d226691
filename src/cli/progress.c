/* progress.c: a one-line progress bar redrawn with '\r' on a terminal. */
#include "cli/progress.h"

#include <stdio.h>
#include <unistd.h>

static void draw(const tr_progress *p, int permille)
{
    enum { WIDTH = 30 };
    int fill = permille * WIDTH / 1000;
    fprintf(stderr, "\r%s [", p->label);
    for (int i = 0; i < WIDTH; i++)
        fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %3d%%", permille / 10);
    fflush(stderr);
}

void tr_progress_start(tr_progress *p, const char *label, uint64_t total)
{
    p->label = label;
    p->total = total ? total : 1;
    p->done = 0;
    p->enabled = isatty(2);
    p->last_permille = -1;
}

void tr_progress_add(tr_progress *p, uint64_t n)
{
    p->done += n;
    if (!p->enabled)
        return;
    int permille = (int)(p->done * 1000 / p->total);
    if (permille > 1000)
        permille = 1000;
    if (permille / 5 != p->last_permille / 5) { /* redraw every 0.5% */
        p->last_permille = permille;
        draw(p, permille);
    }
}

void tr_progress_finish(tr_progress *p)
{
    if (!p->enabled)
        return;
    draw(p, 1000);
    fputc('\n', stderr);
}
