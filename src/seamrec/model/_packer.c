/* seamrec.model._packer: payloads packed straight to msgpack bytes, in C.
 *
 * The twin of `codec.make_packer`'s fast path (the reference): exact dicts, lists and
 * scalars are packed as msgpack's strict Packer packs them; any other value is a
 * "node" the reference hands to its `default` hook (`encode_whole`, a fresh encoder
 * walk per node). Here such a node is encoded in C when it holds only exact builtin
 * data, tuples, sets, frozensets, datetimes, dates and Decimals and needs no cut;
 * otherwise the node goes to the Python `default` and its ext value is written as it
 * comes back. Whatever the reference would not pack the fast way (a str that is not
 * UTF-8, a deep nest, a bytearray or memoryview outside a node, a failing hook) makes
 * the call give back None: the caller runs the reference. More than 64 KiB gives back
 * False: the reference would pack the same bytes, find them over its limit and cut the
 * payload (`encode_tree`), so the caller runs that cut alone.
 *
 * Objects inside a node follow the class's plan, asked of the Python `plan(cls)` (kept
 * per class there): an object, slots, dataclass or ORM entity is written as its OBJECT ext
 * with the fields its reader gives, a service as such one level deep (inside its fields,
 * services are opaque, and a field that held something opaque is its type's opaque
 * ext: the reference's `plain_fields`), a foreign class as its OPAQUE ext; any other
 * class hands the node to `default`. With plans, the walk's depth, cycle and budget cuts
 * are written here too.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <stdint.h>
#include <string.h>

#define MAX_FAST_PAYLOAD (64 * 1024)
#define MAX_OUTER_LEVEL 64  /* deeper exact containers: the reference decides */
#define MAX_PATH 128
#define MAX_EXT_KEYS 32     /* dict keys packed as ext values compared pairwise */
#define MAX_SELF_CLASSES 1024

enum { DONE = 0, GIVE_UP = -1, TO_PYTHON = 1 };

/* ext codes of payload.Ext */
enum { EXT_TUPLE = 1, EXT_SET = 2, EXT_FROZENSET = 3, EXT_BIGINT = 4, EXT_DECIMAL = 5,
       EXT_DATETIME = 6, EXT_DATE = 7, EXT_SURROGATE_STR = 25 };

enum { EXT_TYPED_COLLECTION = 13, EXT_OBJECT = 15, EXT_OPAQUE = 18, EXT_CUT = 20,
       EXT_LEAF_SUBCLASS = 23 };

/* a class's plan (`codec.make_packer`'s `plan_of`): (code, type path, fields reader) */
enum { PLAN_PYTHON = 0, PLAN_FIELDS = 1, PLAN_SERVICE = 2, PLAN_OPAQUE = 3, PLAN_PAIRS = 4,
       PLAN_ITEMS = 5, PLAN_LEAF = 6 };

/* which exact non-builtin classes the classifier lets C encode (bit flags) */
enum { NATIVE_SET = 1, NATIVE_DATETIME = 2, NATIVE_DATE = 4, NATIVE_DECIMAL = 8 };

typedef struct {
    char *data;
    Py_ssize_t len;
    Py_ssize_t cap;
    int over; /* the bytes passed the fast path's limit: the reference cuts the payload */
} Buffer;

typedef struct {
    PyObject_HEAD
    PyObject *default_hook;  /* codec's `default`: a node to its ext value */
    PyObject *ext_type;      /* msgpack.ExtType */
    PyObject *decimal_type;  /* decimal.Decimal */
    PyObject *self_type;     /* codec.SelfRef */
    PyObject *self_packed;   /* {class: its SELF ext bytes} */
    PyObject *plan;          /* `plan(cls)` of an object inside a node; NULL: to `default` */
    int max_depth;
    long max_nodes;
    int native;
} PackerObject;

typedef struct {  /* one call's walk: on the C stack, so hooks may re-enter */
    PackerObject *packer;
    Buffer buf;
    long budget;  /* per node */
    int shallow;  /* inside a service's fields: services are opaque */
    long opaques; /* opaque exts written so far (the reference's `opaque_count`) */
    int path_len;
    PyObject *path[MAX_PATH];
} Walk;

static PyObject *str_isoformat, *str_key, *str_value;

/* ------------------------------------------------------------------ buffer */

static int
reserve(Buffer *b, Py_ssize_t extra)
{
    if (b->len + extra <= b->cap)
        return 0;
    if (b->len + extra > MAX_FAST_PAYLOAD + 1024) {
        b->over = 1;
        return -1; /* over the fast path's limit: the reference cuts it */
    }
    Py_ssize_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + extra)
        cap *= 2;
    char *data = PyMem_Realloc(b->data, cap);
    if (data == NULL)
        return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

static inline int
put(Buffer *b, const void *bytes, Py_ssize_t n)
{
    if (reserve(b, n) < 0)
        return -1;
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
    return 0;
}

static inline int
put_byte(Buffer *b, unsigned char c)
{
    if (reserve(b, 1) < 0)
        return -1;
    b->data[b->len++] = (char)c;
    return 0;
}

static inline int
put_be(Buffer *b, unsigned char head, uint64_t value, int size)
{
    unsigned char out[9];
    out[0] = head;
    for (int i = 0; i < size; i++)
        out[1 + i] = (unsigned char)(value >> (8 * (size - 1 - i)));
    return put(b, out, 1 + size);
}

