/* service.h: the API service of `trader run`: the HTTP server (http.h)
 * carrying the REST API (api.h), the WebSocket stream of events, the key
 * store and the metrics, started around a live run.
 *
 * The stream follows the journal on its own thread: every record the
 * engine journals (bars, signals, orders, fills, equity, alerts, controls)
 * is published as JSON to the channel it belongs to, so a slow dashboard
 * never touches the engine. Channels: bars, signals, orders, fills,
 * positions (the position after each fill), portfolio (equity after each
 * step), risk (alerts, halts, resumes), logs (info and above; the latest
 * 500 lines are also kept for GET /api/v1/logs).
 *
 * Threads: start and stop from the main thread; everything else runs on
 * the service's own threads. */
#ifndef TR_SERVICE_H
#define TR_SERVICE_H

#include "api/metrics.h"
#include "engine/backtest.h"
#include "engine/command.h"
#include "engine/view.h"

typedef struct tr_service tr_service;

/* Open the key store (creating it), build the API and listen on
 * cfg->api. view and q are borrowed until tr_service_stop; metrics may be
 * NULL. TR_ERR_IO (cannot bind, key store unreadable), TR_ERR_INVALID,
 * TR_ERR_NOMEM, with a message in err. */
int tr_service_start(const tr_bt_config *cfg, tr_view *view, tr_cmdq *q,
                     tr_metrics *metrics, tr_service **out, char *err,
                     size_t errlen);

/* The port listened on (the chosen one when the config said 0). */
int tr_service_port(const tr_service *s);

/* Stop serving, join every thread, free everything. NULL is fine. */
void tr_service_stop(tr_service *s);

#endif
