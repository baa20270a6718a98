/*
 * Native decoder for serialized OTLP ExportTraceServiceRequest bodies.
 *
 * It reads the protobuf wire format directly and builds the same RawSpan /
 * RawEvent / RawLink objects that genlens.pipeline.decode.decode_spans builds from a
 * message parsed by upb, skipping the per-attribute round trips through the
 * upb Python wrappers.  The rules it must match are upb's, not the spec's
 * wording: unknown fields and known fields with an unexpected wire type are
 * skipped, the last occurrence of a singular field wins, nested messages may
 * be at most 100 levels deep, and every proto3 string field must be valid
 * UTF-8 even when its value is never used.
 *
 * Every read is bounds-checked against the end of the enclosing message and
 * every recursion is bounded by that depth budget, so hostile bytes can only
 * produce a DecodeError.  The rare inputs that need protobuf's merge semantics
 * (an AnyValue or KeyValue.value carried twice and merged) make decode()
 * return None: the caller then takes the upb path, which defines the answer.
 *
 * Field numbers follow the OTLP .proto files (collector/trace/v1, trace/v1,
 * common/v1 and resource/v1 under opentelemetry/proto).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <string.h>

#define MAX_DEPTH 100      /* upb's default nesting limit, counted below the root */
#define MAX_VALUE_DEPTH 16 /* decode.MAX_VALUE_DEPTH: deeper values become a marker string */

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_SGROUP = 3, WT_EGROUP = 4, WT_I32 = 5 };

/* Message types, for validating fields that are not turned into Python values. */
enum { T_REQUEST, T_RSPANS, T_RESOURCE, T_ENTITY, T_SSPANS, T_SCOPE, T_SPAN, T_EVENT, T_LINK,
       T_STATUS, T_KV, T_ANY, T_ARRAY, T_KVLIST, T_COUNT };
enum { K_NONE, K_VARINT, K_I64, K_I32, K_BYTES, K_STR, K_MSG };

typedef struct { uint8_t kind, sub; } FieldKind;
#define MAX_FIELD 16
#define S {K_STR, 0}
#define B {K_BYTES, 0}
#define V {K_VARINT, 0}
#define D {K_I64, 0}
#define F {K_I32, 0}
#define M(t) {K_MSG, t}
static const FieldKind SCHEMA[T_COUNT][MAX_FIELD + 1] = {
    [T_REQUEST] = {[1] = M(T_RSPANS)},
    [T_RSPANS] = {[1] = M(T_RESOURCE), [2] = M(T_SSPANS), [3] = S},
    [T_RESOURCE] = {[1] = M(T_KV), [2] = V, [3] = M(T_ENTITY)},
    [T_ENTITY] = {[1] = S, [2] = S, [3] = S, [4] = S},
    [T_SSPANS] = {[1] = M(T_SCOPE), [2] = M(T_SPAN), [3] = S},
    [T_SCOPE] = {[1] = S, [2] = S, [3] = M(T_KV), [4] = V},
    [T_SPAN] = {[1] = B, [2] = B, [3] = S, [4] = B, [5] = S, [6] = V, [7] = D, [8] = D,
                [9] = M(T_KV), [10] = V, [11] = M(T_EVENT), [12] = V, [13] = M(T_LINK), [14] = V,
                [15] = M(T_STATUS), [16] = F},
    [T_EVENT] = {[1] = D, [2] = S, [3] = M(T_KV), [4] = V},
    [T_LINK] = {[1] = B, [2] = B, [3] = S, [4] = M(T_KV), [5] = V, [6] = F},
    [T_STATUS] = {[2] = S, [3] = V},
    [T_KV] = {[1] = S, [2] = M(T_ANY), [3] = V},
    [T_ANY] = {[1] = S, [2] = V, [3] = V, [4] = D, [5] = M(T_ARRAY), [6] = M(T_KVLIST), [7] = B, [8] = V},
    [T_ARRAY] = {[1] = M(T_ANY)},
    [T_KVLIST] = {[1] = M(T_KV)},
};
#undef S
#undef B
#undef V
#undef D
#undef F
#undef M
static const uint8_t WIRE_OF_KIND[] = {[K_VARINT] = WT_VARINT, [K_I64] = WT_I64, [K_I32] = WT_I32,
                                       [K_BYTES] = WT_LEN, [K_STR] = WT_LEN, [K_MSG] = WT_LEN};

static PyObject *DecodeError;   /* _fastotlp.DecodeError */
static PyObject *TRUNC_MARK;    /* "…[truncated " */
static PyObject *TOO_DEEP;      /* "[nested too deeply]" */

/*
 * Builds RawSpan / RawEvent / RawLink objects.  For a slots dataclass whose __init__ only
 * stores its arguments (the caller checks that and passes the field names),
 * storing straight into the slots gives the same object without running the
 * generated Python __init__, which would otherwise be a tenth of the cost.
 */