/* ------------------------------------------------------------------ msgpack words */

static int
put_unsigned(Buffer *b, unsigned long long d)
{
    if (d < 128)
        return put_byte(b, (unsigned char)d);
    if (d < 256)
        return put_be(b, 0xcc, d, 1);
    if (d < 65536)
        return put_be(b, 0xcd, d, 2);
    if (d < 4294967296ULL)
        return put_be(b, 0xce, d, 4);
    return put_be(b, 0xcf, d, 8);
}

static int
put_signed(Buffer *b, long long d)
{
    if (d >= 0)
        return put_unsigned(b, (unsigned long long)d);
    if (d >= -32)
        return put_byte(b, (unsigned char)(int8_t)d);
    if (d >= -128)
        return put_be(b, 0xd0, (uint64_t)(uint8_t)(int8_t)d, 1);
    if (d >= -32768)
        return put_be(b, 0xd1, (uint64_t)(uint16_t)(int16_t)d, 2);
    if (d >= -2147483648LL)
        return put_be(b, 0xd2, (uint64_t)(uint32_t)(int32_t)d, 4);
    return put_be(b, 0xd3, (uint64_t)d, 8);
}

/* 1: packed; 0: out of the 64-bit range (no error set); -1: error */
static int
put_int(Buffer *b, PyObject *o)
{
    int overflow = 0;
    long long value = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (value == -1 && PyErr_Occurred())
        return -1;
    if (overflow == 0)
        return put_signed(b, value) < 0 ? -1 : 1;
    if (overflow < 0)
        return 0;
    unsigned long long big = PyLong_AsUnsignedLongLong(o);
    if (big == (unsigned long long)-1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError))
            return -1;
        PyErr_Clear();
        return 0;
    }
    return put_unsigned(b, big) < 0 ? -1 : 1;
}

static int
put_float(Buffer *b, PyObject *o)
{
    double value = PyFloat_AS_DOUBLE(o);
    uint64_t bits;
    memcpy(&bits, &value, 8);
    return put_be(b, 0xcb, bits, 8);
}

static int
put_header(Buffer *b, Py_ssize_t n, unsigned char fix, int fix_limit, unsigned char h8,
           unsigned char h16, unsigned char h32)
{
    if (n < fix_limit)
        return put_byte(b, (unsigned char)(fix | n));
    if (h8 && n < 256)
        return put_be(b, h8, (uint64_t)n, 1);
    if (n < 65536)
        return put_be(b, h16, (uint64_t)n, 2);
    return put_be(b, h32, (uint64_t)n, 4);
}

static int
put_str_bytes(Buffer *b, const char *text, Py_ssize_t n)
{
    if (put_header(b, n, 0xa0, 32, 0xd9, 0xda, 0xdb) < 0)
        return -1;
    return put(b, text, n);
}

static int
put_bin(Buffer *b, const char *data, Py_ssize_t n)
{
    if (n < 256) {
        if (put_be(b, 0xc4, (uint64_t)n, 1) < 0)
            return -1;
    }
    else if (put_be(b, n < 65536 ? 0xc5 : 0xc6, (uint64_t)n, n < 65536 ? 2 : 4) < 0)
        return -1;
    return put(b, data, n);
}

static inline int
put_array_header(Buffer *b, Py_ssize_t n)
{
    return put_header(b, n, 0x90, 16, 0, 0xdc, 0xdd);
}

static inline int
put_map_header(Buffer *b, Py_ssize_t n)
{
    return put_header(b, n, 0x80, 16, 0, 0xde, 0xdf);
}

/* The bytes written since `start` become the data of an ext value of `code`. */
static int
close_ext(Buffer *b, Py_ssize_t start, int code)
{
    Py_ssize_t n = b->len - start;
    unsigned char head[6];
    int size;
    if (n == 1 || n == 2 || n == 4 || n == 8 || n == 16) {
        head[0] = n == 1 ? 0xd4 : n == 2 ? 0xd5 : n == 4 ? 0xd6 : n == 8 ? 0xd7 : 0xd8;
        head[1] = (unsigned char)code;
        size = 2;
    }
    else if (n < 256) {
        head[0] = 0xc7;
        head[1] = (unsigned char)n;
        head[2] = (unsigned char)code;
        size = 3;
    }
    else if (n < 65536) {
        head[0] = 0xc8;
        head[1] = (unsigned char)(n >> 8);
        head[2] = (unsigned char)n;
        head[3] = (unsigned char)code;
        size = 4;
    }
    else {
        head[0] = 0xc9;
        for (int i = 0; i < 4; i++)
            head[1 + i] = (unsigned char)(n >> (8 * (3 - i)));
        head[5] = (unsigned char)code;
        size = 6;
    }
    if (reserve(b, size) < 0)
        return -1;
    memmove(b->data + start + size, b->data + start, n);
    memcpy(b->data + start, head, size);
    b->len += size;
    return 0;
}

static int
is_ext_byte(unsigned char c)
{
    return (c >= 0xd4 && c <= 0xd8) || (c >= 0xc7 && c <= 0xc9);
}

/* ------------------------------------------------------------------ node encoder */

static int encode(Walk *self, PyObject *o, int depth);

