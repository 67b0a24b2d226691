/* api_keys.c: API keys managed over the API by admins: list, create (the
 * key is shown once), revoke. The same store as `trader keys`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/err.h"

static void write_key(tr_jw *w, const tr_key_info *k)
{
    tr_jw_kstr(w, "id", k->id);
    tr_jw_kstr(w, "name", k->name);
    tr_jw_kstr(w, "role", tr_role_name(k->role));
    tr_jw_ktime(w, "created_at", k->created_at);
    tr_jw_ktime(w, "last_used_at", k->last_used_at);
    tr_jw_ktime(w, "revoked_at", k->revoked_at);
}

void tr__api_keys(tr_api *a, const tr_api_request *req, const tr_key_info *who,
                  const char (*seg)[96], tr_api_response *r)
{
    (void)req, (void)who, (void)seg;
    tr_key_info *v = NULL;
    size_t n = 0;
    char err[256];
    if (tr_keys_list(a->d.keys, &v, &n, err, sizeof err) != TR_OK) {
        tr__api_error(r, 503, "unavailable", err, NULL);
        return;
    }
    tr_jw w;
    tr_jw_init(&w);
    tr_jw_obj(&w);
    tr_jw_key(&w, "keys");
    tr_jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        tr_jw_obj(&w);
        write_key(&w, &v[i]);
        tr_jw_end(&w);
    }
    tr_jw_end(&w);
    tr_jw_end(&w);
    free(v);
    tr__api_json(r, 200, &w);
}

void tr__api_key_post(tr_api *a, const tr_api_request *req,
                      const tr_key_info *who, const char (*seg)[96],
                      tr_api_response *r)
{
    (void)who, (void)seg;
    json_t *b = tr__api_body(req, r);
    if (!b)
        return;
    const char *role_s = NULL, *name = NULL;
    tr_role role;
    char err[256];
    if (!tr__api_only_fields(b, (const char *[]){"role", "name", NULL}, r) ||
        !tr__api_str_field(b, "role", 1, &role_s, r) ||
        !tr__api_str_field(b, "name", 0, &name, r))
        goto out;
    if (tr_role_parse(role_s, &role, err, sizeof err) != TR_OK) {
        tr__api_error(r, 422, "invalid", err, "role");
        goto out;
    }
    if (name && tr_key_name_check(name, err, sizeof err) != TR_OK) {
        tr__api_error(r, 422, "invalid", err, "name");
        goto out;
    }
    char key[TR_KEY_LEN + 1];
    tr_key_info info;
    int rc = tr_keys_create(a->d.keys, role, name, tr_time_now(), key,
                            &info, err, sizeof err);
    if (rc == TR_ERR_INVALID) {
        tr__api_error(r, 409, "conflict", err, "name");
        goto out;
    }
    if (rc != TR_OK) {
        tr__api_error(r, 503, "unavailable", err, NULL);
        goto out;
    }
    tr_jw w;
    tr_jw_init(&w);
    tr_jw_obj(&w);
    tr_jw_kstr(&w, "key", key);
    write_key(&w, &info);
    tr_jw_kstr(&w, "warning", "copy the key now: it is not stored and "
               "cannot be shown again");
    tr_jw_end(&w);
    memset(key, 0, sizeof key);
    tr__api_json(r, 201, &w);
out:
    json_decref(b);
}

void tr__api_key_delete(tr_api *a, const tr_api_request *req,
                        const tr_key_info *who, const char (*seg)[96],
                        tr_api_response *r)
{
    (void)req;
    if (!strcmp(seg[1], who->id)) {
        tr__api_error(r, 409, "conflict", "this is the key of this request: "
                      "revoke it with another admin key or `trader keys "
                      "revoke`", NULL);
        return;
    }
    tr_key_info info;
    char err[256];
    int rc = tr_keys_revoke(a->d.keys, seg[1], tr_time_now(), &info, err,
                            sizeof err);
    if (rc == TR_ERR_NOT_FOUND || rc == TR_ERR_INVALID) {
        tr__api_error(r, 404, "not_found", err, NULL);
        return;
    }
    if (rc != TR_OK) {
        tr__api_error(r, 503, "unavailable", err, NULL);
        return;
    }
    tr_jw w;
    tr_jw_init(&w);
    tr_jw_obj(&w);
    write_key(&w, &info);
    tr_jw_end(&w);
    tr__api_json(r, 200, &w);
}
