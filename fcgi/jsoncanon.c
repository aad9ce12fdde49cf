/* One text for every spelling of the same JSON value: what a retry's body is compared by. */

#include "jsoncanon.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/printbuf.h>

static int jsoncanon_emit(struct printbuf *pb, json_object *o);
static int jsoncanon_key_cmp(const void *a, const void *b);

static int
jsoncanon_key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * Append o to pb: objects with their members in byte order of their
 * names, no space anywhere, scalars as json-c writes them (one escape
 * for each string, integers in decimal). Returns 0, or -1 when out of
 * memory.
 */
static int
jsoncanon_emit(struct printbuf *pb, json_object *o)
{
    const char **keys;
    const char  *text;
    json_object *v, *name;
    size_t       i, n;
    int          rc = 0;

    switch (json_object_get_type(o)) {
    case json_type_object:
        n = (size_t) json_object_object_length(o);
        if ((keys = malloc((n > 0 ? n : 1) * sizeof(*keys))) == NULL)
            return -1;
        i = 0;
        json_object_object_foreach(o, key, val) {
            (void) val;
            keys[i++] = key;
        }
        qsort(keys, n, sizeof(*keys), jsoncanon_key_cmp);
        printbuf_strappend(pb, "{");
        for (i = 0; i < n && rc == 0; i++) {
            if (i > 0)
                printbuf_strappend(pb, ",");
            /* the name, escaped as a string value is */
            name = json_object_new_string(keys[i]);
            rc = name == NULL ? -1 : jsoncanon_emit(pb, name);
            json_object_put(name);
            printbuf_strappend(pb, ":");
            v = NULL;
            json_object_object_get_ex(o, keys[i], &v);
            if (rc == 0)
                rc = jsoncanon_emit(pb, v);
        }
        printbuf_strappend(pb, "}");
        free(keys);
        return rc;
    case json_type_array:
        printbuf_strappend(pb, "[");
        n = json_object_array_length(o);
        for (i = 0; i < n && rc == 0; i++) {
            if (i > 0)
                printbuf_strappend(pb, ",");
            rc = jsoncanon_emit(pb, json_object_array_get_idx(o, i));
        }
        printbuf_strappend(pb, "]");
        return rc;
    default:
        /* null (o == NULL) and the scalars: json-c's one way */
        text = json_object_to_json_string_ext(o,
            JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        return printbuf_memappend(pb, text, (int) strlen(text)) < 0 ? -1 : 0;
    }
}

/*
 * The canonical text of o (malloc'd, the caller frees it), or NULL when
 * out of memory: two bodies that hold the same members with the same
 * values, in any order and with any spacing or escaping, give the same
 * text. An Idempotency-Key's replay compares requests by it, so that a
 * client that builds its body again on a retry is not refused.
 */
char *
json_canonical(json_object *o)
{
    struct printbuf *pb = printbuf_new();
    char            *text = NULL;

    if (pb == NULL)
        return NULL;
    if (jsoncanon_emit(pb, o) == 0)
        text = strdup(pb->buf);
    printbuf_free(pb);
    return text;
}