static int
encode_str(Walk *self, PyObject *o)
{
    Buffer *b = &self->buf;
    if (PyUnicode_GET_LENGTH(o) > MAX_FAST_PAYLOAD)
        return TO_PYTHON; /* cut by the reference */
    Py_ssize_t n;
    const char *text = PyUnicode_AsUTF8AndSize(o, &n);
    if (text != NULL)
        return put_str_bytes(b, text, n) < 0 ? GIVE_UP : DONE;
    if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError))
        return GIVE_UP;
    PyErr_Clear(); /* lone surrogates: their surrogatepass bytes in an ext */
    PyObject *raw = PyUnicode_AsEncodedString(o, "utf-8", "surrogatepass");
    if (raw == NULL)
        return GIVE_UP;
    Py_ssize_t start = b->len;
    int failed = put_bin(b, PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw)) < 0 ||
                 close_ext(b, start, EXT_SURROGATE_STR) < 0;
    Py_DECREF(raw);
    return failed ? GIVE_UP : DONE;
}

static int
encode_text_of(Walk *self, PyObject *text)
{
    /* an ascii str made by the hook (isoformat, str of a Decimal or an int) */
    if (text == NULL)
        return GIVE_UP;
    int result = GIVE_UP;
    if (PyUnicode_CheckExact(text) && PyUnicode_IS_ASCII(text))
        result = put_str_bytes(&self->buf, (const char *)PyUnicode_DATA(text),
                               PyUnicode_GET_LENGTH(text)) < 0 ? GIVE_UP : DONE;
    else if (PyUnicode_CheckExact(text))
        result = TO_PYTHON;
    Py_DECREF(text);
    return result;
}

static int
encode_items(Walk *self, PyObject *seq, int depth)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > MAX_FAST_PAYLOAD)
        return TO_PYTHON;
    if (put_array_header(&self->buf, n) < 0)
        return GIVE_UP;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i >= PySequence_Fast_GET_SIZE(seq))
            return GIVE_UP; /* changed under us */
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        Py_INCREF(item);
        int r = encode(self, item, depth);
        Py_DECREF(item);
        if (r != DONE)
            return r;
    }
    return DONE;
}

static int
same_bytes(const char *a, Py_ssize_t alen, const char *b, Py_ssize_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

static int
encode_dict(Walk *self, PyObject *o, int depth)
{
    Buffer *b = &self->buf;
    Py_ssize_t n = PyDict_GET_SIZE(o);
    if (n > MAX_FAST_PAYLOAD)
        return TO_PYTHON;
    if (put_map_header(b, n) < 0)
        return GIVE_UP;
    /* ext-encoded keys that pack to the same bytes collapse in the reference's dict */
    Py_ssize_t key_start[MAX_EXT_KEYS], key_len[MAX_EXT_KEYS];
    int ext_keys = 0;
    Py_ssize_t pos = 0, seen = 0;
    PyObject *key, *value;
    while (PyDict_Next(o, &pos, &key, &value)) {
        if (++seen > n)
            return GIVE_UP;
        Py_INCREF(key);
        Py_INCREF(value);
        Py_ssize_t start = b->len;
        int r = encode(self, key, depth);
        if (r == DONE && is_ext_byte((unsigned char)b->data[start])) {
            Py_ssize_t len = b->len - start;
            for (int i = 0; i < ext_keys && r == DONE; i++)
                if (same_bytes(b->data + key_start[i], key_len[i], b->data + start, len))
                    r = TO_PYTHON;
            if (ext_keys == MAX_EXT_KEYS)
                r = TO_PYTHON;
            else {
                key_start[ext_keys] = start;
                key_len[ext_keys++] = len;
            }
        }
        if (r == DONE)
            r = encode(self, value, depth);
        Py_DECREF(key);
        Py_DECREF(value);
        if (r != DONE)
            return r;
    }
    return seen == n ? DONE : GIVE_UP;
}

typedef struct {
    const char *data;
    Py_ssize_t len;
} Slice;

static int
compare_slices(const void *a, const void *b)
{
    const Slice *x = a, *y = b;
    Py_ssize_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->data, y->data, n);
    if (c != 0)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* A set's items sorted by their packed bytes (the reference's `unordered`). */
static int
encode_set(Walk *self, PyObject *o, int depth)
{
    Buffer *b = &self->buf;
    Py_ssize_t n = PySet_GET_SIZE(o);
    if (n > MAX_FAST_PAYLOAD)
        return TO_PYTHON;
    if (put_array_header(b, n) < 0)
        return GIVE_UP;
    Py_ssize_t first = b->len;
    Py_ssize_t *starts = PyMem_Malloc(sizeof(Py_ssize_t) * (n + 1));
    if (starts == NULL)
        return GIVE_UP;
    PyObject *iterator = PyObject_GetIter(o);
    int r = iterator == NULL ? GIVE_UP : DONE;
    Py_ssize_t count = 0;
    while (r == DONE) {
        PyObject *item = PyIter_Next(iterator);
        if (item == NULL) {
            if (PyErr_Occurred())
                r = GIVE_UP;
            break;
        }
        if (count == n)
            r = GIVE_UP;
        else {
            starts[count++] = b->len;
            r = encode(self, item, depth);
        }
        Py_DECREF(item);
    }
    Py_XDECREF(iterator);
    if (r == DONE && count != n)
        r = GIVE_UP;
    if (r == DONE && n > 1) {
        starts[n] = b->len;
        Slice *slices = PyMem_Malloc(sizeof(Slice) * n);
        Py_ssize_t total = b->len - first;
        char *sorted = PyMem_Malloc(total ? total : 1);
        if (slices == NULL || sorted == NULL)
            r = GIVE_UP;
        else {
            for (Py_ssize_t i = 0; i < n; i++) {
                slices[i].data = b->data + starts[i];
                slices[i].len = starts[i + 1] - starts[i];
            }
            qsort(slices, n, sizeof(Slice), compare_slices);
            Py_ssize_t at = 0;
            for (Py_ssize_t i = 0; i < n; i++) {
                memcpy(sorted + at, slices[i].data, slices[i].len);
                at += slices[i].len;
            }
            memcpy(b->data + first, sorted, total);
        }
        PyMem_Free(slices);
        PyMem_Free(sorted);
    }
    PyMem_Free(starts);
    return r;
}