#define MAX_SLOTS 16
typedef struct {
    PyObject *cls;
    int direct;
    Py_ssize_t offsets[MAX_SLOTS];
} Maker;

static int maker_init(Maker *m, PyObject *cls, PyObject *names, Py_ssize_t n) {
    m->cls = cls;
    m->direct = 0;
    if (names == Py_None || !PyType_Check(cls) || !PyTuple_Check(names) || PyTuple_GET_SIZE(names) != n)
        return 0;
    PyTypeObject *type = (PyTypeObject *)cls;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *d = PyDict_GetItemWithError(type->tp_dict, PyTuple_GET_ITEM(names, i));
        if (!d) return PyErr_Occurred() ? -1 : 0;
        if (!Py_IS_TYPE(d, &PyMemberDescr_Type) || ((PyMemberDescrObject *)d)->d_member->type != T_OBJECT_EX ||
            ((PyMemberDescrObject *)d)->d_member->flags & READONLY)
            return 0;
        m->offsets[i] = ((PyMemberDescrObject *)d)->d_member->offset;
    }
    m->direct = 1;
    return 0;
}

/* cls(*args) for `n` borrowed arguments. */
static PyObject *maker_new(Maker *m, PyObject **args, Py_ssize_t n) {
    if (!m->direct) return PyObject_Vectorcall(m->cls, args, n, NULL);
    PyTypeObject *type = (PyTypeObject *)m->cls;
    PyObject *obj = type->tp_alloc(type, 0);
    if (!obj) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) *(PyObject **)((char *)obj + m->offsets[i]) = Py_NewRef(args[i]);
    return obj;
}

typedef struct {
    Py_ssize_t max_chars;
    uint64_t min_start, max_start, max_duration; /* bounds of decode.check_time */
    Py_ssize_t max_links;                        /* decode.MAX_LINKS: links kept per span */
    Maker span, event, link;
    PyObject *spans, *rejected;
    int fallback; /* set (without an exception) when only upb's merge semantics give the answer */
} Ctx;

/* One field as read off the wire; group fields are already skipped. */
typedef struct {
    uint32_t num;
    int wt;
    uint64_t v;                   /* varint, fixed64 or fixed32 payload */
    const uint8_t *data;          /* length-delimited payload */
    Py_ssize_t len;
} Field;

typedef struct { const uint8_t *p; Py_ssize_t n; int set; } Slice;

static int bad(const char *why) {
    PyErr_SetString(DecodeError, why);
    return -1;
}

static int need_fallback(Ctx *c) {
    c->fallback = 1;
    return -1;
}

/* Varint of at most `maxlen` bytes; bits past 64 are dropped, as upb does. */
static int read_varint(const uint8_t **pp, const uint8_t *end, int maxlen, uint64_t *out) {
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (int i = 0; i < maxlen; i++) {
        if (p >= end) return bad("truncated varint");
        uint8_t b = *p++;
        if (i < 10) v |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return 0;
        }
    }
    return bad("varint too long");
}

static int read_tag(const uint8_t **pp, const uint8_t *end, uint32_t *num, int *wt) {
    uint64_t tag;
    if (read_varint(pp, end, 5, &tag) < 0) return -1;
    if (tag > UINT32_MAX || (tag >> 3) == 0) return bad("invalid tag");
    *num = (uint32_t)(tag >> 3);
    *wt = (int)(tag & 7);
    return 0;
}

static int skip_group(const uint8_t **pp, const uint8_t *end, uint32_t num, int depth);