/* datetime.isoformat() of a naive or UTC datetime, and date.isoformat(), as a str */
static int
put_iso_datetime(Buffer *b, PyObject *o, int utc)
{
    char text[48];
    int n = snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d",
                     PyDateTime_GET_YEAR(o), PyDateTime_GET_MONTH(o), PyDateTime_GET_DAY(o),
                     PyDateTime_DATE_GET_HOUR(o), PyDateTime_DATE_GET_MINUTE(o),
                     PyDateTime_DATE_GET_SECOND(o));
    int us = PyDateTime_DATE_GET_MICROSECOND(o);
    if (us)
        n += snprintf(text + n, sizeof text - n, ".%06d", us);
    if (utc)
        n += snprintf(text + n, sizeof text - n, "+00:00");
    return put_str_bytes(b, text, n);
}

static int
put_iso_date(Buffer *b, PyObject *o)
{
    char text[16];
    int n = snprintf(text, sizeof text, "%04d-%02d-%02d", PyDateTime_GET_YEAR(o),
                     PyDateTime_GET_MONTH(o), PyDateTime_GET_DAY(o));
    return put_str_bytes(b, text, n);
}

static int
encode_datetime(Walk *self, PyObject *o)
{
    PyObject *tz = PyDateTime_DATE_GET_TZINFO(o);
    PyObject *key = NULL;
    if (tz != Py_None && Py_TYPE(tz) != Py_TYPE(PyDateTime_TimeZone_UTC)) {
        key = PyObject_GetAttr(tz, str_key); /* as getattr(tz, "key", None) */
        if (key == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_AttributeError))
                return GIVE_UP;
            PyErr_Clear();
        }
    }
    int r = put_array_header(&self->buf, 2) < 0 ? GIVE_UP : DONE;
    if (r == DONE && (tz == Py_None || tz == PyDateTime_TimeZone_UTC))
        r = put_iso_datetime(&self->buf, o, tz != Py_None) < 0 ? GIVE_UP : DONE;
    else if (r == DONE)
        r = encode_text_of(self, PyObject_CallMethodNoArgs(o, str_isoformat));
    if (r == DONE) {
        if (key != NULL && PyUnicode_Check(key))
            r = encode_text_of(self, Py_NewRef(key)); /* ascii str; else the hook's */
        else
            r = put_byte(&self->buf, 0xc0) < 0 ? GIVE_UP : DONE;
    }
    Py_XDECREF(key);
    return r;
}

/* The plan of `type` (a new reference to a checked tuple), or NULL with an error set. */
static PyObject *
plan_of(Walk *self, PyTypeObject *type)
{
    PyObject *plan = PyObject_CallOneArg(self->packer->plan, (PyObject *)type);
    if (plan == NULL)
        return NULL;
    if (!PyTuple_CheckExact(plan) || PyTuple_GET_SIZE(plan) != 3 ||
        !PyLong_CheckExact(PyTuple_GET_ITEM(plan, 0)) ||
        !PyUnicode_CheckExact(PyTuple_GET_ITEM(plan, 1))) {
        Py_DECREF(plan);
        PyErr_SetString(PyExc_TypeError, "a class plan is (code, type path, reader)");
        return NULL;
    }
    return plan;
}

/* A str written as msgpack packs it: DONE; TO_PYTHON for one that is not UTF-8. */
static int
put_text(Buffer *b, PyObject *text)
{
    Py_ssize_t n;
    const char *data = PyUnicode_AsUTF8AndSize(text, &n);
    if (data == NULL) {
        PyErr_Clear();
        return TO_PYTHON;
    }
    return put_str_bytes(b, data, n) < 0 ? GIVE_UP : DONE;
}

/* The reference's `opaque(name)`: the OPAQUE ext of a type path. */
static int
put_opaque(Walk *self, PyObject *name)
{
    Buffer *b = &self->buf;
    Py_ssize_t start = b->len;
    int r = put_text(b, name);
    return r == DONE && close_ext(b, start, EXT_OPAQUE) < 0 ? GIVE_UP : r;
}