/* Read the value of a field whose tag was just read; groups are skipped whole. */
static int read_value(const uint8_t **pp, const uint8_t *end, Field *f, int depth) {
    const uint8_t *p = *pp;
    switch (f->wt) {
    case WT_VARINT:
        return read_varint(pp, end, 10, &f->v);
    case WT_I64:
    case WT_I32: {
        Py_ssize_t n = f->wt == WT_I64 ? 8 : 4;
        if (end - p < n) return bad("truncated fixed-size field");
        uint64_t v = 0;
        for (Py_ssize_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
        f->v = v;
        *pp = p + n;
        return 0;
    }
    case WT_LEN: {
        uint64_t n;
        if (read_varint(&p, end, 5, &n) < 0) return -1;
        if (n > (uint64_t)(end - p)) return bad("length past end of message");
        f->data = p;
        f->len = (Py_ssize_t)n;
        *pp = p + n;
        return 0;
    }
    case WT_SGROUP:
        return skip_group(pp, end, f->num, depth - 1);
    default:
        return bad("unexpected wire type");
    }
}

/* Skip an unknown group up to its matching end tag; a group counts as one level of nesting. */
static int skip_group(const uint8_t **pp, const uint8_t *end, uint32_t num, int depth) {
    if (depth < 0) return bad("nesting too deep");
    while (*pp < end) {
        Field f;
        if (read_tag(pp, end, &f.num, &f.wt) < 0) return -1;
        if (f.wt == WT_EGROUP) return f.num == num ? 0 : bad("mismatched end group");
        if (read_value(pp, end, &f, depth) < 0) return -1;
    }
    return bad("unterminated group");
}

/* next_field beyond its fast path: any tag, any field. */
static int next_field_slow(const uint8_t **pp, const uint8_t *end, Field *f, int depth) {
    if (read_tag(pp, end, &f->num, &f->wt) < 0) return -1;
    if (f->wt == WT_EGROUP) return bad("end group outside a group");
    return read_value(pp, end, f, depth) < 0 ? -1 : 1;
}

/* Next field of the message ending at `end`; returns 1 for a field, 0 at the end, -1 on error. */
static inline __attribute__((always_inline)) int next_field(const uint8_t **pp, const uint8_t *end, Field *f,
                                                            int depth) {
    const uint8_t *p = *pp;
    if (p >= end) return 0;
    /* Fast path for the common case: a one-byte tag and a one-byte length or varint. */
    if (end - p >= 2 && p[0] >= 8 && p[0] < 0x80 && p[1] < 0x80) {
        int wt = p[0] & 7;
        if (wt == WT_LEN && p[1] <= end - p - 2) {
            f->num = p[0] >> 3;
            f->wt = wt;
            f->data = p + 2;
            f->len = p[1];
            *pp = p + 2 + p[1];
            return 1;
        }
        if (wt == WT_VARINT) {
            f->num = p[0] >> 3;
            f->wt = wt;
            f->v = p[1];
            *pp = p + 2;
            return 1;
        }
    }
    return next_field_slow(pp, end, f, depth);
}

/* Strict UTF-8 check (no overlongs, surrogates or code points past U+10FFFF), as upb requires. */
static int utf8_valid(const uint8_t *s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    while (i < n) {
        uint8_t b = s[i];
        if (b < 0x80) { i++; continue; }
        int extra;
        uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the first continuation byte */
        if (b >= 0xC2 && b <= 0xDF) extra = 1;
        else if (b >= 0xE0 && b <= 0xEF) {
            extra = 2;
            if (b == 0xE0) lo = 0xA0;
            if (b == 0xED) hi = 0x9F;
        } else if (b >= 0xF0 && b <= 0xF4) {
            extra = 3;
            if (b == 0xF0) lo = 0x90;
            if (b == 0xF4) hi = 0x8F;
        } else return 0;
        if (n - i <= extra) return 0;
        if (s[i + 1] < lo || s[i + 1] > hi) return 0;
        for (int k = 2; k <= extra; k++)
            if ((s[i + k] & 0xC0) != 0x80) return 0;
        i += extra + 1;
    }
    return 1;
}

static int check_utf8(const uint8_t *s, Py_ssize_t n) {
    return utf8_valid(s, n) ? 0 : bad("string field had bad UTF-8");
}

static int validate(int type, const uint8_t *p, const uint8_t *end, int depth);

/* Validate a field the caller does not turn into a value (strings and nested messages only). */
static int check_field(int type, const Field *f, int depth) {
    if (f->num > MAX_FIELD || f->wt != WT_LEN) return 0;
    FieldKind k = SCHEMA[type][f->num];
    if (k.kind == K_STR) return check_utf8(f->data, f->len);
    if (k.kind == K_MSG) return validate(k.sub, f->data, f->data + f->len, depth - 1);
    return 0;
}

/* Walk a message only to find what upb would reject in it. */
static int validate(int type, const uint8_t *p, const uint8_t *end, int depth) {
    if (depth < 0) return bad("nesting too deep");
    Field f;
    int r;
    while ((r = next_field(&p, end, &f, depth)) > 0)
        if (check_field(type, &f, depth) < 0) return -1;
    return r;
}

/* Keep the last occurrence of a singular string field; earlier ones must still be valid UTF-8. */
static int take_str(Slice *s, const Field *f) {
    if (s->set && check_utf8(s->p, s->n) < 0) return -1;
    s->p = f->data;
    s->n = f->len;
    s->set = 1;
    return 0;
}

static PyObject *truncated(Ctx *c, PyObject *text) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (n <= c->max_chars) return text;
    PyObject *head = PyUnicode_Substring(text, 0, c->max_chars);
    PyObject *out = head ? PyUnicode_FromFormat("%U%U%zd chars]", head, TRUNC_MARK, n - c->max_chars) : NULL;
    Py_XDECREF(head);
    Py_DECREF(text);
    return out;
}

/*
 * Attribute keys and many short values (models, providers, operation names)
 * repeat in every span: a direct-mapped cache of short ASCII strings hands out
 * the same str object, with its hash already computed, instead of decoding and
 * hashing each copy.  Its size is fixed, so its memory is bounded.
 */
#define CACHE_SLOTS 4096
#define CACHE_MAX_LEN 48
static PyObject *str_cache[CACHE_SLOTS];