/* Whether the value written from `start` is an OPAQUE ext (the reference's `_is_opaque`). */
static int
is_opaque_at(Buffer *b, Py_ssize_t start)
{
    const unsigned char *d = (const unsigned char *)b->data + start;
    Py_ssize_t n = b->len - start;
    int at;
    if (n < 2)
        return 0;
    if (d[0] >= 0xd4 && d[0] <= 0xd8)
        at = 1;
    else if (d[0] == 0xc7)
        at = 2;
    else if (d[0] == 0xc8)
        at = 3;
    else if (d[0] == 0xc9)
        at = 5;
    else
        return 0;
    return n > at && d[at] == EXT_OPAQUE;
}

/* An object's fields as the map the reference's `fields` gives; a service's
 * (`service`) as its `plain_fields`: each walked shallow, and a field in which an opaque
 * ext was written but that is not one itself becomes its value's type's opaque ext. */
static int
encode_fields(Walk *self, PyObject *fields, int depth, int service)
{
    Buffer *b = &self->buf;
    if (!PyDict_CheckExact(fields))
        return TO_PYTHON;
    Py_ssize_t n = PyDict_GET_SIZE(fields), pos = 0, seen = 0;
    if (n > MAX_FAST_PAYLOAD)
        return TO_PYTHON;
    if (put_map_header(b, n) < 0)
        return GIVE_UP;
    PyObject *key, *value;
    int shallow = self->shallow, r = DONE;
    if (service)
        self->shallow = 1;
    while (r == DONE && PyDict_Next(fields, &pos, &key, &value)) {
        if (++seen > n) {
            r = GIVE_UP;
            break;
        }
        if (!PyUnicode_CheckExact(key)) {
            r = TO_PYTHON;
            break;
        }
        r = put_text(b, key);
        if (r != DONE)
            break;
        Py_INCREF(value);
        Py_ssize_t start = b->len;
        long before = self->opaques;
        r = encode(self, value, depth);
        if (r == DONE && service && self->opaques != before && !is_opaque_at(b, start)) {
            b->len = start; /* `_ext(OPAQUE, type_path(type(value)))`: not counted */
            PyObject *plan = plan_of(self, Py_TYPE(value));
            if (plan == NULL) {
                PyErr_Clear();
                r = TO_PYTHON;
            }
            else {
                Py_ssize_t at = b->len;
                r = put_text(b, PyTuple_GET_ITEM(plan, 1));
                if (r == DONE && close_ext(b, at, EXT_OPAQUE) < 0)
                    r = GIVE_UP;
                Py_DECREF(plan);
            }
        }
        Py_DECREF(value);
    }
    self->shallow = shallow;
    return r == DONE && seen != n ? GIVE_UP : r;
}

/* The reference's `cut(reason, type_path(cls))` of a value at the depth limit, on the
 * walk's path (a cycle) or past the node budget; with no plans, the hook cuts it. */
static int
put_cut(Walk *self, const char *reason, PyTypeObject *type)
{
    if (self->packer->plan == NULL)
        return TO_PYTHON;
    PyObject *plan = plan_of(self, type);
    if (plan == NULL) {
        PyErr_Clear();
        return TO_PYTHON;
    }
    Buffer *b = &self->buf;
    Py_ssize_t start = b->len;
    int r = put_array_header(b, 2) < 0 || put_str_bytes(b, reason, (Py_ssize_t)strlen(reason)) < 0
                ? GIVE_UP
                : put_text(b, PyTuple_GET_ITEM(plan, 1));
    Py_DECREF(plan);
    return r == DONE && close_ext(b, start, EXT_CUT) < 0 ? GIVE_UP : r;
}

/* A typed collection's content as the reference's `pairs` (`[[key, value], ...]` from the
 * reader's (key, value) tuples) or `items` (`[item, ...]`). */
static int
encode_read_items(Walk *self, PyObject *found, int depth, int pairs)
{
    Buffer *b = &self->buf;
    if (!PyList_CheckExact(found))
        return TO_PYTHON;
    Py_ssize_t n = PyList_GET_SIZE(found);
    if (n > MAX_FAST_PAYLOAD)
        return TO_PYTHON; /* cut by the reference */
    if (put_array_header(b, n) < 0)
        return GIVE_UP;
    int r = DONE;
    for (Py_ssize_t i = 0; i < n && r == DONE; i++) {
        if (i >= PyList_GET_SIZE(found))
            return GIVE_UP; /* changed under us */
        PyObject *item = PyList_GET_ITEM(found, i);
        Py_INCREF(item);
        if (!pairs)
            r = encode(self, item, depth);
        else if (!PyTuple_CheckExact(item) || PyTuple_GET_SIZE(item) != 2)
            r = TO_PYTHON;
        else if (put_array_header(b, 2) < 0)
            r = GIVE_UP;
        else {
            r = encode(self, PyTuple_GET_ITEM(item, 0), depth);
            if (r == DONE)
                r = encode(self, PyTuple_GET_ITEM(item, 1), depth);
        }
        Py_DECREF(item);
    }
    return r;
}

/* A value the class's reader gives, written as the reference writes that class:
 * a typed collection `[name, "dict"|"list", content]` or a leaf subclass
 * `[name, its plain value]`. */