static PyObject *decode_utf8(const uint8_t *p, Py_ssize_t n) {
    if (n == 0) return PyUnicode_New(0, 0); /* an absent field: p may be NULL */
    if (n > CACHE_MAX_LEN) return PyUnicode_DecodeUTF8((const char *)p, n, NULL);
    /* A cheap hash of the length and the first, middle and last eight bytes; a collision only costs a miss. */
    uint64_t a = 0, m = 0, z = 0;
    if (n >= 8) {
        memcpy(&a, p, 8);
        memcpy(&m, p + n / 2 - 4, 8);
        memcpy(&z, p + n - 8, 8);
    } else {
        for (Py_ssize_t i = 0; i < n; i++) a = a << 8 | p[i];
    }
    uint64_t h = (a * 0x9E3779B97F4A7C15ull) ^ ((m + (uint64_t)n) * 0xC2B2AE3D27D4EB4Full) ^ (z * 0x165667B19E3779F9ull);
    PyObject **slot = &str_cache[(h >> 40) & (CACHE_SLOTS - 1)];
    PyObject *s = *slot;
    /* Only ASCII strings are cached, so their characters are the bytes. */
    if (s && PyUnicode_GET_LENGTH(s) == n && memcmp(PyUnicode_1BYTE_DATA(s), p, n) == 0) return Py_NewRef(s);
    s = PyUnicode_DecodeUTF8((const char *)p, n, NULL);
    if (s && PyUnicode_IS_ASCII(s) && PyObject_Hash(s) != -1) Py_XSETREF(*slot, Py_NewRef(s));
    return s;
}

/* A str from UTF-8 bytes (DecodeError when invalid), optionally cut to max_chars. */
static PyObject *make_str(Ctx *c, const uint8_t *p, Py_ssize_t n, int cut) {
    PyObject *s = decode_utf8(p, n);
    if (!s) {
        if (PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
            PyErr_Clear();
            bad("string field had bad UTF-8");
        }
        return NULL;
    }
    return cut && n > c->max_chars ? truncated(c, s) : s;
}