static int
encode_read(Walk *self, long code, PyObject *name, PyObject *found, int depth)
{
    Buffer *b = &self->buf;
    Py_ssize_t start = b->len;
    int r = put_array_header(b, code == PLAN_LEAF ? 2 : 3) < 0 ? GIVE_UP : put_text(b, name);
    if (r == DONE && code == PLAN_LEAF) {
        r = encode(self, found, depth);
        return r == DONE && close_ext(b, start, EXT_LEAF_SUBCLASS) < 0 ? GIVE_UP : r;
    }
    if (r == DONE) {
        const char *word = code == PLAN_PAIRS ? "dict" : "list";
        r = put_str_bytes(b, word, 4) < 0 ? GIVE_UP : DONE;
    }
    if (r == DONE)
        r = encode_read_items(self, found, depth, code == PLAN_PAIRS);
    return r == DONE && close_ext(b, start, EXT_TYPED_COLLECTION) < 0 ? GIVE_UP : r;
}

/* An object inside a node, as its class's plan says (see the top of this file). */
static int
encode_planned(Walk *self, PyObject *o, PyTypeObject *type, int depth)
{
    Buffer *b = &self->buf;
    PyObject *plan = plan_of(self, type);
    if (plan == NULL) {
        PyErr_Clear();
        return TO_PYTHON;
    }
    long code = PyLong_AsLong(PyTuple_GET_ITEM(plan, 0));
    PyObject *name = PyTuple_GET_ITEM(plan, 1), *reader = PyTuple_GET_ITEM(plan, 2);
    int r = TO_PYTHON;
    if (code == PLAN_OPAQUE || (code == PLAN_SERVICE && self->shallow)) {
        r = put_opaque(self, name);
        if (r == DONE)
            self->opaques++;
    }
    else if (code == PLAN_FIELDS || code == PLAN_SERVICE) {
        PyObject *fields = PyObject_CallOneArg(reader, o);
        if (fields == NULL)
            PyErr_Clear();
        else {
            Py_ssize_t start = b->len;
            if (put_array_header(b, 2) < 0)
                r = GIVE_UP;
            else
                r = put_text(b, name);
            if (r == DONE)
                r = encode_fields(self, fields, depth, code == PLAN_SERVICE);
            if (r == DONE && close_ext(b, start, EXT_OBJECT) < 0)
                r = GIVE_UP;
            Py_DECREF(fields);
        }
    }
    else if (code == PLAN_PAIRS || code == PLAN_ITEMS || code == PLAN_LEAF) {
        PyObject *found = PyObject_CallOneArg(reader, o);
        if (found == NULL)
            PyErr_Clear();
        else {
            r = encode_read(self, code, name, found, depth);
            Py_DECREF(found);
        }
    }
    else if (PyErr_Occurred()) {
        PyErr_Clear();
    }
    Py_DECREF(plan);
    return r;
}

static int
encode_composite(Walk *self, PyObject *o, PyTypeObject *type, int depth)
{
    Buffer *b = &self->buf;
    Py_ssize_t start = b->len;
    int r;
    if (type == &PyDict_Type)
        return encode_dict(self, o, depth);
    if (type == &PyList_Type)
        return encode_items(self, o, depth);
    if (type == &PyTuple_Type) {
        r = encode_items(self, o, depth);
        return r == DONE && close_ext(b, start, EXT_TUPLE) < 0 ? GIVE_UP : r;
    }
    int native = self->packer->native;
    if ((type == &PySet_Type || type == &PyFrozenSet_Type) && (native & NATIVE_SET)) {
        r = encode_set(self, o, depth);
        int code = type == &PySet_Type ? EXT_SET : EXT_FROZENSET;
        return r == DONE && close_ext(b, start, code) < 0 ? GIVE_UP : r;
    }
    if (type == PyDateTimeAPI->DateTimeType && (native & NATIVE_DATETIME)) {
        r = encode_datetime(self, o);
        return r == DONE && close_ext(b, start, EXT_DATETIME) < 0 ? GIVE_UP : r;
    }
    if (type == PyDateTimeAPI->DateType && (native & NATIVE_DATE)) {
        r = put_iso_date(b, o) < 0 ? GIVE_UP : DONE;
        return r == DONE && close_ext(b, start, EXT_DATE) < 0 ? GIVE_UP : r;
    }
    if ((PyObject *)type == self->packer->decimal_type && (native & NATIVE_DECIMAL)) {
        r = encode_text_of(self, PyObject_Str(o));
        return r == DONE && close_ext(b, start, EXT_DECIMAL) < 0 ? GIVE_UP : r;
    }
    if (self->packer->plan != NULL)
        return encode_planned(self, o, type, depth);
    return TO_PYTHON;
}