static PyObject *make_hex(const uint8_t *p, Py_ssize_t n) {
    static const char digits[] = "0123456789abcdef";
    PyObject *s = PyUnicode_New(2 * n, 127);
    if (!s) return NULL;
    Py_UCS1 *out = PyUnicode_1BYTE_DATA(s);
    for (Py_ssize_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    return s;
}

static PyObject *make_base64(Ctx *c, const uint8_t *p, Py_ssize_t n) {
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    PyObject *s = PyUnicode_New((n + 2) / 3 * 4, 127);
    if (!s) return NULL;
    Py_UCS1 *out = PyUnicode_1BYTE_DATA(s);
    Py_ssize_t i = 0;
    for (; n - i >= 3; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *out++ = abc[v >> 18];
        *out++ = abc[(v >> 12) & 63];
        *out++ = abc[(v >> 6) & 63];
        *out++ = abc[v & 63];
    }
    if (n - i) {
        uint32_t v = (uint32_t)p[i] << 16 | (n - i == 2 ? (uint32_t)p[i + 1] << 8 : 0);
        *out++ = abc[v >> 18];
        *out++ = abc[(v >> 12) & 63];
        *out++ = n - i == 2 ? abc[(v >> 6) & 63] : '=';
        *out++ = '=';
    }
    return truncated(c, s);
}

static int add_kv(Ctx *c, PyObject *dict, const uint8_t *p, const uint8_t *end, int vdepth, int depth);

/* ValueDecoder.value for one AnyValue message; `vdepth` is the `depth` argument there. */
static PyObject *any_value(Ctx *c, const uint8_t *p, const uint8_t *end, int vdepth, int depth) {
    if (depth < 0) return bad("nesting too deep"), NULL;
    uint32_t which = 0; /* oneof field number of the last value seen; 0 when none */
    uint64_t scalar = 0;
    Slice data = {0}; /* payload of a string, bytes, array or kvlist value */
    Field f;
    int r;
    while ((r = next_field(&p, end, &f, depth)) > 0) {
        int is_value = f.num >= 1 && f.num <= 8 && f.wt == WIRE_OF_KIND[SCHEMA[T_ANY][f.num].kind];
        if (!is_value) {
            if (check_field(T_ANY, &f, depth) < 0) return NULL;
            continue;
        }
        /* A new value replaces the previous one, which upb has still checked in full. */
        if (which == 1 && check_utf8(data.p, data.n) < 0) return NULL;
        if (which == 5 || which == 6) {
            if (f.num == which) return need_fallback(c), NULL; /* same submessage twice: merged */
            if (validate(which == 5 ? T_ARRAY : T_KVLIST, data.p, data.p + data.n, depth - 1) < 0)
                return NULL;
        }
        which = f.num;
        scalar = f.v;
        data.p = f.data;
        data.n = f.len;
    }
    if (r < 0) return NULL;
    switch (which) {
    case 1: return make_str(c, data.p, data.n, 1);
    case 2: return PyBool_FromLong(scalar != 0);
    case 3: return PyLong_FromLongLong((long long)scalar);
    case 4: {
        double d;
        memcpy(&d, &scalar, sizeof d);
        return PyFloat_FromDouble(d);
    }
    }
    if (vdepth >= MAX_VALUE_DEPTH) {
        if ((which == 5 || which == 6) &&
            validate(which == 5 ? T_ARRAY : T_KVLIST, data.p, data.p + data.n, depth - 1) < 0)
            return NULL;
        return Py_NewRef(TOO_DEEP);
    }
    if (which == 7) return make_base64(c, data.p, data.n);
    if (which != 5 && which != 6) Py_RETURN_NONE; /* unset, or string_value_strindex */
    /* array_value / kvlist_value: both hold `repeated <item> values = 1`. */
    PyObject *out = which == 5 ? PyList_New(0) : PyDict_New();
    if (!out) return NULL;
    const uint8_t *q = data.p, *qend = data.p + data.n;
    int sub = depth - 1;
    if (sub < 0) goto deep;
    while ((r = next_field(&q, qend, &f, sub)) > 0) {
        if (f.num != 1 || f.wt != WT_LEN) {
            if (check_field(which == 5 ? T_ARRAY : T_KVLIST, &f, sub) < 0) goto fail;
        } else if (which == 6) {
            if (add_kv(c, out, f.data, f.data + f.len, vdepth + 1, sub - 1) < 0) goto fail;
        } else {
            PyObject *item = any_value(c, f.data, f.data + f.len, vdepth + 1, sub - 1);
            if (!item || PyList_Append(out, item) < 0) {
                Py_XDECREF(item);
                goto fail;
            }
            Py_DECREF(item);
        }
    }
    if (r == 0) return out;
    goto fail;
deep:
    bad("nesting too deep");
fail:
    Py_DECREF(out);
    return NULL;
}

/* One KeyValue into `dict` (ValueDecoder.attributes / the kvlist branch of value). */
static int add_kv(Ctx *c, PyObject *dict, const uint8_t *p, const uint8_t *end, int vdepth, int depth) {
    if (depth < 0) return bad("nesting too deep");
    Slice key = {0}, value = {0};
    Field f;
    int r;
    while ((r = next_field(&p, end, &f, depth)) > 0) {
        if (f.num == 1 && f.wt == WT_LEN) {
            if (take_str(&key, &f) < 0) return -1;
        } else if (f.num == 2 && f.wt == WT_LEN) {
            if (value.set) return need_fallback(c); /* upb merges the two AnyValues */
            value.p = f.data;
            value.n = f.len;
            value.set = 1;
        } else if (check_field(T_KV, &f, depth) < 0) {
            return -1;
        }
    }
    if (r < 0) return -1;
    PyObject *k = make_str(c, key.p, key.n, 0);
    if (!k) return -1;
    PyObject *v;
    if (value.set) v = any_value(c, value.p, value.p + value.n, vdepth, depth - 1);
    else if (vdepth >= MAX_VALUE_DEPTH) v = Py_NewRef(TOO_DEEP);
    else v = Py_NewRef(Py_None);
    int rc = v ? PyDict_SetItem(dict, k, v) : -1;
    Py_DECREF(k);
    Py_XDECREF(v);
    return rc;
}

/* RawEvent(name, time_unix_nano, attributes) appended to `events`. */
static int add_event(Ctx *c, PyObject *events, const uint8_t *p, const uint8_t *end, int depth) {
    if (depth < 0) return bad("nesting too deep");
    Slice name = {0};
    uint64_t when = 0;
    PyObject *attrs = PyDict_New();
    if (!attrs) return -1;
    Field f;
    int r;
    while ((r = next_field(&p, end, &f, depth)) > 0) {
        if (f.num == 1 && f.wt == WT_I64) when = f.v;
        else if (f.num == 2 && f.wt == WT_LEN) r = take_str(&name, &f);
        else if (f.num == 3 && f.wt == WT_LEN) r = add_kv(c, attrs, f.data, f.data + f.len, 0, depth - 1);
        else r = check_field(T_EVENT, &f, depth);
        if (r < 0) break;
    }
    PyObject *args[3] = {NULL, NULL, attrs};
    int rc = -1;
    if (r == 0 && (args[0] = make_str(c, name.p, name.n, 0)) && (args[1] = PyLong_FromUnsignedLongLong(when))) {
        PyObject *event = maker_new(&c->event, args, 3);
        rc = event ? PyList_Append(events, event) : -1;
        Py_XDECREF(event);
    }
    Py_XDECREF(args[0]);
    Py_XDECREF(args[1]);
    Py_DECREF(attrs);
    return rc;
}

typedef struct {
    Slice trace_id, span_id, parent, name, status_message;
    int32_t kind, status_code;
    uint64_t start, end;
    PyObject *attributes, *events, *links;
    Py_ssize_t link_count;   /* Link messages seen, kept or not */
    uint32_t sender_dropped; /* Span.dropped_links_count */
} SpanParts;

static int read_status(SpanParts *s, const uint8_t *p, const uint8_t *end, int depth) {
    if (depth < 0) return bad("nesting too deep");
    Field f;
    int r;
    while ((r = next_field(&p, end, &f, depth)) > 0) {
        if (f.num == 2 && f.wt == WT_LEN) r = take_str(&s->status_message, &f);
        else if (f.num == 3 && f.wt == WT_VARINT) s->status_code = (int32_t)(uint32_t)f.v;
        else r = check_field(T_STATUS, &f, depth);
        if (r < 0) return -1;
    }
    return r;
}

static int all_zero(Slice s) {
    for (Py_ssize_t i = 0; i < s.n; i++)
        if (s.p[i]) return 0;
    return 1;
}

/*
 * One Link (decode._links): a RawLink appended to the span's links while fewer
 * than max_links are kept and its ids can be followed; otherwise only checked
 * the way upb checks it, and counted by the caller.
 */
static int add_link(Ctx *c, SpanParts *s, const uint8_t *p, const uint8_t *end, int depth) {
    s->link_count++;
    if ((s->links ? PyList_GET_SIZE(s->links) : 0) >= c->max_links) return validate(T_LINK, p, end, depth);
    if (depth < 0) return bad("nesting too deep");
    Slice trace_id = {0}, span_id = {0}, state = {0};
    PyObject *attrs = PyDict_New();
    if (!attrs) return -1;
    Field f;
    int r;
    while ((r = next_field(&p, end, &f, depth)) > 0) {
        if (f.num == 1 && f.wt == WT_LEN) trace_id.p = f.data, trace_id.n = f.len;
        else if (f.num == 2 && f.wt == WT_LEN) span_id.p = f.data, span_id.n = f.len;
        else if (f.num == 3 && f.wt == WT_LEN) r = take_str(&state, &f);
        else if (f.num == 4 && f.wt == WT_LEN) r = add_kv(c, attrs, f.data, f.data + f.len, 0, depth - 1);
        else r = check_field(T_LINK, &f, depth);
        if (r < 0) break;
    }
    int rc = r;
    if (r == 0 && trace_id.n == 16 && !all_zero(trace_id) && span_id.n == 8 && !all_zero(span_id)) {
        PyObject *args[4] = {make_hex(trace_id.p, 16), make_hex(span_id.p, 8), make_str(c, state.p, state.n, 1),
                             attrs};
        rc = -1;
        if (args[0] && args[1] && args[2] && (s->links || (s->links = PyList_New(0)))) {
            PyObject *link = maker_new(&c->link, args, 4);
            rc = link ? PyList_Append(s->links, link) : -1;
            Py_XDECREF(link);
        }
        for (int i = 0; i < 3; i++) Py_XDECREF(args[i]);
    } else if (r == 0 && state.set) {
        rc = check_utf8(state.p, state.n); /* the link is dropped, but upb checked its last trace_state */
    }
    Py_DECREF(attrs);
    return rc;
}

/* Which check of decode_spans a span fails (1 trace id, 2 span id, 3 parent, 4 times), or 0. */
static int span_problem(Ctx *c, const SpanParts *s) {
    if (s->trace_id.n != 16 || all_zero(s->trace_id)) return 1;
    if (s->span_id.n != 8 || all_zero(s->span_id)) return 2;
    if (s->parent.n && s->parent.n != 8) return 3;
    if (s->start < c->min_start || s->start > c->max_start || s->end < s->start ||
        s->end - s->start > c->max_duration)
        return 4;
    return 0;
}

/* Build the RawSpan (or the rejection record) for one parsed span. */
static int emit_span(Ctx *c, SpanParts *s, PyObject *resource, PyObject *scope_name) {
    int problem = span_problem(c, s);
    if (problem) {
        PyObject *name = make_str(c, s->name.p, s->name.n, 0);
        if (!name) return -1;
        /* check_utf8 for the status message: upb validated it even though the span is refused */
        if (s->status_message.set && check_utf8(s->status_message.p, s->status_message.n) < 0) {
            Py_DECREF(name);
            return -1;
        }
        PyObject *rec = Py_BuildValue("(iNKK)", problem, name, (unsigned long long)s->start,
                                      (unsigned long long)s->end);
        int rc = rec ? PyList_Append(c->rejected, rec) : -1;
        Py_XDECREF(rec);
        return rc;
    }
    PyObject *args[15] = {0};
    int has_parent = s->parent.n && !all_zero(s->parent);
    args[0] = make_hex(s->trace_id.p, 16);
    args[1] = make_hex(s->span_id.p, 8);
    args[2] = has_parent ? make_hex(s->parent.p, 8) : Py_NewRef(Py_None);
    args[3] = make_str(c, s->name.p, s->name.n, 1);
    args[4] = PyLong_FromLong(s->kind);
    args[5] = PyLong_FromUnsignedLongLong(s->start);
    args[6] = PyLong_FromUnsignedLongLong(s->end);
    args[7] = PyLong_FromLong(s->status_code);
    args[8] = make_str(c, s->status_message.p, s->status_message.n, 1);
    args[9] = Py_NewRef(s->attributes);
    args[10] = s->events ? Py_NewRef(s->events) : PyList_New(0);
    args[11] = Py_NewRef(resource);
    args[12] = Py_NewRef(scope_name);
    Py_ssize_t kept = s->links ? PyList_GET_SIZE(s->links) : 0;
    args[13] = s->links ? Py_NewRef(s->links) : PyList_New(0);
    args[14] = PyLong_FromUnsignedLongLong((unsigned long long)s->sender_dropped +
                                           (unsigned long long)(s->link_count - kept));
    int rc = -1;
    int complete = 1;
    for (int i = 0; i < 15; i++) complete &= args[i] != NULL;
    if (complete) {
        PyObject *span = maker_new(&c->span, args, 15);
        rc = span ? PyList_Append(c->spans, span) : -1;
        Py_XDECREF(span);
    }
    for (int i = 0; i < 15; i++) Py_XDECREF(args[i]);
    return rc;
}

static int add_span(Ctx *c, const uint8_t *p, const uint8_t *end, int depth, PyObject *resource,
                    PyObject *scope_name) {
    if (depth < 0) return bad("nesting too deep");
    SpanParts s = {0};
    s.attributes = PyDict_New();
    if (!s.attributes) return -1;
    Field f;
    int r;
    while ((r = next_field(&p, end, &f, depth)) > 0) {
        int len = f.wt == WT_LEN;
        switch (f.num) {
        case 1: if (len) { s.trace_id.p = f.data; s.trace_id.n = f.len; continue; } break;
        case 2: if (len) { s.span_id.p = f.data; s.span_id.n = f.len; continue; } break;
        case 4: if (len) { s.parent.p = f.data; s.parent.n = f.len; continue; } break;
        case 5: if (len) { r = take_str(&s.name, &f); goto next; } break;
        case 6: if (f.wt == WT_VARINT) { s.kind = (int32_t)(uint32_t)f.v; continue; } break;
        case 7: if (f.wt == WT_I64) { s.start = f.v; continue; } break;
        case 8: if (f.wt == WT_I64) { s.end = f.v; continue; } break;
        case 9: if (len) { r = add_kv(c, s.attributes, f.data, f.data + f.len, 0, depth - 1); goto next; } break;
        case 11:
            if (len) {
                if (!s.events && !(s.events = PyList_New(0))) r = -1;
                else r = add_event(c, s.events, f.data, f.data + f.len, depth - 1);
                goto next;
            }
            break;
        case 13: if (len) { r = add_link(c, &s, f.data, f.data + f.len, depth - 1); goto next; } break;
        case 14: if (f.wt == WT_VARINT) { s.sender_dropped = (uint32_t)f.v; continue; } break;
        case 15: if (len) { r = read_status(&s, f.data, f.data + f.len, depth - 1); goto next; } break;
        }
        r = check_field(T_SPAN, &f, depth);
    next:
        if (r < 0) break;
    }
    if (r == 0) r = emit_span(c, &s, resource, scope_name);
    Py_DECREF(s.attributes);
    Py_XDECREF(s.events);
    Py_XDECREF(s.links);
    return r;
}

/* ScopeSpans: the scope (possibly carried after its spans) first, then the spans. */
static int add_scope_spans(Ctx *c, const uint8_t *p, const uint8_t *end, int depth, PyObject *resource) {
    if (depth < 0) return bad("nesting too deep");
    Slice name = {0};
    const uint8_t *start = p;
    Field f, g;
    int r;
    while ((r = next_field(&p, end, &f, depth)) > 0) {
        if (f.num == 1 && f.wt == WT_LEN) {
            /* InstrumentationScope: occurrences merge, so its name is the last one seen. */
            const uint8_t *q = f.data, *qend = f.data + f.len;
            if (depth - 1 < 0) return bad("nesting too deep");
            while ((r = next_field(&q, qend, &g, depth - 1)) > 0) {
                if (g.num == 1 && g.wt == WT_LEN) r = take_str(&name, &g);
                else r = check_field(T_SCOPE, &g, depth - 1);
                if (r < 0) return -1;
            }
            if (r < 0) return -1;
        } else if (!(f.num == 2 && f.wt == WT_LEN) && check_field(T_SSPANS, &f, depth) < 0) {
            return -1;
        }
    }
    if (r < 0) return -1;
    PyObject *scope_name = make_str(c, name.p, name.n, 0);
    if (!scope_name) return -1;
    p = start;
    while ((r = next_field(&p, end, &f, depth)) > 0)
        if (f.num == 2 && f.wt == WT_LEN && add_span(c, f.data, f.data + f.len, depth - 1, resource, scope_name) < 0) {
            r = -1;
            break;
        }
    Py_DECREF(scope_name);
    return r;
}

/* ResourceSpans: one resource dict (all occurrences merged) shared by every span below it. */
static int add_resource_spans(Ctx *c, const uint8_t *p, const uint8_t *end, int depth) {
    if (depth < 0) return bad("nesting too deep");
    PyObject *resource = PyDict_New();
    if (!resource) return -1;
    const uint8_t *start = p;
    Field f, g;
    int r;
    while ((r = next_field(&p, end, &f, depth)) > 0) {
        if (f.num == 1 && f.wt == WT_LEN) {
            const uint8_t *q = f.data, *qend = f.data + f.len;
            if (depth - 1 < 0) r = bad("nesting too deep");
            while (r >= 0 && (r = next_field(&q, qend, &g, depth - 1)) > 0) {
                if (g.num == 1 && g.wt == WT_LEN) r = add_kv(c, resource, g.data, g.data + g.len, 0, depth - 2);
                else r = check_field(T_RESOURCE, &g, depth - 1);
            }
        } else if (!(f.num == 2 && f.wt == WT_LEN)) {
            r = check_field(T_RSPANS, &f, depth);
        }
        if (r < 0) break;
    }
    for (p = start; r == 0 && (r = next_field(&p, end, &f, depth)) > 0;)
        if (f.num == 2 && f.wt == WT_LEN && add_scope_spans(c, f.data, f.data + f.len, depth - 1, resource) < 0)
            r = -1;
        else
            r = 0;
    Py_DECREF(resource);
    return r;
}

static PyObject *decode(PyObject *module, PyObject *args) {
    Py_buffer body;
    Ctx c = {0};
    PyObject *span_cls, *span_fields, *event_cls, *event_fields, *link_cls, *link_fields;
    if (!PyArg_ParseTuple(args, "y*nKKKnOOOOOO:decode", &body, &c.max_chars, &c.min_start, &c.max_start,
                          &c.max_duration, &c.max_links, &span_cls, &span_fields, &event_cls, &event_fields,
                          &link_cls, &link_fields))
        return NULL;
    if (c.max_chars < 0 || c.max_links < 0 || maker_init(&c.span, span_cls, span_fields, 15) < 0 ||
        maker_init(&c.event, event_cls, event_fields, 3) < 0 || maker_init(&c.link, link_cls, link_fields, 4) < 0) {
        PyBuffer_Release(&body);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "max_chars and max_links must be >= 0");
        return NULL;
    }
    c.spans = PyList_New(0);
    c.rejected = PyList_New(0);
    int r = c.spans && c.rejected ? 0 : -1;
    const uint8_t *p = body.buf, *end = p + body.len;
    Field f;
    while (r >= 0 && (r = next_field(&p, end, &f, MAX_DEPTH)) > 0) {
        if (f.num == 1 && f.wt == WT_LEN) r = add_resource_spans(&c, f.data, f.data + f.len, MAX_DEPTH - 1);
        else r = check_field(T_REQUEST, &f, MAX_DEPTH);
    }
    PyBuffer_Release(&body);
    PyObject *result = NULL;
    if (r == 0) result = PyTuple_Pack(2, c.spans, c.rejected);
    else if (c.fallback && !PyErr_Occurred()) result = Py_NewRef(Py_None);
    Py_XDECREF(c.spans);
    Py_XDECREF(c.rejected);
    return result;
}

static PyMethodDef methods[] = {
    {"decode", decode, METH_VARARGS,
     "decode(body, max_chars, min_start, max_start, max_duration, max_links, span_cls, span_fields,\n"
     "       event_cls, event_fields, link_cls, link_fields)\n"
     "-> (spans, [(problem, name, start, end)]) or None when the upb path must decide."},
    {NULL, NULL, 0, NULL},
};

static int exec_module(PyObject *m) {
    DecodeError = PyErr_NewException("genlens.pipeline._fastotlp.DecodeError", PyExc_ValueError, NULL);
    TRUNC_MARK = PyUnicode_FromString("\xe2\x80\xa6[truncated ");
    TOO_DEEP = PyUnicode_InternFromString("[nested too deeply]");
    if (!DecodeError || !TRUNC_MARK || !TOO_DEEP) return -1;
    return PyModule_AddObjectRef(m, "DecodeError", DecodeError);
}

static PyModuleDef_Slot slots[] = {{Py_mod_exec, exec_module}, {0, NULL}};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_fastotlp", "Native decoder for OTLP trace export requests.", 0, methods, slots,
};

PyMODINIT_FUNC PyInit__fastotlp(void) { return PyModuleDef_Init(&moduledef); }