static int
encode(Walk *self, PyObject *o, int depth)
{
    Buffer *b = &self->buf;
    PyTypeObject *type = Py_TYPE(o);
    if (o == Py_None)
        return put_byte(b, 0xc0) < 0 ? GIVE_UP : DONE;
    if (o == Py_True || o == Py_False)
        return put_byte(b, o == Py_True ? 0xc3 : 0xc2) < 0 ? GIVE_UP : DONE;
    if (type == &PyFloat_Type)
        return put_float(b, o) < 0 ? GIVE_UP : DONE;
    if (type == &PyLong_Type) {
        int packed = put_int(b, o);
        if (packed != 0)
            return packed < 0 ? GIVE_UP : DONE;
        Py_ssize_t start = b->len; /* beyond 64 bits: its decimal text */
        int r = encode_text_of(self, PyObject_Str(o));
        return r == DONE && close_ext(b, start, EXT_BIGINT) < 0 ? GIVE_UP : r;
    }
    if (type == &PyUnicode_Type)
        return encode_str(self, o);
    if (type == &PyBytes_Type) {
        if (PyBytes_GET_SIZE(o) > MAX_FAST_PAYLOAD)
            return TO_PYTHON;
        return put_bin(b, PyBytes_AS_STRING(o), PyBytes_GET_SIZE(o)) < 0 ? GIVE_UP : DONE;
    }
    if (depth >= self->packer->max_depth)
        return put_cut(self, "depth", type);
    for (int i = 0; i < self->path_len; i++)
        if (self->path[i] == o)
            return put_cut(self, "cycle", type);
    if (++self->budget > self->packer->max_nodes)
        return put_cut(self, "budget", type);
    if (self->path_len >= MAX_PATH)
        return TO_PYTHON;
    self->path[self->path_len++] = o;
    int r = encode_composite(self, o, type, depth + 1);
    self->path_len--;
    return r;
}

/* ------------------------------------------------------------------ outer walk */

static int pack_hooked(Walk *self, PyObject *o, Py_ssize_t start);

/* A value the reference hands to `default`: encoded here, or by the hook. */
static int
pack_node(Walk *self, PyObject *o)
{
    Buffer *b = &self->buf;
    Py_ssize_t start = b->len;
    self->budget = 0;
    self->path_len = 0;
    self->shallow = 0;
    self->opaques = 0;
    /* `default` takes `self`/`cls` first, before any cut */
    int r = (PyObject *)Py_TYPE(o) == self->packer->self_type ? TO_PYTHON : encode(self, o, 0);
    if (r != TO_PYTHON)
        return r;
    b->len = start;
    PyObject *cls = NULL; /* `self`/`cls`: one ext per class, kept */
    if ((PyObject *)Py_TYPE(o) == self->packer->self_type) {
        PyObject *value = PyObject_GetAttr(o, str_value);
        if (value == NULL)
            return GIVE_UP;
        cls = Py_NewRef(PyType_Check(value) ? value : (PyObject *)Py_TYPE(value));
        Py_DECREF(value);
        PyObject *packed = PyDict_GetItemWithError(self->packer->self_packed, cls);
        if (packed != NULL) {
            Py_DECREF(cls);
            Py_ssize_t n = PyBytes_GET_SIZE(packed);
            return put(b, PyBytes_AS_STRING(packed), n) < 0 ? GIVE_UP : DONE;
        }
        if (PyErr_Occurred()) {
            Py_DECREF(cls);
            return GIVE_UP;
        }
    }
    r = pack_hooked(self, o, start);
    if (r == DONE && cls != NULL) {
        PyObject *kept = self->packer->self_packed;
        if (PyDict_GET_SIZE(kept) >= MAX_SELF_CLASSES)
            PyDict_Clear(kept);
        PyObject *packed = PyBytes_FromStringAndSize(b->data + start, b->len - start);
        if (packed == NULL || PyDict_SetItem(kept, cls, packed) < 0)
            r = GIVE_UP;
        Py_XDECREF(packed);
    }
    Py_XDECREF(cls);
    return r;
}

/* `default`'s ext value of a node, written at `start`. */
static int
pack_hooked(Walk *self, PyObject *o, Py_ssize_t start)
{
    Buffer *b = &self->buf;
    int r;
    PyObject *found = PyObject_CallOneArg(self->packer->default_hook, o);
    if (found == NULL)
        return GIVE_UP;
    r = GIVE_UP;
    if ((PyObject *)Py_TYPE(found) == self->packer->ext_type && PyTuple_GET_SIZE(found) == 2) {
        PyObject *code = PyTuple_GET_ITEM(found, 0), *data = PyTuple_GET_ITEM(found, 1);
        if (PyLong_CheckExact(code) && PyBytes_CheckExact(data)) {
            long value = PyLong_AsLong(code);
            if (value >= 0 && value < 128 &&
                put(b, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data)) == 0 &&
                close_ext(b, start, (int)value) == 0)
                r = DONE;
        }
    }
    Py_DECREF(found);
    return r;
}

static int
pack_outer(Walk *self, PyObject *o, int level)
{
    Buffer *b = &self->buf;
    PyTypeObject *type = Py_TYPE(o);
    if (level > MAX_OUTER_LEVEL)
        return GIVE_UP;
    if (o == Py_None)
        return put_byte(b, 0xc0);
    if (o == Py_True || o == Py_False)
        return put_byte(b, o == Py_True ? 0xc3 : 0xc2);
    if (type == &PyLong_Type) {
        int packed = put_int(b, o);
        if (packed != 0)
            return packed < 0 ? GIVE_UP : DONE;
        return pack_node(self, o);
    }
    if (type == &PyFloat_Type)
        return put_float(b, o);
    if (type == &PyBytes_Type)
        return put_bin(b, PyBytes_AS_STRING(o), PyBytes_GET_SIZE(o));
    if (type == &PyUnicode_Type) {
        Py_ssize_t n;
        const char *text = PyUnicode_AsUTF8AndSize(o, &n);
        return text == NULL ? GIVE_UP : put_str_bytes(b, text, n);
    }
    if (type == &PyDict_Type) {
        Py_ssize_t n = PyDict_GET_SIZE(o), pos = 0, seen = 0;
        PyObject *key, *value;
        if (put_map_header(b, n) < 0)
            return GIVE_UP;
        while (PyDict_Next(o, &pos, &key, &value)) {
            if (++seen > n)
                return GIVE_UP;
            Py_INCREF(key);
            Py_INCREF(value);
            int r = pack_outer(self, key, level + 1);
            if (r == DONE)
                r = pack_outer(self, value, level + 1);
            Py_DECREF(key);
            Py_DECREF(value);
            if (r != DONE)
                return GIVE_UP;
        }
        return seen == n ? DONE : GIVE_UP;
    }
    if (type == &PyList_Type) {
        Py_ssize_t n = PyList_GET_SIZE(o);
        if (put_array_header(b, n) < 0)
            return GIVE_UP;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (i >= PyList_GET_SIZE(o))
                return GIVE_UP;
            PyObject *item = PyList_GET_ITEM(o, i);
            Py_INCREF(item);
            int r = pack_outer(self, item, level + 1);
            Py_DECREF(item);
            if (r != DONE)
                return GIVE_UP;
        }
        return DONE;
    }
    if (type == &PyByteArray_Type || type == &PyMemoryView_Type || type == (PyTypeObject *)self->packer->ext_type)
        return GIVE_UP; /* msgpack packs these itself: left to the reference */
    return pack_node(self, o);
}

static PyObject *
Packer_call(PackerObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *value;
    if (!PyArg_ParseTuple(args, "O:pack", &value))
        return NULL;
    Walk walk;
    walk.packer = self;
    walk.buf.data = NULL;
    walk.buf.len = walk.buf.cap = 0;
    walk.buf.over = 0;
    walk.budget = 0;
    walk.shallow = 0;
    walk.opaques = 0;
    walk.path_len = 0;
    Py_INCREF(self); /* a hook may drop the last other reference */
    int r = pack_outer(&walk, value, 0);
    PyObject *result = NULL;
    if (r == DONE && walk.buf.len <= MAX_FAST_PAYLOAD)
        result = PyBytes_FromStringAndSize(walk.buf.data ? walk.buf.data : "", walk.buf.len);
    PyMem_Free(walk.buf.data);
    Py_DECREF(self);
    int over = walk.buf.over || (r == DONE && walk.buf.len > MAX_FAST_PAYLOAD);
    if (result != NULL)
        return result;
    PyErr_Clear(); /* the reference packs it (and raises what it raises) */
    if (over)
        Py_RETURN_FALSE; /* the same bytes pass the reference's limit: it cuts them */
    Py_RETURN_NONE;
}

static int
Packer_init(PackerObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *hook, *ext_type, *decimal_type, *self_type, *plan = Py_None;
    int max_depth, native;
    long max_nodes;
    if (!PyArg_ParseTuple(args, "OOOOili|O:Packer", &hook, &ext_type, &decimal_type, &self_type,
                          &max_depth, &max_nodes, &native, &plan))
        return -1;
    if (max_depth < 0 || max_depth > MAX_PATH - 1) {
        PyErr_SetString(PyExc_ValueError, "max_depth out of the C packer's range");
        return -1;
    }
    Py_XSETREF(self->default_hook, Py_NewRef(hook));
    Py_XSETREF(self->ext_type, Py_NewRef(ext_type));
    Py_XSETREF(self->decimal_type, Py_NewRef(decimal_type));
    Py_XSETREF(self->self_type, Py_NewRef(self_type));
    Py_XSETREF(self->plan, plan == Py_None ? NULL : Py_NewRef(plan));
    Py_XSETREF(self->self_packed, PyDict_New());
    if (self->self_packed == NULL)
        return -1;
    self->max_depth = max_depth;
    self->max_nodes = max_nodes;
    self->native = native;
    return 0;
}

static void
Packer_dealloc(PackerObject *self)
{
    Py_XDECREF(self->default_hook);
    Py_XDECREF(self->ext_type);
    Py_XDECREF(self->decimal_type);
    Py_XDECREF(self->self_type);
    Py_XDECREF(self->self_packed);
    Py_XDECREF(self->plan);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject PackerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "seamrec.model._packer.Packer",
    .tp_basicsize = sizeof(PackerObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Packer(default, ExtType, Decimal, SelfRef, max_depth, max_nodes, native, "
              "plan=None)(value): "
              "the payload's msgpack bytes, or None where the reference must pack it.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Packer_init,
    .tp_dealloc = (destructor)Packer_dealloc,
    .tp_call = (ternaryfunc)Packer_call,
};

static struct PyModuleDef packer_module = {
    PyModuleDef_HEAD_INIT, "_packer", "Payloads packed to msgpack bytes in C.", -1, NULL,
};

PyMODINIT_FUNC
PyInit__packer(void)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL)
        return NULL;
    str_isoformat = PyUnicode_InternFromString("isoformat");
    str_key = PyUnicode_InternFromString("key");
    str_value = PyUnicode_InternFromString("value");
    if (str_isoformat == NULL || str_key == NULL || str_value == NULL)
        return NULL;
    if (PyType_Ready(&PackerType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&packer_module);
    if (module == NULL)
        return NULL;
    if (PyModule_AddObjectRef(module, "Packer", (PyObject *)&PackerType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
